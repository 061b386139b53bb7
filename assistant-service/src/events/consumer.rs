//! The consumer of `topology::ASSISTANT`.
//!
//! - `order.created`, `order.status_changed`: the customer's order goes into a small index in
//!   Redis (newest first), so a signed-in customer asking "where is my order?" without a
//!   number gets their latest order. The index is a sorted set keyed by order id, so a
//!   redelivered event changes nothing (no inbox needed).
//! - `product.created`, `product.updated`, `product.deleted`: acknowledged and otherwise
//!   ignored. `searchProducts` asks product-service, which owns the catalog and its search,
//!   at the moment of the question; a copy here would only be a second, staler index.

use serde_json::Value;
use shared::events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology};

use crate::session::Sessions;

/// Starts consuming; runs until the bus is cancelled.
pub fn start(bus: &Bus, sessions: Sessions) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::ASSISTANT), move |event| {
        let sessions = sessions.clone();
        async move { handle(&sessions, event).await }
    })
}

#[tracing::instrument(skip_all, fields(event.type = %event.kind))]
async fn handle(sessions: &Sessions, event: Envelope) -> Result<(), HandlerError> {
    let data = &event.data;
    let (customer, order, placed) = match event.kind.as_str() {
        keys::ORDER_CREATED => (&data["customerId"], &data["orderId"], &data["createdAt"]),
        keys::ORDER_STATUS_CHANGED => (
            &data["customerId"],
            &data["orderId"],
            &data["order"]["createdAt"],
        ),
        // See the module doc: the catalog is searched where it lives.
        _ => return Ok(()),
    };
    let (Some(customer), Some(order)) = (customer.as_str(), order.as_str()) else {
        return Err(HandlerError::Reject(format!(
            "{} without customerId or orderId",
            event.kind
        )));
    };
    let placed_ms = placed_at(placed).unwrap_or_else(|| event.occurred_at.timestamp_millis());
    sessions
        .record_order(customer, order, placed_ms)
        .await
        .map_err(HandlerError::from)
}

fn placed_at(value: &Value) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(value.as_str()?)
        .ok()
        .map(|d| d.timestamp_millis())
}
