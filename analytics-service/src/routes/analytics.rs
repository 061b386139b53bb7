//! `GET /analytics/daily-revenue`, `/analytics/dashboard-metrics`, `/analytics/top-products`.

use axum::{
    Json, Router,
    extract::{Query, State, rejection::QueryRejection},
    routing::get,
};
use serde::Deserialize;
use serde_json::Value;
use shared::{ApiError, auth::Admin, error::ok};

use super::{RangeQuery, bad_query, range};
use crate::{reports, state::AppState};

/// The analytics routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/analytics/daily-revenue", get(daily_revenue))
        .route("/analytics/dashboard-metrics", get(dashboard_metrics))
        .route("/analytics/top-products", get(top_products))
}

/// One row per day of the range (the last 30 days without one), zero days included.
#[tracing::instrument(skip_all)]
async fn daily_revenue(
    State(state): State<AppState>,
    _: Admin,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let range = range(q.from.as_deref(), q.to.as_deref(), q.days, 30)?;
    Ok(ok(reports::daily_revenue(state.infra.db(), range).await?))
}

#[tracing::instrument(skip_all)]
async fn dashboard_metrics(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Value>, ApiError> {
    Ok(ok(reports::dashboard_metrics(state.infra.db()).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopQuery {
    limit: Option<u64>,
}

#[tracing::instrument(skip_all)]
async fn top_products(
    State(state): State<AppState>,
    _: Admin,
    query: Result<Query<TopQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(bad_query)?;
    let limit = q.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 100"));
    }
    let limit = usize::try_from(limit).unwrap_or(100);
    Ok(ok(reports::top_products(state.infra.db(), limit).await?))
}
