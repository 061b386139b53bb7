//! MongoDB of assistant-service: a record of every reply and every escalation, each written
//! together with its event (the outbox), so neither event is lost while the broker is down.

use bson::{Document, doc};
use mongodb::Database;
use shared::{ApiError, events::Envelope, outbox};

/// Answered messages: one document per batch of replies written together.
pub const REPLIES: &str = "replies";
/// One document per complaint handed to a person.
pub const ESCALATIONS: &str = "escalations";
/// One document per refused request for other customers' data or for breaking into the
/// shop's systems, with its `assistant.wrongdoing` event (issue 21).
pub const SECURITY_INCIDENTS: &str = "security_incidents";

/// Inserts `record` into `collection` with `event` pending in its outbox.
pub async fn insert_with_event<T: serde::Serialize>(
    db: &Database,
    collection: &str,
    record: &T,
    event: &Envelope,
) -> Result<(), ApiError> {
    let mut document: Document = bson::to_document(record).map_err(ApiError::internal)?;
    document.insert("_id", event.id.to_string());
    document.insert("at", bson::DateTime::from_chrono(event.occurred_at));
    document.extend(outbox::initial(std::slice::from_ref(event)).map_err(ApiError::internal)?);
    db.collection::<Document>(collection)
        .insert_one(document)
        .await?;
    Ok(())
}

/// Inserts one document holding `batch` (each reply with its event id) with every event
/// pending in its outbox: `{_id, at, count, replies: [...], outbox, outboxCount}`.
pub async fn insert_replies<T: serde::Serialize>(
    db: &Database,
    batch: &[(T, Envelope)],
) -> Result<(), ApiError> {
    let Some((_, first)) = batch.first() else {
        return Ok(());
    };
    let mut replies = Vec::with_capacity(batch.len());
    let mut events = Vec::with_capacity(batch.len());
    for (reply, event) in batch {
        let mut document: Document = bson::to_document(reply).map_err(ApiError::internal)?;
        document.insert("eventId", event.id.to_string());
        document.insert("at", bson::DateTime::from_chrono(event.occurred_at));
        replies.push(document);
        events.push(event.clone());
    }
    let mut document = doc! {
        "_id": uuid::Uuid::now_v7().to_string(),
        "at": bson::DateTime::from_chrono(first.occurred_at),
        "count": i64::try_from(replies.len()).unwrap_or(i64::MAX),
        "replies": replies,
    };
    document.extend(outbox::initial(&events).map_err(ApiError::internal)?);
    db.collection::<Document>(REPLIES)
        .insert_one(document)
        .await?;
    Ok(())
}

/// Indexes the relay and look-ups rely on; retried in the background until MongoDB answers.
/// Creates the assistant's indexes (run by the start-up with backoff until they exist).
pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let index = mongodb::IndexModel::builder()
        .keys(doc! { "sessionId": 1 })
        .build();
    db.collection::<Document>(ESCALATIONS)
        .create_index(index)
        .await?;
    crate::support::store::create_indexes(db).await
}
