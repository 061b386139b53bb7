//! What customer-service consumes: `order.status_changed` into `DELIVERED` earns the order's
//! customer one point per whole currency unit of the order's total (the event carries the
//! order as the API shows it, `total` included). Crediting is idempotent per order (see
//! `store::loyalty`), so redeliveries and repeated "delivered" events change nothing.

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
    store::loyalty::{self, Delivery},
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
                    outbox.nudge();
                }
                Ok(())
            }
        },
    )
}

/// Applies one event; whether points were credited.
#[tracing::instrument(skip_all, fields(event.id = %event.id, event.kind = %event.kind))]
async fn apply(db: &Database, event: &Envelope) -> Result<bool, HandlerError> {
    if event.kind != keys::ORDER_STATUS_CHANGED {
        return Ok(false);
    }
    let change: StatusChanged = event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("not an order.status_changed: {e}")))?;
    if change.new_status != "DELIVERED" {
        return Ok(false);
    }
    let Ok(customer) = ObjectId::parse_str(&change.customer_id) else {
        tracing::warn!(customer.id = %change.customer_id, "a delivered order of no stored customer");
        return Ok(false);
    };
    let total = Money::from_json(&change.order["total"])
        .map_err(|e| HandlerError::Reject(format!("order.total: {e}")))?;
    let points = points_for(total);
    if points == 0 {
        return Ok(false);
    }
    let at = change
        .at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map_or(event.occurred_at, |at| at.with_timezone(&chrono::Utc));
    let delivery = Delivery {
        customer,
        order: &change.order_id,
        points,
        at,
        correlation_id: &event.correlation_id,
    };
    Ok(loyalty::credit(db, &delivery).await?.is_some())
}
