//! The `alerts` collection: one document per alert, unique by the event it was made from.
//!
//! An alert is inserted together with its `alert.sent` event (the embedded outbox of
//! [`shared::outbox`]) in one write, so an alert is never stored without being announced.
//! Alerts are ordered by `seq`, drawn from a counter before the insert: ObjectIds made on
//! different replicas in the same second do not sort by time, and replays must not skip one.

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel, options::IndexOptions, options::ReturnDocument};
use serde::Deserialize;
use shared::{
    ApiError,
    events::{Envelope, keys},
    outbox,
    store::compat,
};

use super::int;
use crate::domain::{Alert, Entity, NewAlert, Severity, Topic, alert::rfc3339};

/// The collection name.
pub const COLLECTION: &str = "alerts";
/// The counter collection.
const COUNTERS: &str = "counters";

/// Unique `eventId`; `seq` for listing and replays; the webhook queue.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let alerts = db.collection::<Document>(COLLECTION);
    let unique = IndexOptions::builder().unique(true).build();
    alerts
        .create_index(
            IndexModel::builder()
                .keys(doc! { "eventId": 1 })
                .options(unique)
                .build(),
        )
        .await?;
    for keys in [
        doc! { "seq": -1 },
        doc! { "customerId": 1, "seq": -1 },
        doc! { "webhookState": 1, "webhookNextAt": 1 },
    ] {
        alerts
            .create_index(IndexModel::builder().keys(keys).build())
            .await?;
    }
    Ok(())
}

/// The stored form; dates and flags written by updates are read through [`compat`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    #[serde(rename = "_id")]
    id: ObjectId,
    #[serde(rename = "type")]
    kind: String,
    topic: Topic,
    severity: Severity,
    title: String,
    message: String,
    entity: Entity,
    customer_id: Option<String>,
    event_id: String,
    #[serde(deserialize_with = "compat::date")]
    created_at: chrono::DateTime<chrono::Utc>,
    #[serde(default, deserialize_with = "compat::boolean")]
    acknowledged: bool,
    #[serde(default, deserialize_with = "compat::optional_date")]
    acknowledged_at: Option<chrono::DateTime<chrono::Utc>>,
    acknowledged_by: Option<String>,
}

/// Reads a stored document as an alert.
pub fn from_document(document: Document) -> Result<Alert, ApiError> {
    let seq = int(&document, "seq").unwrap_or_default();
    let stored: Stored = bson::from_document(document).map_err(ApiError::internal)?;
    Ok(Alert {
        id: stored.id.to_hex(),
        sequence: seq,
        kind: stored.kind,
        topic: stored.topic,
        severity: stored.severity,
        title: stored.title,
        message: stored.message,
        entity: stored.entity,
        customer_id: stored.customer_id,
        event_id: stored.event_id,
        created_at: rfc3339(stored.created_at),
        acknowledged: stored.acknowledged,
        acknowledged_at: stored.acknowledged_at.map(rfc3339),
        acknowledged_by: stored.acknowledged_by,
    })
}

/// The next alert sequence number (gaps are possible; order is what matters).
pub async fn next_sequence(db: &Database) -> Result<i64, ApiError> {
    let counter = db
        .collection::<Document>(COUNTERS)
        .find_one_and_update(doc! { "_id": COLLECTION }, doc! { "$inc": { "seq": 1i64 } })
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await?
        .ok_or_else(|| ApiError::internal("the alert counter was not returned"))?;
    int(&counter, "seq").ok_or_else(|| ApiError::internal("the alert counter is not a number"))
}

/// Stores `new`, made from event `event_id`, with `alert.sent` in its outbox, and hands the
/// event to the relay (a new document holds no other). `None` when that event already made
/// its alert (a redelivery).
pub async fn insert(
    db: &Database,
    relay: &outbox::Nudge,
    new: &NewAlert,
    event_id: &str,
    seq: i64,
    webhook: bool,
    correlation_id: &str,
) -> Result<Option<Alert>, ApiError> {
    let id = ObjectId::new();
    let now = chrono::Utc::now();
    let alert = Alert {
        id: id.to_hex(),
        sequence: seq,
        kind: new.kind.clone(),
        topic: new.topic,
        severity: new.severity,
        title: new.title.clone(),
        message: new.message.clone(),
        entity: new.entity.clone(),
        customer_id: new.customer_id.clone(),
        event_id: event_id.to_owned(),
        created_at: rfc3339(now),
        acknowledged: false,
        acknowledged_at: None,
        acknowledged_by: None,
    };
    let sent = Envelope::new(
        keys::ALERT_SENT,
        crate::DEFAULTS.name,
        correlation_id,
        &alert,
    )
    .to_value()
    .map_err(ApiError::internal)?;
    let mut document = doc! {
        "_id": id,
        "seq": seq,
        "eventId": event_id,
        "type": &new.kind,
        "topic": new.topic.as_str(),
        "severity": new.severity.as_str(),
        "title": &new.title,
        "message": &new.message,
        "entity": { "type": &new.entity.kind, "id": &new.entity.id },
        "customerId": new.customer_id.clone(),
        "createdAt": bson::DateTime::from_chrono(now),
        "acknowledged": false,
    };
    if webhook {
        document.insert("webhookState", super::webhooks::PENDING);
        document.insert("webhookAttempts", 0i64);
        document.insert("webhookNextAt", bson::DateTime::now().timestamp_millis());
    }
    let keyed = outbox::keyed(&[sent]).map_err(ApiError::internal)?;
    document.extend(outbox::initial_keyed(&keyed));
    match db
        .collection::<Document>(COLLECTION)
        .insert_one(document)
        .await
    {
        Ok(_) => {
            relay.hand(COLLECTION, id, keyed);
            Ok(Some(alert))
        }
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Which alerts a listing or a replay wants.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this customer's (customers see their own only).
    pub customer_id: Option<String>,
    /// Only these topics (`None`: all).
    pub topics: Option<Vec<Topic>>,
    /// Only this type.
    pub kind: Option<String>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only acknowledged ones, or only open ones.
    pub acknowledged: Option<bool>,
}

impl Filter {
    fn query(&self) -> Document {
        let mut query = doc! {};
        if let Some(id) = &self.customer_id {
            query.insert("customerId", id);
        }
        if let Some(topics) = &self.topics {
            let names: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
            query.insert("topic", doc! { "$in": names });
        }
        if let Some(kind) = &self.kind {
            query.insert("type", kind);
        }
        if let Some(severity) = self.severity {
            query.insert("severity", severity.as_str());
        }
        // `acknowledgedAt` is set with the flag and absent before: matching on its presence
        // works whether the flag came back as a boolean or (on the stand-in) as an integer.
        // `$exists`, not `$ne: null`, which matches missing fields too on the stand-in.
        match self.acknowledged {
            Some(true) => query.insert("acknowledgedAt", doc! { "$exists": true }),
            Some(false) => query.insert("acknowledgedAt", Bson::Null),
            None => None,
        };
        query
    }
}

/// A page of alerts, newest first, and the total.
pub async fn page(
    db: &Database,
    filter: &Filter,
    page: u64,
    limit: u64,
) -> Result<(Vec<Alert>, u64), ApiError> {
    let alerts = db.collection::<Document>(COLLECTION);
    let query = filter.query();
    let total = alerts.count_documents(query.clone()).await?;
    let found: Vec<Document> = alerts
        .find(query)
        .projection(doc! { outbox::FIELD: 0 })
        .sort(doc! { "seq": -1 })
        .skip((page - 1) * limit)
        .limit(i64::try_from(limit).unwrap_or(100))
        .await?
        .try_collect()
        .await?;
    let found = found
        .into_iter()
        .map(from_document)
        .collect::<Result<_, _>>()?;
    Ok((found, total))
}

/// The sequence number of alert `id`, if it exists.
pub async fn sequence_of(db: &Database, id: ObjectId) -> Result<Option<i64>, ApiError> {
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": id })
        .projection(doc! { "seq": 1 })
        .await?;
    Ok(found.and_then(|d| int(&d, "seq")))
}

/// Alerts after sequence number `after` that `filter` wants, oldest first, at most `limit`.
pub async fn after(
    db: &Database,
    after: i64,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<Alert>, ApiError> {
    let mut query = filter.query();
    query.insert("seq", doc! { "$gt": after });
    let found: Vec<Document> = db
        .collection::<Document>(COLLECTION)
        .find(query)
        .projection(doc! { outbox::FIELD: 0 })
        .sort(doc! { "seq": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    found.into_iter().map(from_document).collect()
}

/// Marks alert `id` acknowledged by `by` (once: the first acknowledgement is kept) and
/// returns it; `None` when there is no such alert.
pub async fn acknowledge(db: &Database, id: ObjectId, by: &str) -> Result<Option<Alert>, ApiError> {
    let alerts = db.collection::<Document>(COLLECTION);
    alerts
        .update_one(
            doc! { "_id": id, "acknowledgedAt": Bson::Null },
            doc! { "$set": {
                "acknowledged": true,
                "acknowledgedAt": bson::DateTime::now(),
                "acknowledgedBy": by,
            } },
        )
        .await?;
    alerts
        .find_one(doc! { "_id": id })
        .projection(doc! { outbox::FIELD: 0 })
        .await?
        .map(from_document)
        .transpose()
}
