//! The consumer of `order.status_changed` on [`topology::PRODUCT_PURCHASES`]: an order that
//! became `DELIVERED` records, for each product it holds, that its customer received it (the
//! right to review it). Other statuses are acknowledged and ignored.
//!
//! Recording is an upsert by customer and product, so a redelivered event, or a second order
//! of the same product, changes nothing. A payload that can never be applied (wrong shape, no
//! lines, a line without a product id) is rejected and dead-lettered; a database failure is
//! retried.

use bson::oid::ObjectId;
use serde::Deserialize;
use shared::events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology};

use crate::store::reviews::Reviews;

/// The part of `order.status_changed` read here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusChanged {
    order_id: String,
    customer_id: String,
    new_status: String,
    order: Order,
}

/// The order as the API shows it: only its lines matter here.
#[derive(Debug, Deserialize)]
struct Order {
    items: Vec<Line>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    product_id: String,
}

/// Starts consuming delivered orders.
pub fn start(bus: &Bus, reviews: Reviews) -> Consuming {
    bus.consume(
        ConsumerSpec::from(topology::PRODUCT_PURCHASES),
        move |event| {
            let reviews = reviews.clone();
            async move { handle(&reviews, &event).await }
        },
    )
}

/// Applies one event.
#[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
pub async fn handle(reviews: &Reviews, event: &Envelope) -> Result<(), HandlerError> {
    if event.kind != keys::ORDER_STATUS_CHANGED {
        return Err(HandlerError::Reject(format!(
            "not an order.status_changed: {}",
            event.kind
        )));
    }
    if event.version != 1 {
        return Err(HandlerError::Reject(format!(
            "unsupported version {} of {}",
            event.version, event.kind
        )));
    }
    let change: StatusChanged = event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("malformed order.status_changed: {e}")))?;
    if change.new_status != "DELIVERED" {
        return Ok(());
    }
    let products = change
        .order
        .items
        .iter()
        .map(|l| ObjectId::parse_str(&l.product_id))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HandlerError::Reject(format!("a line's productId: {e}")))?;
    if products.is_empty() || change.customer_id.is_empty() {
        return Err(HandlerError::Reject(
            "a delivered order without lines or customer".to_owned(),
        ));
    }
    let mut new = 0;
    for product in products {
        if reviews
            .record_purchase(&change.customer_id, product, &change.order_id)
            .await?
        {
            new += 1;
        }
    }
    tracing::info!(order.id = %change.order_id, new, "delivered order recorded");
    Ok(())
}
