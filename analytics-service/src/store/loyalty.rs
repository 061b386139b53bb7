//! Loyalty read models from `loyalty.changed`:
//!
//! - `loyalty_moves`: one document per event (`_id` the event id: a redelivery inserts
//!   nothing), `{day, customerId, reason, points, held}`;
//! - `loyalty_accounts`: one document per customer, `{tier, atMs}`, the tier of the newest
//!   event seen (guarded by its time, so a late or redelivered older event changes nothing).

use std::collections::BTreeMap;

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel};

use super::{already_there, facts, int};
use crate::domain::{DayRange, loyalty::Points};

/// Point movements.
pub const MOVES: &str = "loyalty_moves";
/// Each customer's latest tier.
pub const ACCOUNTS: &str = "loyalty_accounts";

/// An index on the moves' `day`.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<Document>(MOVES)
        .create_index(IndexModel::builder().keys(doc! { "day": 1 }).build())
        .await?;
    Ok(())
}

/// One movement of points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The event's id.
    pub id: String,
    /// The UTC day it happened.
    pub day: String,
    /// Whose points.
    pub customer_id: String,
    /// Why (customer-service's reason).
    pub reason: String,
    /// Added to the balance (negative: taken).
    pub points: i64,
    /// Added to the held points.
    pub held: i64,
}

/// Records `m` once.
pub async fn record_move(db: &Database, m: &Move) -> Result<(), mongodb::error::Error> {
    let document = doc! { "_id": &m.id, "day": &m.day, "customerId": &m.customer_id,
    "reason": &m.reason, "points": m.points, "held": m.held };
    facts::record(db, MOVES, document).await
}

/// Sets the customer's tier to `tier` unless a newer one (at or after `at_ms`) is known.
pub async fn set_tier(
    db: &Database,
    customer_id: &str,
    tier: &str,
    at_ms: i64,
) -> Result<(), mongodb::error::Error> {
    let accounts = db.collection::<Document>(ACCOUNTS);
    let first = doc! { "_id": customer_id, "tier": tier, "atMs": at_ms };
    let inserted = accounts.insert_one(first).await.map(|_| ());
    if inserted.is_ok() {
        return Ok(());
    }
    already_there(inserted)?;
    accounts
        .update_one(
            doc! { "_id": customer_id, "atMs": { "$lt": at_ms } },
            doc! { "$set": { "tier": tier, "atMs": at_ms } },
        )
        .await?;
    Ok(())
}

/// Points moved per day of `range`, for the days that have any.
pub async fn per_day(
    db: &Database,
    range: DayRange,
) -> Result<BTreeMap<String, Points>, mongodb::error::Error> {
    let mut cursor = db
        .collection::<Document>(MOVES)
        .find(doc! { "day": { "$gte": range.from.text(), "$lte": range.to.text() } })
        .await?;
    let mut out: BTreeMap<String, Points> = BTreeMap::new();
    while let Some(d) = cursor.try_next().await? {
        let (Ok(day), Ok(reason)) = (d.get_str("day"), d.get_str("reason")) else {
            continue;
        };
        let moved = Points::of(
            reason,
            int(&d, "points").unwrap_or(0),
            int(&d, "held").unwrap_or(0),
        );
        let entry = out.entry(day.to_owned()).or_default();
        *entry = entry.plus(moved);
    }
    Ok(out)
}

/// Customers per tier.
pub async fn tiers(db: &Database) -> Result<BTreeMap<String, i64>, mongodb::error::Error> {
    facts::count_by(db, ACCOUNTS, "tier").await
}
