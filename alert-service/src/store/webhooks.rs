//! The webhook delivery state kept on each alert: `webhookState` (`pending`, `sent`,
//! `failed`), `webhookAttempts` and `webhookNextAt` (epoch milliseconds, so that it compares
//! the same on MongoDB and the stand-in). A delivery is claimed by moving `webhookNextAt`
//! forward with a conditional update, so two replicas do not send the same attempt.

use bson::{Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::Database;
use shared::{ApiError, outbox};

use super::{alerts::COLLECTION, int};
use crate::domain::Alert;

/// Waiting for (another) delivery.
pub const PENDING: &str = "pending";
/// Delivered.
pub const SENT: &str = "sent";
/// Given up after the last attempt.
pub const FAILED: &str = "failed";

/// One due delivery.
pub struct Due {
    /// The alert.
    pub alert: Alert,
    /// Attempts made so far.
    pub attempts: u32,
}

/// Alerts whose delivery is due at `now_ms`, oldest first, each claimed for `lease_ms`.
pub async fn claim_due(
    db: &Database,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Due>, ApiError> {
    let alerts = db.collection::<Document>(COLLECTION);
    let candidates: Vec<Document> = alerts
        .find(doc! { "webhookState": PENDING, "webhookNextAt": { "$lte": now_ms } })
        .projection(doc! { outbox::FIELD: 0 })
        .sort(doc! { "seq": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    let mut due = Vec::new();
    for document in candidates {
        let (Ok(id), Some(next_at)) = (
            document.get_object_id("_id"),
            int(&document, "webhookNextAt"),
        ) else {
            continue;
        };
        let claimed = alerts
            .update_one(
                doc! { "_id": id, "webhookState": PENDING, "webhookNextAt": next_at },
                doc! { "$set": { "webhookNextAt": now_ms + lease_ms } },
            )
            .await?
            .modified_count
            == 1;
        if claimed {
            let attempts = int(&document, "webhookAttempts").unwrap_or_default();
            due.push(Due {
                alert: super::alerts::from_document(document)?,
                attempts: u32::try_from(attempts).unwrap_or(0),
            });
        }
    }
    Ok(due)
}

/// Records a successful delivery.
pub async fn delivered(db: &Database, id: ObjectId, attempts: u32) -> Result<(), ApiError> {
    db.collection::<Document>(COLLECTION)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "webhookState": SENT, "webhookAttempts": i64::from(attempts) } },
        )
        .await?;
    Ok(())
}

/// Records a failed attempt: retry at `next_ms`, or give up when `next_ms` is `None`.
pub async fn failed(
    db: &Database,
    id: ObjectId,
    attempts: u32,
    next_ms: Option<i64>,
) -> Result<(), ApiError> {
    let set = match next_ms {
        Some(at) => doc! { "webhookAttempts": i64::from(attempts), "webhookNextAt": at },
        None => doc! { "webhookAttempts": i64::from(attempts), "webhookState": FAILED },
    };
    db.collection::<Document>(COLLECTION)
        .update_one(doc! { "_id": id }, doc! { "$set": set })
        .await?;
    Ok(())
}
