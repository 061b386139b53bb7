//! Answering a request that places an order once per `Idempotency-Key` (`POST /orders`,
//! `POST /checkout`; see [`crate::idempotency`]): the first answer is kept and replayed, the
//! same key with another body is 422, and a retry while the first request runs is 409 unless
//! the order it was placing is already stored (its process may have died before keeping the
//! answer): then that order is the answer, found by the caller's `stored`.

use std::future::Future;

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;
use shared::ApiError;

use crate::{
    domain::OrderView,
    idempotency::{self, Claim},
    state::AppState,
    store::orders,
};

/// The request's `Idempotency-Key`, if it has one; 400 naming the header when it is bad.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(idempotency::HEADER)
        .map(|raw| {
            raw.to_str()
                .map_err(|_| "must be visible ASCII".to_owned())
                .and_then(idempotency::parse_key)
                .map_err(|p| ApiError::field("Idempotency-Key", p))
        })
        .transpose()
}

/// The order stored under `request_key`, if any (what [`answer`] needs for `POST /orders`).
pub async fn by_request_key(
    state: &AppState,
    request_key: &str,
) -> Result<Option<OrderView>, ApiError> {
    Ok(orders::by_request_key(state.infra.db(), request_key)
        .await?
        .map(|order| order.view()))
}

/// Runs `place` once for `key` within `scope` (a body with `fingerprint`); `stored` finds the
/// order a request with this key already stored (finishing what it left undone). Answers 201
/// with the order, or the first answer again.
pub async fn answer<F, Fut, G, GFut>(
    state: &AppState,
    scope: &str,
    (key, fingerprint): (&str, &str),
    place: F,
    stored: G,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<OrderView, ApiError>>,
    G: FnOnce() -> GFut,
    GFut: Future<Output = Result<Option<OrderView>, ApiError>>,
{
    match state.idempotency.claim(scope, key, fingerprint).await? {
        Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            Ok(replayed(status, body))
        }
        Claim::InFlight => match stored().await? {
            Some(view) => Ok(replayed(StatusCode::CREATED, shared::error::ok(view).0)),
            None => Err(ApiError::Conflict(
                "a request with this Idempotency-Key is still being processed".to_owned(),
            )),
        },
        Claim::Mismatch => Err(ApiError::Unprocessable(
            "this Idempotency-Key was used with a different request body".to_owned(),
        )),
        Claim::Fresh(ticket) => match place().await {
            Ok(view) => {
                let body = shared::error::ok(view).0;
                if let Err(e) = state.idempotency.complete(ticket, 201, &body).await {
                    // The order exists and carries the key: a retry still finds it.
                    tracing::warn!(error = %e, "cannot keep the idempotent answer");
                }
                Ok(created(body))
            }
            Err(e) => {
                state.idempotency.release(ticket).await;
                Err(e)
            }
        },
    }
}

/// The answer of an earlier request with the same key, marked as such.
fn replayed(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// 201 with `body` (the envelope of an order) and the order's `Location`.
pub fn created(body: Value) -> Response {
    let location = body["data"]["id"]
        .as_str()
        .map(|id| format!("/orders/{id}"));
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
