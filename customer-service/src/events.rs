//! What customer-service consumes: for the wishlist, see [`wishlist`]; for loyalty:
//! - `order.status_changed` into `DELIVERED` earns the order's customer one point per whole
//!   currency unit of the order's total (the event carries the order as the API shows it,
//!   `total` and `quote` included); into `PROCESSING` (stock reserved and, with the payment
//!   step, the payment authorised) spends the points the order held; into `REJECTED` (stock,
//!   payment declined, or the saga's deadline) or `CANCELLED` gives them back.
//! - `payment.refunded` takes back the points the refunded order earned (its share, for a part).
//!
//! Every move is idempotent (see `store::loyalty` and `domain::loyalty::moves`), so
//! redeliveries and repeated events change nothing.

pub mod wishlist;

use bson::oid::ObjectId;
use mongodb::Database;
use serde::Deserialize;
use shared::{
    Money,
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology},
    outbox::Nudge,
};

use crate::{
    domain::loyalty::points_for,
    store::loyalty::{self, Change, Delivery},
};

/// The part of `order.status_changed` this service reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusChanged {
    order_id: String,
    customer_id: String,
    new_status: String,
    #[serde(default)]
    at: Option<String>,
    order: serde_json::Value,
}

/// Starts consuming [`topology::CUSTOMER_LOYALTY`]; `outbox` hears of every credit.
pub fn start(bus: &Bus, db: Database, outbox: Nudge) -> Consuming {
    bus.consume(
        ConsumerSpec::from(topology::CUSTOMER_LOYALTY),
        move |event| {
            let db = db.clone();
            let outbox = outbox.clone();
            async move {
                if apply(&db, &event).await? {
                    outbox.nudge_collection(crate::store::customers::COLLECTION);
                }
                Ok(())
            }
        },
    )
}

/// Applies one event; whether the account changed.
#[tracing::instrument(skip_all, fields(event.id = %event.id, event.kind = %event.kind))]
async fn apply(db: &Database, event: &Envelope) -> Result<bool, HandlerError> {
    if event.kind == keys::PAYMENT_REFUNDED {
        return refunded(db, event).await;
    }
    if event.kind != keys::ORDER_STATUS_CHANGED {
        return Ok(false);
    }
    let change: StatusChanged = event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("not an order.status_changed: {e}")))?;
    let Ok(customer) = ObjectId::parse_str(&change.customer_id) else {
        tracing::warn!(customer.id = %change.customer_id, "an order of no stored customer");
        return Ok(false);
    };
    let at = change
        .at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map_or(event.occurred_at, |at| at.with_timezone(&chrono::Utc));
    let order = change.order_id.as_str();
    let moved = match change.new_status.as_str() {
        "DELIVERED" => return delivered(db, event, &change, customer, at).await,
        "PROCESSING" => {
            move_points(db, customer, &event.correlation_id, |a| a.spend(order, at)).await?
        }
        "REJECTED" | "CANCELLED" => {
            move_points(db, customer, &event.correlation_id, |a| {
                a.release(order, at)
            })
            .await?
        }
        _ => false,
    };
    Ok(moved)
}

/// Applies a move to the account (stored only when `apply` says it moved something).
async fn move_points(
    db: &Database,
    customer: ObjectId,
    correlation_id: &str,
    apply: impl Fn(&mut crate::domain::loyalty::Account) -> bool,
) -> Result<bool, HandlerError> {
    let changed = loyalty::change(db, customer, correlation_id, |account| {
        Ok(if apply(account) {
            Change::Write(())
        } else {
            Change::Keep(())
        })
    })
    .await?;
    Ok(matches!(changed, Some((_, Change::Write(())))))
}

/// A delivered order earns points, once.
async fn delivered(
    db: &Database,
    event: &Envelope,
    change: &StatusChanged,
    customer: ObjectId,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool, HandlerError> {
    let total = Money::from_json(&change.order["total"])
        .map_err(|e| HandlerError::Reject(format!("order.total: {e}")))?;
    let points = points_for(total);
    if points == 0 {
        return Ok(false);
    }
    // What the customer paid (with shipping and tax), the base of a refund's share.
    let paid = Money::from_json(&change.order["quote"]["total"]).ok();
    let delivery = Delivery {
        customer,
        order: &change.order_id,
        points,
        paid,
        at,
        correlation_id: &event.correlation_id,
    };
    Ok(loyalty::credit(db, &delivery).await?.is_some())
}

/// `payment.refunded` as this service reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Refunded {
    order_id: String,
    customer_id: String,
    amount: serde_json::Value,
    #[serde(default)]
    provider_ref: Option<String>,
}

/// A refund takes back the points its order earned (its share), once per refund: known by the
/// provider's reference, or the event's id without one.
async fn refunded(db: &Database, event: &Envelope) -> Result<bool, HandlerError> {
    let refund: Refunded = event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("not a payment.refunded: {e}")))?;
    let amount = Money::from_json(&refund.amount)
        .map_err(|e| HandlerError::Reject(format!("amount: {e}")))?;
    let Ok(customer) = ObjectId::parse_str(&refund.customer_id) else {
        tracing::warn!(customer.id = %refund.customer_id, "a refund of no stored customer");
        return Ok(false);
    };
    let key = refund
        .provider_ref
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| event.id.to_string());
    let at = event.occurred_at;
    let changed = loyalty::change(db, customer, &event.correlation_id, |account| {
        let before = account.history.len();
        let taken = account.take_back(&refund.order_id, &key, amount, at);
        // A refund of an order that earned nothing (not delivered) leaves no trace.
        Ok(if account.history.len() > before {
            tracing::info!(order.id = %refund.order_id, taken, "points taken back on a refund");
            Change::Write(())
        } else {
            Change::Keep(())
        })
    })
    .await?;
    Ok(matches!(changed, Some((_, Change::Write(())))))
}
