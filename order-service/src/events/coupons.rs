//! Giving a coupon's use back (issue 15): order-service hears its own `order.status_changed`
//! on the durable queue `ORDER_COUPONS`, and when an order that counted a coupon's use ends
//! `REJECTED` (stock refused, or the saga's deadline) or `CANCELLED`, gives that use back
//! ([`crate::store::coupons::give_back`]). The give-back is guarded by the redemption not
//! being returned yet, so a redelivered event (or both a late retry and the first delivery)
//! gives back once. Reading the order here, rather than trusting the payload, finds its
//! request key, which names the redemption.

use bson::oid::ObjectId;
use shared::events::{Envelope, HandlerError, keys};

use super::payloads::StatusChanged;
use crate::{domain::Status, lifecycle::Orders, store};

/// Handles one `order.status_changed`.
#[tracing::instrument(skip_all, fields(event.type = %event.kind, event.id = %event.id))]
pub async fn handle(orders: &Orders, event: Envelope) -> Result<(), HandlerError> {
    if event.kind != keys::ORDER_STATUS_CHANGED {
        return Ok(());
    }
    let change: StatusChanged = event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("malformed {} payload: {e}", event.kind)))?;
    if !matches!(change.new_status, Status::Rejected | Status::Cancelled) {
        return Ok(());
    }
    let id = ObjectId::parse_str(&change.order_id)
        .map_err(|_| HandlerError::Reject(format!("not an order id: {:?}", change.order_id)))?;
    let Some(order) = store::orders::by_id(&orders.db, id).await? else {
        tracing::warn!(order.id = %id, "an order ended that is not stored here; ignored");
        return Ok(());
    };
    let Some(code) = order.coupon.as_deref() else {
        return Ok(());
    };
    let given = store::coupons::give_back(&orders.db, code, &order.request_key).await?;
    tracing::info!(order.id = %id, coupon = code, given, status = %change.new_status, "coupon use given back");
    if given {
        metrics::counter!("coupon_uses_given_back_total").increment(1);
    }
    Ok(())
}
