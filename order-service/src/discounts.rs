//! What lowers a price besides the lines (issue 15): the caller's loyalty tier, asked of
//! customer-service for every price (the cart, the checkout, `POST /orders`), and the cart's
//! coupon, checked for the cart's view and counted once at checkout.
//!
//! # A coupon's use, exactly once
//! The checkout ([`crate::checkout`]) counts the use with [`redeem`] as its last step before
//! the order is inserted, keyed by the checkout token (the order's request key):
//! - **Counted once.** The count and the redemption are one conditional write on the coupon
//!   whose filter holds the limits and "this token has no redemption"
//!   ([`crate::store::coupons::redeem`]). A retry, a second tab resuming the claim, or a
//!   checkout after a crash carries the same token, finds its redemption and counts nothing.
//! - **Given back once.** When the order ends `CANCELLED` or `REJECTED` (at the saga's
//!   deadline: `order.cancelled` / `order.expired` on order-service's own durable queue; for
//!   want of stock: in the saga's consumer), [`crate::events::coupons`] marks the redemption
//!   returned, only if it is not returned yet; a redelivered event finds it returned and
//!   changes nothing.
//! - **Crash windows.** A crash after the use is counted and before the order is inserted
//!   leaves the cart claimed under the token (a 5xx keeps the claim), so the next checkout
//!   resumes that token and inserts the order without counting again. A refusal after the
//!   count cannot happen: every other check (lines, stock, address, tier, the coupon's own
//!   rules) runs first. The window left: the customer empties the cart (`DELETE /cart`)
//!   between a crash and the next checkout; the token is then lost and the use stays counted
//!   without an order, until the orphan sweep ([`crate::orphans`]) finds it: a use older than
//!   `ORPHAN_COUPON_TTL_SECS` whose token has no order is given back, once.

use axum::http::HeaderMap;
use bson::oid::ObjectId;
use shared::ApiError;

use crate::{
    domain::{
        Discounts, Line, Money, Quote,
        cart::{self, CartView, CouponLine, StoredLine},
        coupon::{Coupon, Refusal, Tier, normalise},
        pricing::CouponValue,
    },
    state::AppState,
    store::coupons,
    upstream::Priced,
};

/// The tier of `customer`, the caller of `headers` (Bronze for a caller without a loyalty
/// account).
pub async fn tier(state: &AppState, customer: &str, headers: &HeaderMap) -> Result<Tier, ApiError> {
    state
        .upstream
        .tier(customer, &shared::client::Call::from_headers(headers))
        .await
}

/// Whether `customer` with `tier` may use coupon `code` on `subtotal` now, without counting.
pub async fn check(
    state: &AppState,
    code: &str,
    customer: &str,
    tier: &Tier,
    subtotal: Money,
) -> Result<Result<Coupon, Refusal>, ApiError> {
    let Some(coupon) = coupons::get(state.infra.db(), &normalise(code)).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    let now = bson::DateTime::now().timestamp_millis();
    Ok(coupon
        .check(customer, tier, subtotal, now, true)
        .map(|()| coupon))
}

/// Counts the use of `code` for the checkout `token` (once per token); the coupon, or the
/// 422 naming why it cannot be used.
pub async fn redeem(
    state: &AppState,
    code: &str,
    customer: &str,
    tier: &Tier,
    subtotal: Money,
    token: &str,
) -> Result<Coupon, ApiError> {
    let code = normalise(code);
    coupons::redeem(state.infra.db(), &code, customer, tier, subtotal, token)
        .await?
        .map_err(|refusal| refusal.into_error(&code))
}

/// The cart priced with `tier` and, when it applies now, its coupon `code` (checked, not
/// counted): the view `GET /cart` answers.
pub async fn cart_view(
    state: &AppState,
    customer: &str,
    tier: &Tier,
    code: Option<&str>,
    lines: &[(ObjectId, &StoredLine, Option<Priced>)],
) -> Result<CartView, ApiError> {
    let base = Discounts {
        tier: tier.discount,
        ..Discounts::NONE
    };
    let mut plain = cart::price(lines, &base).map_err(ApiError::internal)?;
    let Some(code) = code else {
        return Ok(plain);
    };
    match check(state, code, customer, tier, plain.quote.subtotal).await? {
        Ok(coupon) => {
            let with = Discounts {
                coupon: Some(coupon.pricing()),
                ..base
            };
            let mut view = cart::price(lines, &with).map_err(ApiError::internal)?;
            // A free-shipping coupon's worth is the shipping it saves. (Another coupon may
            // bring the subtotal under the free-shipping threshold: that is not its discount.)
            let saved_shipping = if coupon.pricing().value == CouponValue::FreeShipping {
                (plain.quote.shipping.cents() - view.quote.shipping.cents()).max(0)
            } else {
                0
            };
            view.coupon = Some(CouponLine {
                code: coupon.code,
                applies: true,
                discount: Money::from_cents(view.quote.coupon_discount.cents() + saved_shipping),
                reason: None,
                message: None,
            });
            Ok(view)
        }
        Err(refusal) => {
            let code = normalise(code);
            plain.coupon = Some(CouponLine {
                applies: false,
                discount: Money::ZERO,
                reason: Some(refusal.reason().to_owned()),
                message: Some(refusal.message(&code)),
                code,
            });
            Ok(plain)
        }
    }
}

/// The checkout's quote with the cart's coupon `code` (counted for `token`), and the code
/// the order records; `plain` (the quote with the tier alone) without a coupon. The quote is
/// `None` when a sum overflows.
pub async fn apply(
    state: &AppState,
    code: Option<&str>,
    customer: &str,
    tier: &Tier,
    lines: &[Line],
    plain: Quote,
    token: &str,
) -> Result<(Option<Quote>, Option<String>), ApiError> {
    let Some(code) = code else {
        return Ok((Some(plain), None));
    };
    let coupon = redeem(state, code, customer, tier, plain.subtotal, token).await?;
    let discounts = Discounts {
        coupon: Some(coupon.pricing()),
        tier: tier.discount,
        ..Discounts::NONE
    };
    Ok((crate::placing::quote(lines, &discounts), Some(coupon.code)))
}
