//! `/loyalty`: the caller's points, tier and history; `/loyalty/tiers`: the programme (public).

use axum::{Json, Router, extract::State, routing::get};
use bson::oid::ObjectId;
use serde_json::Value;
use shared::{ApiError, auth::Caller, error::ok};

use crate::{domain::loyalty::TIERS, state::AppState, store::loyalty};

/// `GET /loyalty`, `GET /loyalty/tiers`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/loyalty", get(account))
        .route("/loyalty/tiers", get(tiers))
}

/// `{points, lifetimePoints, tier, nextTier, history}` of the caller.
#[tracing::instrument(skip_all)]
async fn account(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let id = ObjectId::parse_str(&caller.id)
        .map_err(|_| ApiError::NotFound("no such customer".to_owned()))?;
    let account = loyalty::get(state.infra.db(), id).await?;
    Ok(ok(account.view()))
}

/// Every tier, lowest first: `[{name, minPoints, discountPercent}]`.
async fn tiers() -> Json<Value> {
    ok(TIERS)
}
