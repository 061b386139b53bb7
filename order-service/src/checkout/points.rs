//! Points redeemed at checkout (issue 15): held in customer-service before the order is
//! stored, then spent or given back there as the order goes on.
//!
//! # The protocol
//! The hold lives in the customer's document (customer-service), the order in `orders`
//! (here); no transaction spans them. The checkout's *token* (the order's request key, see
//! [`crate::checkout`]) ties them:
//!
//! 1. Every refusal that needs no points is made first (empty cart, a line gone or short, no
//!    address, a total too large), so a refused checkout never holds anything.
//! 2. The points that can buy something are worked out: at most what is left after the coupon
//!    and the tier ([`Quote::redeemable_points`]); points asked beyond that are not held.
//! 3. **Hold**: one call to customer-service, `POST /internal/loyalty/holds {key: token,
//!    orderId, points}`, with a fresh order id. Customer-service checks the balance in the same
//!    version-guarded write that holds the points, so concurrent checkouts never take it below
//!    zero (the loser gets 422 naming `redeemPoints`, and its claim on the cart is released).
//!    A hold already made under the token is answered as it was, **with its order id and
//!    points**: the order takes that id, so however often a checkout is retried or resumed,
//!    one hold and one order id exist for its token.
//! 4. **Place** the order (one insert under the token, as every checkout), priced with the
//!    points held.
//! 5. Customer-service hears of the order through its events and moves the hold on, once
//!    each: `PROCESSING` (paid) spends it; `REJECTED` (stock, payment, or the saga's deadline)
//!    and `CANCELLED` give it back.
//!
//! # Crash windows
//! - Before 3: nothing held; the retry starts afresh.
//! - Between 3 and 4 (held, no order): the cart keeps its claim (a 5xx does not release it),
//!   so the retry with the same `Idempotency-Key`, or the customer's next checkout, resumes
//!   the token, gets the same hold back and stores the order under its id.
//! - After 4: the order is found by its token before anything else is done; nothing is held
//!   again.
//! - A call to customer-service that times out may still have held: the retry finds that hold.
//!
//! A hold whose token is never resumed (the cart deleted while claimed after a crash between 3
//! and 4, or a second tab resuming the claim with a body that redeems nothing) is given back by
//! customer-service's orphan sweep once it is older than `ORPHAN_HOLD_TTL_SECS` and this
//! service has no order by its id; a checkout resuming the token later holds it again.

use axum::http::HeaderMap;
use bson::oid::ObjectId;
use shared::{ApiError, api::checkout::Checkout};

use crate::{
    domain::{Address, Quote},
    state::AppState,
};

/// Holds the points `wanted` (capped by what `quote` leaves to pay) for the checkout `token`:
/// the quote with the points held, and the id the order must have when a hold was made.
pub async fn hold(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    wanted: Option<i64>,
    quote: Quote,
) -> Result<(Quote, Option<ObjectId>), ApiError> {
    let wanted = u64::try_from(wanted.unwrap_or(0)).unwrap_or(0);
    let points = wanted.min(quote.redeemable_points());
    if points == 0 {
        return Ok((quote, None));
    }
    let call = shared::client::Call::from_headers(headers);
    let points = i64::try_from(points).map_err(ApiError::internal)?;
    let held = state
        .upstream
        .hold_points(token, ObjectId::new(), points, &call)
        .await?;
    let held_points = u64::try_from(held.points).unwrap_or(0);
    let priced = quote
        .with_points(held_points)
        .map_err(|_| ApiError::Unprocessable("the cart's total is too large".to_owned()))?;
    tracing::info!(order.id = %held.order_id, points = held.points, "points held for checkout");
    Ok((priced, Some(held.order_id)))
}

/// Where the body says to ship: the address given, one of the caller's saved addresses by
/// `shippingAddressId` (an id the caller has not saved is 422 naming it), or `None` for the
/// default on file.
pub async fn shipping_address(
    state: &AppState,
    headers: &HeaderMap,
    body: &Checkout,
) -> Result<Option<Address>, ApiError> {
    if let Some(given) = &body.shipping_address {
        return Ok(Some(Address::from(given)));
    }
    let Some(id) = &body.shipping_address_id else {
        return Ok(None);
    };
    let call = shared::client::Call::from_headers(headers);
    match state.upstream.saved_address(id, &call).await? {
        Some(address) => Ok(Some(address)),
        None => Err(ApiError::Unprocessable(format!(
            "shippingAddressId: {id} is not one of your saved addresses"
        ))),
    }
}
