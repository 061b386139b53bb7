//! MongoDB access of analytics-service: its read models.
//!
//! - [`orders`]: the order ledger, one document per order, which revenue, order counts,
//!   statuses, products, discounts and the funnel are grouped from ([`rows`] reads it back).
//! - [`facts`]: one document per customer, stock-low event, alert and assistant reply.
//! - [`loyalty`]: point movements and each customer's tier.
//! - [`aftersales`]: returns, reviews and notifications.
//! - [`clicks`]: the storefront's clickstream, one document per event.
//! - [`jobs`]: the state of the rebuild.
//!
//! Every write is a single-document write that is idempotent by itself (an insert keyed by
//! the event's or entity's id, or a `$set` guarded by a version), so a redelivered or
//! replayed event changes no figure and no separate inbox is needed.

pub mod aftersales;
pub mod clicks;
pub mod facts;
pub mod jobs;
pub mod loyalty;
pub mod orders;
pub mod rows;

use bson::{Bson, Document};

/// Creates the indexes the queries use.
pub async fn ensure_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    orders::ensure_indexes(db).await?;
    loyalty::ensure_indexes(db).await?;
    aftersales::ensure_indexes(db).await?;
    clicks::ensure_indexes(db).await?;
    facts::ensure_indexes(db).await
}

/// An integer field, whatever numeric type the server kept it in (the stand-in turns small
/// int64s into int32s; sums may come back as either).
pub fn int(document: &Document, field: &str) -> Option<i64> {
    match document.get(field)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) => Some(*n as i64),
        _ => None,
    }
}

/// Whether an insert failed only because the document is already there.
pub fn already_there(
    result: Result<(), mongodb::error::Error>,
) -> Result<(), mongodb::error::Error> {
    match result {
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(()),
        other => other,
    }
}
