//! `POST /events` (the storefront's clickstream, anonymous or signed in) and `GET
//! /analytics/clickstream` (admin): the shoppers' funnel per day and per product, and the
//! searches.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use serde_json::Value;
use shared::{
    ApiError,
    api::{
        analytics::Period,
        clickstream::{ClickBatch, ClickReceipt},
    },
    auth::{Admin, MaybeCaller},
    error::ok,
    extract::{Valid, ValidQuery},
};

use super::period;
use crate::{
    domain::clicks,
    state::AppState,
    store::{self, rows},
};

/// The clickstream routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", post(record))
        .route("/analytics/clickstream", get(report))
}

/// Stores a batch; 202 with how many were new and how many had come before.
#[tracing::instrument(skip_all, fields(events = batch.events.len()))]
async fn record(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Valid(batch): Valid<ClickBatch>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let customer = caller.as_ref().map(|c| c.id.as_str());
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (accepted, duplicates) =
        store::clicks::insert(state.infra.db(), &batch.events, customer, now_ms).await?;
    metrics::counter!("analytics_clicks_total").increment(accepted);
    Ok((
        StatusCode::ACCEPTED,
        ok(ClickReceipt {
            accepted,
            duplicates,
        }),
    ))
}

/// The funnel of the range (the last 30 days without one).
#[tracing::instrument(skip_all)]
async fn report(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Json<Value>, ApiError> {
    let range = period(&q, 30)?;
    let db = state.infra.db();
    let (events, orders) = tokio::try_join!(
        store::clicks::in_range(db, range),
        rows::rows(db, Some(range), true)
    )?;
    Ok(ok(clicks::report(range, &events, &orders)))
}
