//! `/loyalty`: the caller's points, tier and history; `/loyalty/tiers`: the programme (public);
//! `/customers/{id}/loyalty/adjustments`: an admin adds or takes points, once per key.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use bson::oid::ObjectId;
use chrono::Utc;
use serde_json::Value;
use shared::{
    ApiError,
    api::loyalty::Adjustment,
    auth::Caller,
    error::ok,
    extract::{ObjectIdPath, Valid},
};

use crate::{
    domain::loyalty::{TIERS, moves::REASON_ADJUSTED},
    state::AppState,
    store::loyalty::{self, Change},
};

/// `GET /loyalty`, `GET /loyalty/tiers`, `POST /customers/{id}/loyalty/adjustments`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/loyalty", get(account))
        .route("/loyalty/tiers", get(tiers))
        .route("/customers/{id}/loyalty/adjustments", post(adjust))
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
    ok(TIERS.map(|t| shared::api::loyalty::Tier {
        name: t.name.to_owned(),
        min_points: t.min_points,
        discount_percent: t.discount_percent,
    }))
}

/// The adjustment's key: the `Idempotency-Key` header, else the body's `id`; one is required
/// (422 without either).
fn adjustment_key(headers: &HeaderMap, body: &Adjustment) -> Result<String, ApiError> {
    let header = headers
        .get("idempotency-key")
        .map(|raw| {
            raw.to_str()
                .ok()
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 255)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::field("Idempotency-Key", "must be 1 to 255 visible characters")
                })
        })
        .transpose()?;
    header
        .or_else(|| body.id.as_ref().map(|id| id.trim().to_owned()))
        // 422, not 400: the body is well-formed (an `id` is optional in it when the header
        // carries the key), the request as a whole lacks a key.
        .ok_or_else(|| {
            ApiError::Unprocessable(
                "an adjustment needs an Idempotency-Key header or an id, so a retry adjusts once"
                    .to_owned(),
            )
        })
}

/// Admins: adds `points` (negative: takes them) to customer `id`'s account with `reason`.
/// 201 with the account; the same key again is 200 with the account unchanged (another
/// number of points under it is 422); taking more than the customer can spend is 422.
#[tracing::instrument(skip_all)]
async fn adjust(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ObjectIdPath(customer): ObjectIdPath,
    Valid(body): Valid<Adjustment>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require_admin()?;
    let key = adjustment_key(&headers, &body)?;
    let correlation_id = shared::telemetry::request_id(&headers);
    let now = Utc::now();
    let (account, decided) = loyalty::change(state.infra.db(), customer, &correlation_id, |a| {
        let earlier = a
            .history
            .iter()
            .find(|h| h.reason == REASON_ADJUSTED && h.key.as_deref() == Some(key.as_str()));
        if let Some(earlier) = earlier {
            return if earlier.points == body.points {
                Ok(Change::Keep(()))
            } else {
                Err(ApiError::Unprocessable(format!(
                    "the key {key} was used for an adjustment of {} points",
                    earlier.points
                )))
            };
        }
        a.adjust(&key, body.points, body.reason.trim(), now)
            .map_err(|e| ApiError::Unprocessable(format!("points: {e}")))?;
        Ok(Change::Write(()))
    })
    .await?
    .ok_or_else(|| ApiError::NotFound("no such customer".to_owned()))?;
    let status = match decided {
        Change::Write(()) => {
            state.outbox.nudge();
            tracing::info!(customer.id = %customer, points = body.points, "points adjusted");
            StatusCode::CREATED
        }
        Change::Keep(()) => StatusCode::OK,
    };
    Ok((status, ok(account.view())))
}
