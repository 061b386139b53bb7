//! What analytics consumes: every event on the bus ([`topology::ANALYTICS`] binds `#`).
//!
//! Each event is first applied to the read models ([`apply`], the checkout's events in
//! [`commerce`], returns, reviews and notifications in [`aftersales`]; every write there is idempotent by itself), then kept in the `event_log` collection keyed by event id. A
//! failure to apply is retried by the bus; a payload that can never be read is dead-lettered.

pub mod aftersales;
pub mod apply;
pub mod commerce;
pub mod order;

use mongodb::Database;
use shared::events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, topology};

use crate::live::Changes;

/// The collection every consumed event lands in.
pub const EVENT_LOG: &str = "event_log";

/// Starts consuming every routing key into the read models and the event log; `changes`
/// hears of every applied event.
pub fn start(bus: &Bus, db: Database, changes: Changes) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::ANALYTICS), move |event| {
        let db = db.clone();
        let changes = changes.clone();
        async move {
            apply::apply(&db, &event).await?;
            record(&db, &event).await?;
            changes.touch();
            Ok(())
        }
    })
}

#[tracing::instrument(skip_all, fields(event.id = %event.id))]
async fn record(db: &Database, event: &Envelope) -> Result<(), HandlerError> {
    let data = bson::to_bson(&event.data).map_err(|e| HandlerError::Reject(e.to_string()))?;
    let entry = bson::doc! {
        "_id": event.id.to_string(),
        "type": &event.kind,
        "source": &event.source,
        "occurredAt": bson::DateTime::from_chrono(event.occurred_at),
        "correlationId": &event.correlation_id,
        "version": i64::from(event.version),
        "data": data,
        "receivedAt": bson::DateTime::now(),
    };
    crate::store::facts::record(db, EVENT_LOG, entry)
        .await
        .map_err(HandlerError::from)
}
