//! One document per fact, keyed by what makes it unique, so recording it twice is harmless:
//! `customers` (by customer id), `stock_low` (by event id), `alerts` (by alert id) and
//! `assistant_replies` (by event id). Each carries its UTC `day` as text.

use std::collections::BTreeMap;

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel};

use super::{already_there, int};
use crate::domain::DayRange;

/// Registered customers.
pub const CUSTOMERS: &str = "customers";
/// `product.stock_low` events.
pub const STOCK_LOW: &str = "stock_low";
/// Alerts sent.
pub const ALERTS: &str = "alerts";
/// The assistant's replies.
pub const REPLIES: &str = "assistant_replies";

/// An index on `day` for each.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    for name in [CUSTOMERS, STOCK_LOW, ALERTS, REPLIES] {
        db.collection::<Document>(name)
            .create_index(IndexModel::builder().keys(doc! { "day": 1 }).build())
            .await?;
    }
    Ok(())
}

/// Inserts `document` into `collection` unless its `_id` is there already.
pub async fn record(
    db: &Database,
    collection: &str,
    document: Document,
) -> Result<(), mongodb::error::Error> {
    already_there(
        db.collection::<Document>(collection)
            .insert_one(document)
            .await
            .map(|_| ()),
    )
}

/// How many documents `collection` holds.
pub async fn count(db: &Database, collection: &str) -> Result<u64, mongodb::error::Error> {
    db.collection::<Document>(collection)
        .count_documents(doc! {})
        .await
}

/// How many documents of `collection` fall on each day of `range`.
pub async fn per_day(
    db: &Database,
    collection: &str,
    range: DayRange,
) -> Result<BTreeMap<String, i64>, mongodb::error::Error> {
    let mut cursor = db
        .collection::<Document>(collection)
        .find(doc! { "day": { "$gte": range.from.text(), "$lte": range.to.text() } })
        .projection(doc! { "day": 1 })
        .await?;
    let mut out = BTreeMap::new();
    while let Some(d) = cursor.try_next().await? {
        if let Ok(day) = d.get_str("day") {
            *out.entry(day.to_owned()).or_insert(0) += 1;
        }
    }
    Ok(out)
}

/// How many documents of `collection` have each value of `field`.
pub async fn count_by(
    db: &Database,
    collection: &str,
    field: &str,
) -> Result<BTreeMap<String, i64>, mongodb::error::Error> {
    let rows: Vec<Document> = db
        .collection::<Document>(collection)
        .aggregate(vec![
            doc! { "$group": { "_id": format!("${field}"), "n": { "$sum": 1 } } },
        ])
        .await?
        .try_collect()
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r.get_str("_id").ok()?.to_owned(), int(r, "n")?)))
        .collect())
}

/// The assistant's replies: calls per function and every latency in milliseconds. Summed
/// here because the stand-in cannot `$unwind` the function lists.
pub async fn replies(
    db: &Database,
) -> Result<(BTreeMap<String, i64>, Vec<i64>), mongodb::error::Error> {
    let mut cursor = db
        .collection::<Document>(REPLIES)
        .find(doc! {})
        .projection(doc! { "functions": 1, "latencyMs": 1 })
        .await?;
    let mut functions = BTreeMap::new();
    let mut latencies = Vec::new();
    while let Some(d) = cursor.try_next().await? {
        if let Ok(names) = d.get_array("functions") {
            for name in names.iter().filter_map(|n| n.as_str()) {
                *functions.entry(name.to_owned()).or_insert(0) += 1;
            }
        }
        if let Some(ms) = int(&d, "latencyMs") {
            latencies.push(ms);
        }
    }
    Ok((functions, latencies))
}
