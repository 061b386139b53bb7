//! The mail queue kept on each mailed notification: `mail` (the [`Letter`], written once),
//! `mailMessageId` (stable, so a message sent twice is recognisable as one), `mailState`
//! (`pending`, `sent`, `failed`), `mailAttempts` and `mailNextAt` (epoch milliseconds, which
//! compare alike on MongoDB and the stand-in). A send is claimed by moving `mailNextAt` past
//! a lease with a conditional update, so two replicas never send the same attempt; a replica
//! that dies holding a claim leaves it to be taken again when the lease ends.

use bson::{Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::Database;
use shared::{ApiError, outbox};

use super::{int, notifications::COLLECTION};
use crate::domain::letter::Letter;

/// Waiting for (another) attempt.
pub const PENDING: &str = "pending";
/// Accepted by the SMTP server.
pub const SENT: &str = "sent";
/// Refused for good by the SMTP server (a permanent 5xx answer, e.g. an unknown mailbox).
pub const FAILED: &str = "failed";

/// The mail fields of a new notification `id` that mails `letter`.
pub fn queued(id: ObjectId, letter: &Letter) -> Result<Document, ApiError> {
    Ok(doc! {
        "mail": bson::to_document(letter).map_err(ApiError::internal)?,
        "mailMessageId": message_id(id),
        "mailState": PENDING,
        "mailAttempts": 0i64,
        "mailNextAt": outbox::now_millis(),
    })
}

/// `<notification-<id>@alert-service.shop>`: the same for every attempt, so a mail sent
/// twice (see [`crate::mail`]) is recognisable as one message.
pub fn message_id(id: ObjectId) -> String {
    format!("<notification-{}@alert-service.shop>", id.to_hex())
}

/// One mail due now.
#[derive(Debug)]
pub struct Due {
    /// The notification's id.
    pub id: ObjectId,
    /// What to send.
    pub letter: Letter,
    /// Its Message-ID.
    pub message_id: String,
    /// Attempts made so far.
    pub attempts: u32,
}

/// Mail due at `now_ms`, oldest first, each claimed for `lease_ms`.
pub async fn claim_due(
    db: &Database,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Due>, ApiError> {
    let notifications = db.collection::<Document>(COLLECTION);
    let candidates: Vec<Document> = notifications
        .find(doc! { "mailState": PENDING, "mailNextAt": { "$lte": now_ms } })
        .projection(doc! { "mail": 1, "mailMessageId": 1, "mailAttempts": 1, "mailNextAt": 1 })
        .sort(doc! { "mailNextAt": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    let mut due = Vec::new();
    for document in candidates {
        let (Ok(id), Some(next_at)) = (document.get_object_id("_id"), int(&document, "mailNextAt"))
        else {
            continue;
        };
        let claimed = notifications
            .update_one(
                doc! { "_id": id, "mailState": PENDING, "mailNextAt": next_at },
                doc! { "$set": { "mailNextAt": now_ms + lease_ms } },
            )
            .await?
            .modified_count
            == 1;
        if !claimed {
            continue;
        }
        let letter = document
            .get_document("mail")
            .map_err(ApiError::internal)
            .and_then(|m| bson::from_document(m.clone()).map_err(ApiError::internal))?;
        due.push(Due {
            id,
            letter,
            message_id: document
                .get_str("mailMessageId")
                .map_or_else(|_| message_id(id), str::to_owned),
            attempts: u32::try_from(int(&document, "mailAttempts").unwrap_or_default())
                .unwrap_or(0),
        });
    }
    Ok(due)
}

/// Records that the SMTP server accepted the mail.
pub async fn sent(db: &Database, id: ObjectId, attempts: u32) -> Result<(), ApiError> {
    db.collection::<Document>(COLLECTION)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": {
                "mailState": SENT,
                "mailAttempts": i64::from(attempts),
                "mailSentAt": outbox::now_millis(),
            } },
        )
        .await?;
    Ok(())
}

/// Records a failed attempt: retry at `next_ms`, or give up (`None`: refused for good).
pub async fn failed(
    db: &Database,
    id: ObjectId,
    attempts: u32,
    next_ms: Option<i64>,
    reason: &str,
) -> Result<(), ApiError> {
    let mut set = doc! { "mailAttempts": i64::from(attempts), "mailError": reason };
    match next_ms {
        Some(at) => set.insert("mailNextAt", at),
        None => set.insert("mailState", FAILED),
    };
    db.collection::<Document>(COLLECTION)
        .update_one(doc! { "_id": id }, doc! { "$set": set })
        .await?;
    Ok(())
}

/// Mail waiting to be sent: how much, and since when the oldest of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Mails `pending`.
    pub pending: u64,
    /// When the oldest of them was queued (its notification's creation).
    pub oldest: Option<chrono::DateTime<chrono::Utc>>,
}

/// The mail backlog now. The oldest is found by `_id` (an ObjectId starts with its creation
/// second), which every server sorts alike and indexes.
pub async fn backlog(db: &Database) -> Result<Backlog, ApiError> {
    let notifications = db.collection::<Document>(COLLECTION);
    let filter = doc! { "mailState": PENDING };
    let pending = notifications.count_documents(filter.clone()).await?;
    let oldest = if pending == 0 {
        None
    } else {
        notifications
            .find_one(filter)
            .sort(doc! { "_id": 1 })
            .projection(doc! { "_id": 1 })
            .await?
            .and_then(|d| d.get_object_id("_id").ok())
            .map(|id| id.timestamp().to_chrono())
    };
    Ok(Backlog { pending, oldest })
}
