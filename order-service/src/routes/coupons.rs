//! Coupons (issue 15). Admins: `POST /coupons`, `GET /coupons` (with how often each was
//! used), `GET|PATCH|DELETE /coupons/{code}`. Customers: `POST /cart/coupon` `{code}` and
//! `DELETE /cart/coupon` on their own cart, each answering the cart as `GET /cart` does.
//! A code in a path is read without regard to case; one that cannot be a code is simply not
//! found (404), so the body's verdict is the gateway's.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::Value;
use shared::{
    ApiError,
    api::coupons::{CartCoupon, CouponInput, CouponPatch},
    auth::Caller,
    error::ok,
    events::{Envelope, keys},
    extract::Valid,
};

use crate::{
    discounts,
    domain::coupon::{Coupon, normalise},
    state::AppState,
    store::{carts, coupons},
};

/// `/coupons`, `/coupons/{code}` and `/cart/coupon`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/coupons", post(create).get(list))
        .route("/coupons/{code}", get(show).patch(change).delete(remove))
        .route("/cart/coupon", post(apply).delete(take_off))
}

fn now_ms() -> i64 {
    bson::DateTime::now().timestamp_millis()
}

async fn found(state: &AppState, code: &str) -> Result<Coupon, ApiError> {
    coupons::get(state.infra.db(), &normalise(code))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such coupon".to_owned()))
}

#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Valid(body): Valid<CouponInput>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let coupon = Coupon::from_input(&body, now_ms())?;
    let event = announce(keys::COUPON_CREATED, &coupon, &headers)?;
    coupons::insert(state.infra.db(), &coupon, &[event]).await?;
    state.orders.outbox.nudge();
    tracing::info!(coupon = %coupon.code, "coupon created");
    Ok((StatusCode::CREATED, ok(coupon.view())).into_response())
}

#[tracing::instrument(skip_all)]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let all = coupons::list(state.infra.db()).await?;
    Ok(ok(all.iter().map(Coupon::view).collect::<Vec<_>>()))
}

#[tracing::instrument(skip_all, fields(coupon = %code))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    Ok(ok(found(&state, &code).await?.view()))
}

#[tracing::instrument(skip_all, fields(coupon = %code))]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(code): Path<String>,
    Valid(body): Valid<CouponPatch>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    for _ in 0..5 {
        let before = found(&state, &code).await?;
        let after = patched(&before, &body)?;
        let event = announce(keys::COUPON_UPDATED, &after, &headers)?;
        if coupons::replace_rules(state.infra.db(), &before, &after, &[event]).await? {
            state.orders.outbox.nudge();
            tracing::info!(coupon = %after.code, active = after.active, "coupon changed");
            return Ok(ok(found(&state, &code).await?.view()));
        }
    }
    Err(ApiError::Conflict(
        "the coupon kept changing; retry".to_owned(),
    ))
}

/// `before` with the rules of `patch`; 422 when the value does not fit the kind.
fn patched(before: &Coupon, patch: &CouponPatch) -> Result<Coupon, ApiError> {
    let cents = |n: &serde_json::Number| {
        shared::Money::from_number(n)
            .map(shared::Money::cents)
            .map_err(|e| ApiError::field("value", e.to_string()))
    };
    let optional = |given: &Option<Option<serde_json::Number>>, now: Option<i64>| match given {
        None => Ok(now),
        Some(None) => Ok(None),
        Some(Some(n)) => cents(n).map(Some),
    };
    let time = |given: &Option<Option<String>>, now: Option<i64>| match given {
        None => now,
        Some(v) => v
            .as_deref()
            .and_then(shared::api::coupons::parse_time)
            .map(|t| t.timestamp_millis()),
    };
    let mut after = before.clone();
    if let Some(kind) = &patch.kind {
        kind.trim().clone_into(&mut after.kind);
        if kind.trim() == "free_shipping" {
            after.value = 0;
        }
    }
    if let Some(value) = &patch.value {
        after.value = cents(value)?;
    }
    after.min_subtotal_cents = optional(&patch.min_subtotal, before.min_subtotal_cents)?;
    after.max_discount_cents = optional(&patch.max_discount, before.max_discount_cents)?;
    after.valid_from_ms = time(&patch.valid_from, before.valid_from_ms);
    after.valid_until_ms = time(&patch.valid_until, before.valid_until_ms);
    if let Some(limit) = patch.usage_limit {
        after.usage_limit = limit;
    }
    if let Some(limit) = patch.per_customer_limit {
        after.per_customer_limit = limit;
    }
    if let Some(tier) = &patch.min_tier {
        after.min_tier = tier.as_deref().map(|t| {
            let rank = shared::api::coupons::TIERS
                .iter()
                .position(|n| n.eq_ignore_ascii_case(t.trim()))
                .unwrap_or(0);
            shared::api::coupons::TIERS[rank].to_owned()
        });
    }
    if let Some(active) = patch.active {
        after.active = active;
    }
    after.check_value()?;
    if let (Some(from), Some(until)) = (after.valid_from_ms, after.valid_until_ms)
        && until <= from
    {
        return Err(ApiError::Unprocessable(
            "validUntil must be after validFrom".to_owned(),
        ));
    }
    Ok(after)
}

#[tracing::instrument(skip_all, fields(coupon = %code))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    for _ in 0..5 {
        let before = found(&state, &code).await?;
        let event = announce(keys::COUPON_DELETED, &before, &headers)?;
        if coupons::delete(state.infra.db(), &before, &[event]).await? {
            state.orders.outbox.nudge();
            tracing::info!(coupon = %before.code, "coupon deleted");
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    Err(ApiError::Conflict(
        "the coupon kept changing; retry".to_owned(),
    ))
}

/// The event of an admin's change to `coupon`, for the audit log.
fn announce(kind: &str, coupon: &Coupon, headers: &HeaderMap) -> Result<Envelope, ApiError> {
    let correlation_id = shared::telemetry::request_id(headers);
    crate::events::coupon(kind, coupon, &correlation_id).map_err(ApiError::internal)
}

/// `POST /cart/coupon`: checked against the cart as it is now (the same check the checkout
/// makes, without counting a use); a refusal is 422 naming why and writes nothing.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Valid(body): Valid<CartCoupon>,
) -> Result<Json<Value>, ApiError> {
    let code = normalise(&body.code);
    let db = state.infra.db();
    let cart = carts::get(db, &caller.id).await?;
    let lines = cart.lines();
    let ids: Vec<_> = lines.iter().map(|(id, _)| *id).collect();
    let call = shared::client::Call::from_headers(&headers);
    let (products, tier) = tokio::join!(
        state.upstream.products(&ids, &call),
        discounts::tier(&state, &caller.id, &headers)
    );
    let (products, tier) = (products?, tier?);
    let subtotals = lines.iter().zip(&products).filter_map(|((_, line), p)| {
        let units = u32::try_from(line.quantity).ok()?;
        p.as_ref()?.price.times(units)
    });
    let subtotal = shared::Money::sum(subtotals).unwrap_or(shared::Money::MAX);
    if let Err(refusal) = discounts::check(&state, &code, &caller.id, &tier, subtotal).await? {
        return Err(refusal.into_error(&code));
    }
    carts::set_coupon(db, &caller.id, &code).await?;
    super::cart::view(&state, &caller.id, &headers).await
}

/// `DELETE /cart/coupon`: the cart without its coupon.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn take_off(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    carts::remove_coupon(state.infra.db(), &caller.id).await?;
    super::cart::view(&state, &caller.id, &headers).await
}
