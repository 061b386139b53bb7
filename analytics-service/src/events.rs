//! What analytics consumes: every event on the bus, kept in the `event_log` collection keyed
//! by event id. The id as `_id` is the inbox: a redelivered event hits the unique key and
//! changes nothing. The read models of issue 7 are built from the same stream.

use bson::{Document, doc};
use mongodb::Database;
use shared::events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, topology};

/// The collection every consumed event lands in.
pub const EVENT_LOG: &str = "event_log";

/// Starts consuming every routing key into the event log.
pub fn start(bus: &Bus, db: Database) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::ANALYTICS), move |event| {
        let db = db.clone();
        async move { record(&db, event).await }
    })
}

#[tracing::instrument(skip_all, fields(event.id = %event.id))]
async fn record(db: &Database, event: Envelope) -> Result<(), HandlerError> {
    let data = bson::to_bson(&event.data).map_err(|e| HandlerError::Reject(e.to_string()))?;
    let entry = doc! {
        "_id": event.id.to_string(),
        "type": &event.kind,
        "source": &event.source,
        "occurredAt": bson::DateTime::from_chrono(event.occurred_at),
        "correlationId": &event.correlation_id,
        "version": i64::from(event.version),
        "data": data,
        "receivedAt": bson::DateTime::now(),
    };
    match db.collection::<Document>(EVENT_LOG).insert_one(entry).await {
        Ok(_) => Ok(()),
        Err(e) if shared::store::is_duplicate_key(&e) => {
            tracing::debug!("event already recorded");
            Ok(())
        }
        Err(e) => Err(HandlerError::Retry(e.to_string())),
    }
}
