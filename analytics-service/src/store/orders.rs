//! The order ledger (`orders`): one document per order with its day, total, customer, lines
//! and latest known status.
//!
//! ```text
//! { _id: orderId, day: "YYYY-MM-DD", createdAt: <ms>, totalCents, customerId,
//!   items: [{productId, name, quantity, revenueCents}], status, statusIndex }
//! ```
//!
//! Facts about the order (day, total, lines) are the same in every event that carries them,
//! so they are simply `$set`. The status is set only by a newer one: `statusIndex` is the
//! order's version (0 when placed, +1 per change) and the update is guarded by
//! `statusIndex < new`; cancellation and rejection, which are final, use [`FINAL`]. Events can
//! therefore arrive late, twice or out of order and the ledger ends the same. The guard is a
//! comparison on one always-present field, because the stand-in does not honour `$or` in an
//! update filter (see the test named after that gap). Revenue counts every order that is not
//! cancelled or rejected, on the UTC day it was placed.

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel};

use super::int;
use crate::domain::{Cents, DayRange};

/// The collection name.
pub const COLLECTION: &str = "orders";
/// The status index of a final status learnt from `order.cancelled` or `stock.rejected`.
pub const FINAL: i64 = i64::MAX;
/// Statuses whose orders count for nothing.
pub const NOT_COUNTED: [&str; 3] = ["CANCELLED", "REJECTED", "UNKNOWN"];

/// Indexes on `day` and `status`.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let orders = db.collection::<Document>(COLLECTION);
    for keys in [doc! { "day": 1 }, doc! { "status": 1 }] {
        orders
            .create_index(IndexModel::builder().keys(keys).build())
            .await?;
    }
    Ok(())
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The product.
    pub product_id: String,
    /// Its name at order time.
    pub name: Option<String>,
    /// Units.
    pub quantity: i64,
    /// What the line cost, in cents.
    pub revenue: Cents,
}

/// What an event or the rebuild knows about an order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The order.
    pub order_id: String,
    /// Its customer.
    pub customer_id: Option<String>,
    /// The UTC day it was placed.
    pub day: Option<String>,
    /// When it was placed (epoch ms).
    pub created_ms: Option<i64>,
    /// Its total.
    pub total: Option<Cents>,
    /// Its lines.
    pub lines: Option<Vec<Line>>,
}

fn collection(db: &Database) -> mongodb::Collection<Document> {
    db.collection(COLLECTION)
}

/// Records what `facts` knows, creating the order's document if needed.
pub async fn record(db: &Database, facts: &Facts) -> Result<(), mongodb::error::Error> {
    let mut set = doc! {};
    if let Some(c) = &facts.customer_id {
        set.insert("customerId", c);
    }
    if let Some(day) = &facts.day {
        set.insert("day", day);
    }
    if let Some(ms) = facts.created_ms {
        set.insert("createdAt", ms);
    }
    if let Some(total) = facts.total {
        set.insert("totalCents", total);
    }
    if let Some(lines) = &facts.lines {
        let items: Vec<Document> = lines
            .iter()
            .map(|l| {
                doc! { "productId": &l.product_id, "name": l.name.clone(),
                "quantity": l.quantity, "revenueCents": l.revenue }
            })
            .collect();
        set.insert("items", items);
    }
    let mut update = doc! { "$setOnInsert": { "status": "UNKNOWN", "statusIndex": -1i64 } };
    if !set.is_empty() {
        update.insert("$set", set);
    }
    upsert(db, &facts.order_id, update).await
}

/// An upsert by `_id`, retried once when a concurrent one inserted the document first.
async fn upsert(db: &Database, id: &str, update: Document) -> Result<(), mongodb::error::Error> {
    let orders = collection(db);
    let attempt = || {
        orders
            .update_one(doc! { "_id": id }, update.clone())
            .upsert(true)
    };
    match attempt().await {
        Err(e) if shared::store::is_duplicate_key(&e) => attempt().await.map(|_| ()),
        other => other.map(|_| ()),
    }
}

/// Sets the order's status to `status` unless a newer one (index ≥ `index`) is known.
pub async fn set_status(
    db: &Database,
    order_id: &str,
    status: &str,
    index: i64,
) -> Result<(), mongodb::error::Error> {
    record(
        db,
        &Facts {
            order_id: order_id.to_owned(),
            ..Facts::default()
        },
    )
    .await?;
    collection(db)
        .update_one(
            doc! { "_id": order_id, "statusIndex": { "$lt": index } },
            doc! { "$set": { "status": status, "statusIndex": index } },
        )
        .await?;
    Ok(())
}

/// Revenue and order count per day in `range`, for the days that have any.
pub async fn per_day(
    db: &Database,
    range: DayRange,
) -> Result<Vec<(String, Cents, i64)>, mongodb::error::Error> {
    let rows: Vec<Document> = collection(db)
        .aggregate(vec![
            doc! { "$match": {
                "day": { "$gte": range.from.text(), "$lte": range.to.text() },
                "status": { "$nin": NOT_COUNTED.to_vec() },
            } },
            doc! { "$group": { "_id": "$day", "revenue": { "$sum": "$totalCents" }, "orders": { "$sum": 1 } } },
        ])
        .await?
        .try_collect()
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.get_str("_id").ok()?.to_owned(),
                int(r, "revenue").unwrap_or(0),
                int(r, "orders").unwrap_or(0),
            ))
        })
        .collect())
}

/// Orders and revenue per status, over every order.
pub async fn per_status(db: &Database) -> Result<Vec<(String, i64, Cents)>, mongodb::error::Error> {
    let rows: Vec<Document> = collection(db)
        .aggregate(vec![doc! { "$group": {
            "_id": "$status", "orders": { "$sum": 1 }, "revenue": { "$sum": "$totalCents" },
        } }])
        .await?
        .try_collect()
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.get_str("_id").ok()?.to_owned(),
                int(r, "orders").unwrap_or(0),
                int(r, "revenue").unwrap_or(0),
            ))
        })
        .collect())
}

/// Units and revenue per product over the orders that count: `(id, name, units, revenue)`,
/// by revenue then units, at most `limit`. Summed here rather than with `$unwind`, which the
/// stand-in does not support.
pub async fn top_products(
    db: &Database,
    limit: usize,
) -> Result<Vec<(String, Option<String>, i64, Cents)>, mongodb::error::Error> {
    let mut cursor = collection(db)
        .find(doc! { "status": { "$nin": NOT_COUNTED.to_vec() } })
        .projection(doc! { "items": 1 })
        .await?;
    let mut totals: std::collections::HashMap<String, (Option<String>, i64, Cents)> =
        std::collections::HashMap::new();
    while let Some(order) = cursor.try_next().await? {
        let Ok(items) = order.get_array("items") else {
            continue;
        };
        for item in items.iter().filter_map(|i| i.as_document()) {
            let Ok(id) = item.get_str("productId") else {
                continue;
            };
            let entry = totals.entry(id.to_owned()).or_default();
            if let Ok(name) = item.get_str("name") {
                entry.0 = Some(name.to_owned());
            }
            entry.1 += int(item, "quantity").unwrap_or(0);
            entry.2 += int(item, "revenueCents").unwrap_or(0);
        }
    }
    let mut rows: Vec<_> = totals
        .into_iter()
        .map(|(id, (name, units, revenue))| (id, name, units, revenue))
        .collect();
    rows.sort_by(|a, b| b.3.cmp(&a.3).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    rows.truncate(limit);
    Ok(rows)
}

/// Distinct customers who placed an order that counts.
pub async fn ordering_customers(db: &Database) -> Result<u64, mongodb::error::Error> {
    let mut cursor = collection(db)
        .find(doc! { "status": { "$nin": NOT_COUNTED.to_vec() } })
        .projection(doc! { "customerId": 1 })
        .await?;
    let mut ids = std::collections::HashSet::new();
    while let Some(order) = cursor.try_next().await? {
        if let Ok(id) = order.get_str("customerId") {
            ids.insert(id.to_owned());
        }
    }
    Ok(ids.len() as u64)
}
