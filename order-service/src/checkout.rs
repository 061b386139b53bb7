//! Checkout (issue 15): the caller's cart becomes one `PENDING` order and the cart is emptied,
//! once, without a multi-document transaction (the MongoDB stand-in has none).
//!
//! # The protocol
//! The order and the cart are two documents; each step below is one single-document atomic
//! write, and the *token* ties them together. The token is the order's unique request key:
//! `checkout:<customer>:<Idempotency-Key>`, or `checkout:<customer>:<fresh id>` without a key.
//!
//! 1. **Claim** the cart: one conditional update sets `checkoutToken` on a cart that has lines
//!    and no claim ([`carts::claim`]). A cart already claimed is not claimed again: whoever finds
//!    a claim (a retry, a second tab, a request after a crash) *finishes that claim's job*
//!    with its token instead of starting its own.
//! 2. **Place** the order priced now ([`crate::placing`]: the same pricing and saga as
//!    `POST /orders`) under the token as its request key, with `order.created` and
//!    `cart.checked_out` in the same insert. The unique index on the request key lets only one
//!    insert per token succeed; a second one answers the stored order.
//! 3. **Empty** the cart only if it still holds the token ([`carts::clear_checked_out`]).
//!
//! The cart's coupon joins step 2: after every other check (lines, stock, address, the
//! caller's tier, the coupon's own rules), and just before the insert, its use is counted
//! under the token ([`crate::discounts::redeem`]: one conditional write on the coupon that
//! adds the token's redemption only while the limits hold and the token has none). So a
//! refusal never follows a counted use; a retry or a resumed claim (same token) finds the
//! redemption and counts nothing; a crash between the count and the insert leaves the claim,
//! and the next checkout inserts the order with the use already counted. The one window left
//! open (the claimed cart deleted by `DELETE /cart` after such a crash) is in
//! [`crate::discounts`]. The order records the code, and its end (`REJECTED`, `CANCELLED`)
//! gives the use back once ([`crate::events::coupons`]).
//!
//! Before step 2 every request first looks for an order already stored under the token: if
//! there is one, it only does step 3 and answers it. So a crash anywhere leaves either the cart
//! intact (before 2: claimed, which the next checkout resumes) or the order stored and
//! findable by its token (after 2), and the next checkout, or the retry with the same key,
//! finishes the job. Two checkouts at once make one order: the loser of step 1 resumes the
//! winner's token and answers **the same order** (201, the same `data`); one that arrives after
//! the winner emptied the cart finds it empty (422). A retry that must get the same answer
//! carries an `Idempotency-Key`: its first answer is replayed (see [`crate::routes::once`]),
//! and even without the Redis record its order is found by the token.
//!
//! A refusal (an empty cart, a line whose product was deleted or whose stock is short, no
//! address) releases the claim of the request that made it, so nothing stays written; a failure
//! that may have stored the order (a 5xx) keeps the claim, so the next attempt finds the order
//! rather than placing a second one. The cart may still be changed while claimed: the order
//! takes the lines as they are when it is priced, and the cart is emptied after it.
//!
//! Redeemed points are held in customer-service under the same token just before step 2, and
//! the order takes the hold's order id ([`points`] tells the protocol and its crash windows).

pub mod points;

use axum::http::HeaderMap;
use bson::oid::ObjectId;
use shared::{ApiError, api::checkout::Checkout, auth::Caller};

use crate::{
    domain::{Line, Order},
    events,
    payment_method::{self, Choice},
    placing,
    state::AppState,
    store::{
        carts::{self, StoredCart, StoredLine},
        orders,
    },
    upstream::Priced,
};

/// The token (the order's request key) of a checkout with `key`, or of a fresh one.
pub fn token(customer: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("checkout:{customer}:{key}"),
        None => format!("checkout:{customer}:{}", ObjectId::new().to_hex()),
    }
}

/// The order stored under `token`, if any, with the cart emptied if it still holds the claim:
/// a checkout that stored its order may have stopped before emptying the cart.
pub async fn stored(
    state: &AppState,
    customer: &str,
    token: &str,
) -> Result<Option<Order>, ApiError> {
    let db = state.infra.db();
    let Some(order) = orders::by_request_key(db, token).await? else {
        return Ok(None);
    };
    carts::clear_checked_out(db, customer, token).await?;
    Ok(Some(order))
}

/// Checks out the cart of `caller` with the token `mine`; the order placed (or found).
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
pub async fn run(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &Checkout,
    mine: &str,
) -> Result<Order, ApiError> {
    let db = state.infra.db();
    // A retry of a checkout that stored its order: only the emptying may be left to do.
    if let Some(order) = stored(state, &caller.id, mine).await? {
        return Ok(order);
    }
    for _ in 0..3 {
        if let Some(cart) = carts::claim(db, &caller.id, mine).await? {
            return finish(state, caller, headers, body, mine, &cart, true).await;
        }
        let cart = carts::get(db, &caller.id).await?;
        match cart.checkout_token.clone() {
            Some(theirs) => {
                let own = theirs == mine;
                return finish(state, caller, headers, body, &theirs, &cart, own).await;
            }
            None if cart.lines.is_empty() => {
                return Err(ApiError::Unprocessable("the cart is empty".to_owned()));
            }
            // Claimed and released (or emptied and refilled) in between: claim again.
            None => {}
        }
    }
    Err(ApiError::Conflict(
        "the cart is being checked out by another request; retry".to_owned(),
    ))
}

/// Steps 2 and 3 for `token`; `own`: the claim is this request's, released on a refusal.
async fn finish(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &Checkout,
    token: &str,
    cart: &StoredCart,
    own: bool,
) -> Result<Order, ApiError> {
    let db = state.infra.db();
    if let Some(order) = stored(state, &caller.id, token).await? {
        return Ok(order);
    }
    match place(state, caller, headers, body, token, cart).await {
        Ok(order) => {
            if !carts::clear_checked_out(db, &caller.id, token).await? {
                tracing::debug!(order.id = %order.id, "the cart was emptied already");
            }
            Ok(order)
        }
        Err(e) => {
            if own && is_refusal(&e) {
                carts::release(db, &caller.id, token).await?;
            }
            Err(e)
        }
    }
}

/// A 4xx that stored nothing.
fn is_refusal(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::Validation { .. }
            | ApiError::Unprocessable(_)
            | ApiError::Refused { .. }
            | ApiError::NotFound(_)
    )
}

/// The cart's lines priced from the products as they are now; 422 naming every line that is
/// no longer sold or has too little stock.
fn priced_lines(
    wanted: &[(ObjectId, &StoredLine)],
    products: Vec<Option<Priced>>,
) -> Result<Vec<Line>, ApiError> {
    let mut refused = Vec::new();
    let mut lines = Vec::with_capacity(wanted.len());
    for ((id, line), product) in wanted.iter().zip(products) {
        let Some(product) = product else {
            refused.push(format!("{} ({id}) is no longer sold", line.name));
            continue;
        };
        if let Some(why) = product.variant_required() {
            refused.push(why);
            continue;
        }
        if product.stock < line.quantity {
            refused.push(format!(
                "{} ({id}): {} wanted, {} in stock",
                product.name, line.quantity, product.stock
            ));
            continue;
        }
        let sku = product.sku.clone();
        let priced = u32::try_from(line.quantity)
            .ok()
            .and_then(|units| Line::priced(id.to_hex(), product.name, product.price, units));
        lines.extend(priced.map(|l| l.with_sku(sku)));
    }
    if refused.is_empty() {
        Ok(lines)
    } else {
        Err(ApiError::Unprocessable(format!(
            "the cart cannot be checked out: {}",
            refused.join("; ")
        )))
    }
}

/// Prices the cart's lines now and stores the order under `token`.
async fn place(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &Checkout,
    token: &str,
    cart: &StoredCart,
) -> Result<Order, ApiError> {
    let wanted = cart.lines();
    if wanted.is_empty() {
        return Err(ApiError::Unprocessable("the cart is empty".to_owned()));
    }
    let ids: Vec<ObjectId> = wanted.iter().map(|(id, _)| *id).collect();
    let given = points::shipping_address(state, headers, body).await?;
    let (looked_up, tier) = tokio::join!(
        placing::look_up(state, &caller.id, headers, &ids, given),
        crate::discounts::tier(state, &caller.id, headers),
    );
    let ((products, address), tier) = (looked_up?, tier?);

    let lines = priced_lines(&wanted, products)?;
    let too_large = || ApiError::Unprocessable("the cart's total is too large".to_owned());
    let plain = placing::quote(&lines, &placing::tier_only(&tier))
        .filter(|_| lines.len() == wanted.len())
        .ok_or_else(too_large)?;
    let Some(address) = address else {
        return Err(ApiError::field(
            "shippingAddress",
            "is required: there is no address on file",
        ));
    };
    let call = shared::client::Call::from_headers(headers);
    let choice = Choice::of(body.card.as_ref(), body.payment_method_id.as_deref());
    let payment = payment_method::for_checkout(state, &caller.id, &call, choice).await?;
    // The coupon's use is counted once for this token (see `crate::discounts` for the crash
    // windows), then the points are held. Only the hold can still refuse after the count (too
    // few points): the use is then given back at once, so a refused checkout counts nothing.
    let (quote, coupon) = crate::discounts::apply(
        state,
        cart.coupon.as_deref(),
        &caller.id,
        &tier,
        &lines,
        plain,
        token,
    )
    .await?;
    let quote = quote.ok_or_else(too_large)?;
    let (quote, held_for) =
        match points::hold(state, headers, token, body.redeem_points, quote).await {
            Ok(held) => held,
            Err(refused) => {
                if let (Some(code), true) = (&coupon, refused.status().is_client_error()) {
                    crate::store::coupons::give_back(state.infra.db(), code, token).await?;
                }
                return Err(refused);
            }
        };
    let mut order = placing::order(
        state,
        &caller.id,
        lines,
        quote,
        address,
        Some(token.to_owned()),
    );
    order.payment = Some(payment);
    order.coupon = coupon;
    if let Some(id) = held_for {
        // The hold names the order: a retry of this checkout places it under the same id.
        order.id = id;
    }
    let correlation_id = shared::telemetry::request_id(headers);
    let checked_out =
        events::cart_checked_out(&order, &correlation_id).map_err(ApiError::internal)?;
    let stored = placing::store(state, order, &correlation_id, vec![checked_out]).await?;
    tracing::info!(order.id = %stored.id, "cart checked out");
    Ok(stored)
}
