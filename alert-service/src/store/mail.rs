//! The mail queue kept on each mailed notification: `mail` (the [`Letter`], written once),
//! `mailMessageId` (stable, so a message sent twice is recognisable as one), `mailState`
//! (`pending`, `sent`, `failed`), `mailAttempts` and `mailNextAt` (epoch milliseconds, which
//! compare alike on MongoDB and the stand-in). A send is claimed by moving `mailNextAt` past
//! a lease with a conditional update, so two replicas never send the same attempt; a replica
//! that dies holding a claim leaves it to be taken again when the lease ends.
//!
//! Each attempt's outcome is staged as an event in the same update that records it
//! (`notification.mailed` or `notification.mail_failed`, [`MailDelivery`]), in the
//! notification's own outbox: analytics counts delivery from them, and an attempt recorded is
//! an attempt announced.

use bson::{Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::Database;
use shared::{
    ApiError,
    api::notifications::MailDelivery,
    events::{Envelope, keys},
    outbox,
};

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
        "mailQueuedAt": outbox::now_millis(),
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
    /// Whose notification it is.
    pub customer_id: String,
    /// The notification's kind.
    pub kind: String,
    /// When the mail was queued, epoch milliseconds.
    pub queued_ms: i64,
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
        .projection(
            doc! { "mail": 1, "mailMessageId": 1, "mailAttempts": 1, "mailNextAt": 1,
            "mailQueuedAt": 1, "customerId": 1, "kind": 1 },
        )
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
            customer_id: document
                .get_str("customerId")
                .unwrap_or_default()
                .to_owned(),
            kind: document.get_str("kind").unwrap_or("unknown").to_owned(),
            // Mail queued before `mailQueuedAt` was kept: its notification's creation second.
            queued_ms: int(&document, "mailQueuedAt")
                .unwrap_or_else(|| id.timestamp().timestamp_millis()),
        });
    }
    Ok(due)
}

/// What became of an attempt, for [`sent`] and [`failed`].
pub enum Outcome<'a> {
    /// Accepted by the SMTP server.
    Sent,
    /// Refused for now: tried again at `next_ms`.
    Retry {
        /// When.
        next_ms: i64,
        /// The server's answer.
        reason: &'a str,
    },
    /// Refused for good.
    Failed {
        /// The server's answer.
        reason: &'a str,
    },
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The event announcing attempt `attempt` of `due`'s mail, ended at `at_ms`.
fn announcement(
    due: &Due,
    attempt: u32,
    at_ms: i64,
    outcome: &Outcome<'_>,
) -> Result<Envelope, ApiError> {
    let (kind, name, reason) = match outcome {
        Outcome::Sent => (keys::NOTIFICATION_MAILED, "sent", None),
        Outcome::Retry { reason, .. } => (keys::NOTIFICATION_MAIL_FAILED, "retry", Some(*reason)),
        Outcome::Failed { reason } => (keys::NOTIFICATION_MAIL_FAILED, "failed", Some(*reason)),
    };
    let delivery = MailDelivery {
        notification_id: due.id.to_hex(),
        customer_id: due.customer_id.clone(),
        kind: due.kind.clone(),
        outcome: name.to_owned(),
        attempt,
        queued_at: rfc3339(due.queued_ms),
        at: rfc3339(at_ms),
        waited_ms: (at_ms - due.queued_ms).max(0),
        reason: reason.map(str::to_owned),
    };
    let correlation = format!("notification-{}", due.id.to_hex());
    Envelope::new(kind, crate::DEFAULTS.name, &correlation, &delivery)
        .to_value()
        .map_err(ApiError::internal)
}

/// Records attempt `attempts` of `due`'s mail and what became of it, with its announcement
/// staged in the same update.
pub async fn record(
    db: &Database,
    due: &Due,
    attempts: u32,
    outcome: Outcome<'_>,
) -> Result<(), ApiError> {
    let now = outbox::now_millis();
    let mut set = doc! { "mailAttempts": i64::from(attempts) };
    match &outcome {
        Outcome::Sent => {
            set.insert("mailState", SENT);
            set.insert("mailSentAt", now);
        }
        Outcome::Retry { next_ms, reason } => {
            set.insert("mailNextAt", *next_ms);
            set.insert("mailError", *reason);
        }
        Outcome::Failed { reason } => {
            set.insert("mailState", FAILED);
            set.insert("mailError", *reason);
        }
    }
    let mut update = doc! { "$set": set };
    let event = announcement(due, attempts, now, &outcome)?;
    outbox::stage(&mut update, &[event]).map_err(ApiError::internal)?;
    db.collection::<Document>(COLLECTION)
        .update_one(doc! { "_id": due.id }, update)
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

/// Mail counted in the backlog at most: beyond it the metric shows the cap.
pub const BACKLOG_CAP: u64 = 100_000;

/// The mail backlog now (at most [`BACKLOG_CAP`] counted: see `shared::store::count_up_to`
/// for why not `count_documents`). The oldest is found by `_id` (an ObjectId starts with its creation
/// second), which every server sorts alike and indexes.
pub async fn backlog(db: &Database) -> Result<Backlog, ApiError> {
    let notifications = db.collection::<Document>(COLLECTION);
    let filter = doc! { "mailState": PENDING };
    let pending = shared::store::count_up_to(&notifications, filter.clone(), BACKLOG_CAP).await?;
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
