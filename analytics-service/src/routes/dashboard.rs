//! `GET /dashboard/business-metrics`, `/dashboard/performance`, `/dashboard/assistant-stats`.

use axum::{Json, Router, extract::State, routing::get};
use serde_json::Value;
use shared::{ApiError, api::analytics::Period, auth::Admin, error::ok, extract::ValidQuery};

use super::period;
use crate::{performance, reports, state::AppState};

/// The dashboard routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard/business-metrics", get(business))
        .route("/dashboard/performance", get(performance))
        .route("/dashboard/assistant-stats", get(assistant))
}

/// The period (`from`/`to`, or `days` ending today, 7 by default) against the one before it.
#[tracing::instrument(skip_all)]
async fn business(
    State(state): State<AppState>,
    _: Admin,
    ValidQuery(q): ValidQuery<Period>,
) -> Result<Json<Value>, ApiError> {
    let range = period(&q, 7)?;
    Ok(ok(reports::business(state.infra.db(), range).await?))
}

#[tracing::instrument(skip_all)]
async fn performance(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, ApiError> {
    Ok(ok(performance::gather(
        &state.client,
        &state.scrapes,
        &state.config.services,
    )
    .await))
}

#[tracing::instrument(skip_all)]
async fn assistant(State(state): State<AppState>, _: Admin) -> Result<Json<Value>, ApiError> {
    Ok(ok(reports::assistant_stats(state.infra.db()).await?))
}
