//! `GET /analytics/daily-revenue`, `/analytics/dashboard-metrics`, `/analytics/top-products`,
//! `/analytics/discounts`, `/analytics/funnel`, `/analytics/after-sales`, and the sales report
//! to download, `/analytics/reports/sales.csv` and `.pdf`; `POST /analytics/reports/weekly`
//! mails a closed week's report to the staff (once per week).

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::Value;
use shared::{
    ApiError,
    api::{
        analytics::{Period, TopProducts, WeeklyRequest},
        query::number,
    },
    auth::Admin,
    error::ok,
    extract::{ValidOrDefault, ValidQuery},
    telemetry::request_id,
};

use super::period;
use crate::{reports, state::AppState};

/// The analytics routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/analytics/daily-revenue", get(daily_revenue))
        .route("/analytics/dashboard-metrics", get(dashboard_metrics))
        .route("/analytics/top-products", get(top_products))
        .route("/analytics/discounts", get(discounts))
        .route("/analytics/funnel", get(funnel))
        .route("/analytics/after-sales", get(after_sales))
        .route("/analytics/reports/sales.csv", get(sales_csv))
        .route("/analytics/reports/sales.pdf", get(sales_pdf))
        .route("/analytics/reports/weekly", post(weekly))
}

/// `POST /analytics/reports/weekly` (admin) `{week?}`: issues the report of that week (the
/// last closed one without a body) for the staff's mail; 201 when this call issued it, 200
/// with the report when it had gone out before (never twice).
#[tracing::instrument(skip_all)]
async fn weekly(
    State(state): State<AppState>,
    _: Admin,
    headers: axum::http::HeaderMap,
    ValidOrDefault(body): ValidOrDefault<WeeklyRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    use reports::weekly;
    let week = match &body.week {
        Some(name) => weekly::week_named(name).map_err(|e| ApiError::field("week", e))?,
        None => weekly::last_closed_week(crate::domain::Day::today()),
    };
    let (report, issued) =
        weekly::issue(state.infra.db(), &state.nudge, week, &request_id(&headers)).await?;
    let status = if issued {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ok(shared::api::reports::WeeklyIssued { report, issued }),
    ))
}

/// One row per day of the range (the last 30 days without one), zero days included.
#[tracing::instrument(skip_all)]
async fn daily_revenue(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Json<Value>, ApiError> {
    let range = period(&q, 30)?;
    Ok(ok(reports::daily_revenue(state.infra.db(), range).await?))
}

#[tracing::instrument(skip_all)]
async fn dashboard_metrics(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Value>, ApiError> {
    Ok(ok(reports::dashboard_metrics(state.infra.db()).await?))
}

#[tracing::instrument(skip_all)]
async fn top_products(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<TopProducts>,
) -> Result<Json<Value>, ApiError> {
    let limit = usize::try_from(number(q.limit.as_ref(), 10)).unwrap_or(100);
    Ok(ok(
        reports::top_products(state.infra.db(), None, limit).await?
    ))
}

/// Per coupon and per day, over the range (the last 30 days without one).
#[tracing::instrument(skip_all)]
async fn discounts(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Json<Value>, ApiError> {
    let range = period(&q, 30)?;
    Ok(ok(
        reports::commerce::discounts(state.infra.db(), range).await?
    ))
}

/// The order funnel per day of the range (the last 30 days without one).
#[tracing::instrument(skip_all)]
async fn funnel(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Json<Value>, ApiError> {
    let range = period(&q, 30)?;
    Ok(ok(reports::commerce::funnel(state.infra.db(), range).await?))
}

/// Returns, reviews and notifications of the range (the last 30 days without one).
#[tracing::instrument(skip_all)]
async fn after_sales(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Json<Value>, ApiError> {
    let range = period(&q, 30)?;
    Ok(ok(reports::aftersales::summary(
        state.infra.db(),
        Some(range),
    )
    .await?))
}

/// A report to download: its type, `attachment` with a file name naming the period, never
/// cached (the figures change).
fn download(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The sales report of the range (the last 30 days without one) as CSV.
#[tracing::instrument(skip_all)]
async fn sales_csv(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Response, ApiError> {
    sales(&state, &q, false).await
}

/// The sales report of the range (the last 30 days without one) as a PDF.
#[tracing::instrument(skip_all)]
async fn sales_pdf(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Response, ApiError> {
    sales(&state, &q, true).await
}

/// The sales report of `q`'s period, as a PDF or as CSV, to download.
async fn sales(state: &AppState, q: &Period, pdf: bool) -> Result<Response, ApiError> {
    let range = period(q, 30)?;
    let sales = reports::sales::gather(state.infra.db(), range).await?;
    let (from, to) = (&sales.period.from, &sales.period.to);
    Ok(if pdf {
        let name = format!("sales-{from}-{to}.pdf");
        download("application/pdf", name, reports::sales::pdf::render(&sales))
    } else {
        let name = format!("sales-{from}-{to}.csv");
        let body = reports::sales::csv(&sales).into_bytes();
        download("text/csv; charset=utf-8", name, body)
    })
}
