//! Giving a coupon's use back (issue 15) when the order that counted it ends: `CANCELLED`
//! (`order.cancelled`) or `REJECTED` at the saga's deadline (`order.expired`), both heard on
//! the durable queue `ORDER_COUPONS`, and `REJECTED` for want of stock, in the saga's own
//! consumer ([`super::stock`]) once its change is written. [`give_back_for`] reads the order
//! (its request key names the redemption) and gives back only for an order that ended so;
//! [`crate::store::coupons::give_back`] is guarded by the redemption not being returned yet,
//! so a redelivered event, or a second event about the same end, gives back once.
//! A declined payment (`payment.failed`, the order `REJECTED` in the same write) is heard on
//! `ORDER_COUPONS` too.

use bson::oid::ObjectId;
use shared::events::{Envelope, HandlerError, keys};

use crate::{domain::Status, lifecycle::Orders, store};

/// Handles one `order.cancelled`, `order.expired` or `payment.failed` (each names the order
/// in `orderId`).
#[tracing::instrument(skip_all, fields(event.type = %event.kind, event.id = %event.id))]
pub async fn handle(orders: &Orders, event: Envelope) -> Result<(), HandlerError> {
    if ![
        keys::ORDER_CANCELLED,
        keys::ORDER_EXPIRED,
        keys::PAYMENT_FAILED,
    ]
    .contains(&event.kind.as_str())
    {
        return Ok(());
    }
    let ended: Ended = event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("malformed {} payload: {e}", event.kind)))?;
    let id = ObjectId::parse_str(&ended.order_id)
        .map_err(|_| HandlerError::Reject(format!("not an order id: {:?}", ended.order_id)))?;
    give_back_for(orders, id).await
}

/// What the events heard here share: the order they are about.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ended {
    order_id: String,
}

/// Gives back the coupon use of order `id` if it ended `REJECTED` or `CANCELLED`; once.
pub async fn give_back_for(orders: &Orders, id: ObjectId) -> Result<(), HandlerError> {
    let Some(order) = store::orders::by_id(&orders.db, id).await? else {
        tracing::warn!(order.id = %id, "an order ended that is not stored here; ignored");
        return Ok(());
    };
    if !matches!(order.status, Status::Rejected | Status::Cancelled) {
        return Ok(());
    }
    let Some(code) = order.coupon.as_deref() else {
        return Ok(());
    };
    let given = store::coupons::give_back(&orders.db, code, &order.request_key).await?;
    tracing::info!(order.id = %id, coupon = code, given, status = %order.status, "coupon use given back");
    if given {
        metrics::counter!("coupon_uses_given_back_total").increment(1);
    }
    Ok(())
}
