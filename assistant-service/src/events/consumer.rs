//! The consumer of `topology::ASSISTANT`.
//!
//! - `order.created`, `order.status_changed`: the customer's order goes into a small index in
//!   Redis (newest first), so a signed-in customer asking "where is my order?" without a
//!   number gets their latest order. The index is a sorted set keyed by order id, so a
//!   redelivered event changes nothing (no inbox needed).
//! - `customer.erased`: the customer's sessions with their histories, their order index, their
//!   support conversations with every message, and their escalations go. Kept: the refused
//!   requests for wrongdoing (`security_incidents`, the shop's security record) and the reply
//!   log's figures (intent, latency; no text).
//! - `product.created`, `product.updated`, `product.deleted`: acknowledged and otherwise
//!   ignored. `searchProducts` asks product-service, which owns the catalog and its search,
//!   at the moment of the question; a copy here would only be a second, staler index.

use bson::doc;
use mongodb::Database;
use serde_json::Value;
use shared::{
    ApiError,
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology},
};

use crate::{session::Sessions, store, support};

/// Starts consuming; runs until the bus is cancelled.
pub fn start(bus: &Bus, sessions: Sessions, db: Database) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::ASSISTANT), move |event| {
        let sessions = sessions.clone();
        let db = db.clone();
        async move { handle(&sessions, &db, event).await }
    })
}

#[tracing::instrument(skip_all, fields(event.type = %event.kind))]
async fn handle(sessions: &Sessions, db: &Database, event: Envelope) -> Result<(), HandlerError> {
    let data = &event.data;
    if event.kind == keys::CUSTOMER_ERASED {
        let Some(customer) = data["customerId"].as_str() else {
            return Err(HandlerError::Reject(format!(
                "{} without customerId",
                event.kind
            )));
        };
        return forget(sessions, db, customer)
            .await
            .map_err(HandlerError::from);
    }
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

/// What is kept about `customer`, gone; safe to repeat.
async fn forget(sessions: &Sessions, db: &Database, customer: &str) -> Result<(), ApiError> {
    let chats = sessions.forget_customer(customer).await?;
    let conversations = support::store::forget_customer(db, customer).await?;
    let escalations = db
        .collection::<bson::Document>(store::ESCALATIONS)
        .delete_many(doc! { "customerId": customer })
        .await?;
    tracing::info!(
        customer.id = customer,
        sessions = chats,
        conversations,
        escalations = escalations.deleted_count,
        "customer forgotten"
    );
    Ok(())
}

fn placed_at(value: &Value) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(value.as_str()?)
        .ok()
        .map(|d| d.timestamp_millis())
}
