//! `POST /checkout` (issue 15): the caller's cart becomes one `PENDING` order and the cart is
//! emptied, once ([`crate::checkout`] tells how). Body `shared::api::checkout::Checkout`
//! (optional); an `Idempotency-Key` replays the first answer. Answers 201 with the order.

use axum::{Router, extract::State, http::HeaderMap, response::Response, routing::post};
use shared::{ApiError, api::checkout::Checkout, auth::Caller, extract::ValidOrDefault};

use super::once;
use crate::{checkout, idempotency, state::AppState};

/// `/checkout`.
pub fn router() -> Router<AppState> {
    Router::new().route("/checkout", post(handle))
}

#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn handle(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ValidOrDefault(body): ValidOrDefault<Checkout>,
) -> Result<Response, ApiError> {
    // Only the unique request-key index makes one order per token hold.
    state.indexes.require()?;
    let key = once::key(&headers)?;
    let token = checkout::token(&caller.id, key.as_deref());
    let run = || async {
        let order = checkout::run(&state, &caller, &headers, &body, &token).await?;
        Ok(order.view())
    };
    let Some(key) = key else {
        let view = run().await?;
        return Ok(once::created(shared::error::ok(view).0));
    };
    // An absent body and `{}` are the same request.
    let mut read = serde_json::to_value(&body).map_err(ApiError::internal)?;
    // Never the card's number or cvc, not even hashed.
    crate::payment_method::fingerprint_card(&mut read);
    let fingerprint = idempotency::fingerprint(&read);
    // Scoped apart from `POST /orders`, whose scope is the bare customer id: the same key
    // there is another request (and no key of theirs can spell this scope).
    let scope = format!("checkout:{}", caller.id);
    let stored = || async {
        let order = checkout::stored(&state, &caller.id, &token).await?;
        Ok(order.map(|o| o.view()))
    };
    once::answer(&state, &scope, (&key, &fingerprint), run, stored).await
}
