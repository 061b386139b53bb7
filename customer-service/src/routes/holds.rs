//! `POST /internal/loyalty/holds`: order-service holds the points a checkout redeems, for the
//! caller (whose token it passes on), before it stores the order. Not part of the public API:
//! the gateway routes no `/api/internal` area, so only services reach it.
//!
//! Idempotent by the checkout's token (`key`): a retry, or a second request finishing the same
//! checkout, gets the first hold back (its order id and points), so a checkout holds once.
//! Enough points is checked in the same guarded write that holds them, so concurrent
//! checkouts never take the balance below zero: the one that finds too few gets 422.

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use bson::oid::ObjectId;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::{ApiError, auth::Caller, error::ok, extract::AppJson};

use crate::{
    domain::loyalty::Hold,
    state::AppState,
    store::loyalty::{self, Change},
};

/// `POST /internal/loyalty/holds`.
pub fn router() -> Router<AppState> {
    Router::new().route("/internal/loyalty/holds", post(hold))
}

/// What order-service asks for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HoldRequest {
    /// The checkout's token.
    key: String,
    /// The id the order will have.
    order_id: String,
    /// Points to hold, at least 1.
    points: i64,
}

fn view(hold: &Hold) -> Value {
    json!({ "key": hold.key, "orderId": hold.order_id, "points": hold.points, "state": hold.state })
}

/// 201 with a new hold, 200 with the one made before under the same key; 422 naming
/// `redeemPoints` when there are not enough points (nothing written).
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn hold(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    AppJson(body): AppJson<HoldRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let customer = ObjectId::parse_str(&caller.id)
        .map_err(|_| ApiError::NotFound("no such customer".to_owned()))?;
    if body.key.is_empty() || body.key.len() > 400 {
        return Err(ApiError::field("key", "must be 1 to 400 characters"));
    }
    if ObjectId::parse_str(&body.order_id).is_err() {
        return Err(ApiError::field(
            "orderId",
            "must be a 24-character hex ObjectId",
        ));
    }
    if body.points < 1 {
        return Err(ApiError::field("points", "must be at least 1"));
    }
    let correlation_id = shared::telemetry::request_id(&headers);
    let now = Utc::now();
    let changed =
        loyalty::change(
            state.infra.db(),
            customer,
            &correlation_id,
            |account| match account.hold(&body.key, &body.order_id, body.points, now) {
                Ok((hold, true)) => Ok(Change::Write(hold)),
                Ok((hold, false)) => Ok(Change::Keep(hold)),
                Err(e) => Err(ApiError::Unprocessable(format!(
                    "redeemPoints: {} were asked, {e}",
                    body.points
                ))),
            },
        )
        .await?
        .ok_or_else(|| ApiError::NotFound("no such customer".to_owned()))?;
    match changed.1 {
        Change::Write(hold) => {
            state.outbox.nudge();
            tracing::info!(order.id = %hold.order_id, points = hold.points, "points held");
            Ok((StatusCode::CREATED, ok(view(&hold))))
        }
        Change::Keep(hold) => Ok((StatusCode::OK, ok(view(&hold)))),
    }
}
