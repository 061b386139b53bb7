//! MongoDB access of alert-service: the `alerts` collection (each alert carries its own
//! `alert.sent` in its outbox, and its webhook delivery state) and the sequence counter; the
//! `notifications` collection (each with its `notification.created` and its mail queued),
//! customers' preferences and mail addresses.

pub mod alerts;
pub mod mail;
pub mod notifications;
pub mod preferences;
pub mod recipients;
pub mod webhooks;

use bson::{Bson, Document};

/// Creates the indexes this service relies on; the unique `eventId` is the consumer's inbox,
/// so consuming starts only once this succeeded.
pub async fn ensure_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    alerts::ensure_indexes(db).await?;
    notifications::ensure_indexes(db).await
}

/// An integer field, whatever integer type the server kept it in (the stand-in turns small
/// int64s into int32s).
pub fn int(document: &Document, field: &str) -> Option<i64> {
    match document.get(field)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) => Some(*n as i64),
        _ => None,
    }
}
