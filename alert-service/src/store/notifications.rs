//! The `notifications` collection: one document per notification, unique by the event it was
//! made from (the consumer's inbox), carrying in the same document its `notification.created`
//! (the embedded outbox of [`shared::outbox`]) and, when it is mailed, its mail and the mail's
//! delivery state (see [`super::mail`]). One insert is the whole effect of an event, so a
//! redelivery can neither make a second notification nor queue a second mail.

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel, options::IndexOptions};
use serde::Deserialize;
use shared::{
    ApiError,
    events::{Envelope, keys},
    outbox,
    store::compat,
};

use crate::domain::{
    alert::rfc3339,
    letter::Letter,
    notification::{Category, Kind, NewNotification, Notification},
};

/// The collection name.
pub const COLLECTION: &str = "notifications";

/// Unique `eventId`; a customer's list; the mail queue.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let notifications = db.collection::<Document>(COLLECTION);
    notifications
        .create_index(
            IndexModel::builder()
                .keys(doc! { "eventId": 1 })
                .options(IndexOptions::builder().unique(true).build())
                .build(),
        )
        .await?;
    for keys in [
        doc! { "customerId": 1, "createdAt": -1 },
        doc! { "mailState": 1, "mailNextAt": 1 },
    ] {
        notifications
            .create_index(IndexModel::builder().keys(keys).build())
            .await?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    #[serde(rename = "_id")]
    id: ObjectId,
    customer_id: String,
    kind: Kind,
    category: Category,
    title: String,
    message: String,
    order_id: Option<String>,
    #[serde(default)]
    details: serde_json::Map<String, serde_json::Value>,
    #[serde(deserialize_with = "compat::date")]
    created_at: chrono::DateTime<chrono::Utc>,
    #[serde(default, deserialize_with = "compat::optional_date")]
    read_at: Option<chrono::DateTime<chrono::Utc>>,
    event_id: String,
}

fn from_document(document: Document) -> Result<Notification, ApiError> {
    let stored: Stored = bson::from_document(document).map_err(ApiError::internal)?;
    Ok(Notification {
        id: stored.id.to_hex(),
        customer_id: stored.customer_id,
        kind: stored.kind,
        category: stored.category,
        title: stored.title,
        message: stored.message,
        order_id: stored.order_id,
        details: stored.details,
        read: stored.read_at.is_some(),
        read_at: stored.read_at.map(rfc3339),
        created_at: rfc3339(stored.created_at),
        event_id: stored.event_id,
    })
}

/// Stores `new`, made from event `event_id`, with `notification.created` in its outbox and
/// `letter` queued for the mail worker, and hands the event to the relay (a new document
/// holds no other). `None` when that event already made its notification.
pub async fn insert(
    db: &Database,
    relay: &outbox::Nudge,
    new: &NewNotification,
    event_id: &str,
    letter: Option<&Letter>,
    correlation_id: &str,
) -> Result<Option<Notification>, ApiError> {
    let id = ObjectId::new();
    let now = chrono::Utc::now();
    let notification = Notification {
        id: id.to_hex(),
        customer_id: new.customer_id.clone(),
        kind: new.kind,
        category: new.kind.category(),
        title: new.title.clone(),
        message: new.message.clone(),
        order_id: new.order_id.clone(),
        details: new.details.clone(),
        read: false,
        read_at: None,
        created_at: rfc3339(now),
        event_id: event_id.to_owned(),
    };
    let created = Envelope::new(
        keys::NOTIFICATION_CREATED,
        crate::DEFAULTS.name,
        correlation_id,
        &notification,
    )
    .to_value()
    .map_err(ApiError::internal)?;
    let details = bson::to_document(&new.details).map_err(ApiError::internal)?;
    let mut document = doc! {
        "_id": id,
        "eventId": event_id,
        "customerId": &new.customer_id,
        "kind": new.kind.as_str(),
        "category": new.kind.category().as_str(),
        "title": &new.title,
        "message": &new.message,
        "orderId": new.order_id.clone(),
        "details": details,
        "createdAt": bson::DateTime::from_chrono(now),
        "read": false,
    };
    if let Some(letter) = letter {
        document.extend(super::mail::queued(id, letter)?);
    }
    let keyed = outbox::keyed(&[created]).map_err(ApiError::internal)?;
    document.extend(outbox::initial_keyed(&keyed));
    match db
        .collection::<Document>(COLLECTION)
        .insert_one(document)
        .await
    {
        Ok(_) => {
            relay.hand(COLLECTION, id, keyed);
            Ok(Some(notification))
        }
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn query(customer_id: &str, unread: Option<bool>) -> Document {
    let mut query = doc! { "customerId": customer_id };
    // `readAt` is absent until read: `$exists`, not `$ne: null`, which the stand-in also
    // matches on missing fields.
    match unread {
        Some(true) => query.insert("readAt", Bson::Null),
        Some(false) => query.insert("readAt", doc! { "$exists": true }),
        None => None,
    };
    query
}

/// A page of `customer_id`'s notifications, newest first; the total and the unread count.
pub async fn page(
    db: &Database,
    customer_id: &str,
    unread: Option<bool>,
    page: u64,
    limit: u64,
) -> Result<(Vec<Notification>, u64, u64), ApiError> {
    let notifications = db.collection::<Document>(COLLECTION);
    let wanted = query(customer_id, unread);
    let total = notifications.count_documents(wanted.clone()).await?;
    let unread_count = notifications
        .count_documents(query(customer_id, Some(true)))
        .await?;
    let found: Vec<Document> = notifications
        .find(wanted)
        .projection(doc! { outbox::FIELD: 0, "mail": 0 })
        .sort(doc! { "createdAt": -1, "_id": -1 })
        .skip((page - 1) * limit)
        .limit(i64::try_from(limit).unwrap_or(100))
        .await?
        .try_collect()
        .await?;
    let found = found
        .into_iter()
        .map(from_document)
        .collect::<Result<_, _>>()?;
    Ok((found, total, unread_count))
}

/// Marks `customer_id`'s notification `id` read (the first reading is kept) and returns it;
/// `None` when the customer has no such notification (someone else's is not theirs to see).
pub async fn mark_read(
    db: &Database,
    id: ObjectId,
    customer_id: &str,
) -> Result<Option<Notification>, ApiError> {
    let notifications = db.collection::<Document>(COLLECTION);
    let mine = doc! { "_id": id, "customerId": customer_id };
    let mut unread = mine.clone();
    unread.insert("readAt", Bson::Null);
    notifications
        .update_one(
            unread,
            doc! { "$set": { "read": true, "readAt": bson::DateTime::now() } },
        )
        .await?;
    notifications
        .find_one(mine)
        .projection(doc! { outbox::FIELD: 0, "mail": 0 })
        .await?
        .map(from_document)
        .transpose()
}

/// Marks every unread notification of `customer_id` read; how many were.
pub async fn mark_all_read(db: &Database, customer_id: &str) -> Result<u64, ApiError> {
    let result = db
        .collection::<Document>(COLLECTION)
        .update_many(
            query(customer_id, Some(true)),
            doc! { "$set": { "read": true, "readAt": bson::DateTime::now() } },
        )
        .await?;
    Ok(result.modified_count)
}

/// Removes every notification of `customer_id`, mail not yet sent included
/// (`customer.erased`); how many. Safe to repeat.
pub async fn forget(db: &Database, customer_id: &str) -> Result<u64, ApiError> {
    let result = db
        .collection::<Document>(COLLECTION)
        .delete_many(doc! { "customerId": customer_id })
        .await?;
    Ok(result.deleted_count)
}
