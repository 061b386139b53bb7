//! The order ledger (`orders`): one document per order with its day, total, customer, lines,
//! latest known status, its price as quoted and what was paid and given back.
//!
//! ```text
//! { _id: orderId, day: "YYYY-MM-DD", createdAt: <ms>, totalCents, customerId,
//!   items: [{productId, name, quantity, revenueCents}], status, statusIndex,
//!   dueCents, coupon, couponDiscountCents, couponShippingCents, tierDiscountCents, pointsDiscountCents,
//!   payment: "card"|"invoice", reached, paidCents, refunds: {<key>: cents},
//!   paymentFailed, fromCart }
//! ```
//!
//! Facts about the order (day, total, lines, quote) are the same in every event that carries
//! them, so they are simply `$set`; so are the marks that only ever become true (`reached`,
//! `paymentFailed`, `fromCart`) and the amount authorised. Each refund is `$set` under its own
//! key (the event's id), so a redelivered refund overwrites itself instead of adding up. The
//! status is set only by a newer one: `statusIndex` is the order's version (0 when placed, +1
//! per change) and the update is guarded by `statusIndex < new`; cancellation and rejection,
//! which are final, use [`FINAL`] ([`set_final`]: a cancellation wins over a refusal in
//! whichever order they come). Events can
//! therefore arrive late, twice or out of order and the ledger ends the same. The guard is a
//! comparison on one always-present field, because the stand-in does not honour `$or` in an
//! update filter (see the test named after that gap). What an order brought in is decided by
//! [`crate::domain::ledger`] when it is read ([`super::rows`]).

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel};

use super::int;
use crate::domain::{Cents, ledger::Payment};

/// The collection name.
pub const COLLECTION: &str = "orders";
/// The status index of a final status learnt from `order.cancelled` or `stock.rejected`.
pub const FINAL: i64 = i64::MAX;

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
    /// Its price as quoted.
    pub quote: Option<Quoted>,
    /// The coupon code applied.
    pub coupon: Option<String>,
    /// How it is paid, once known.
    pub payment: Payment,
    /// It reached `PROCESSING` (only ever set, never unset).
    pub reached: bool,
    /// Its payment was declined (only ever set, never unset).
    pub payment_failed: bool,
}

/// The parts of an order's quote the reports use, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quoted {
    /// What is paid (`quote.total`).
    pub due: Cents,
    /// Taken off by the coupon.
    pub coupon_discount: Cents,
    /// The shipping a free-shipping coupon waived (0 for another coupon, or none).
    pub coupon_shipping: Cents,
    /// Taken off by the loyalty tier.
    pub tier_discount: Cents,
    /// Taken off by redeemed points.
    pub points_discount: Cents,
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
    if let Some(q) = facts.quote {
        set.insert("dueCents", q.due);
        set.insert("couponDiscountCents", q.coupon_discount);
        set.insert("couponShippingCents", q.coupon_shipping);
        set.insert("tierDiscountCents", q.tier_discount);
        set.insert("pointsDiscountCents", q.points_discount);
    }
    if let Some(code) = &facts.coupon {
        set.insert("coupon", code.to_uppercase());
    }
    if let Some(payment) = facts.payment.as_str() {
        set.insert("payment", payment);
    }
    if facts.reached {
        set.insert("reached", true);
    }
    if facts.payment_failed {
        set.insert("paymentFailed", true);
    }
    let mut update = doc! { "$setOnInsert": { "status": "UNKNOWN", "statusIndex": -1i64 } };
    if !set.is_empty() {
        update.insert("$set", set);
    }
    upsert(db, &facts.order_id, update).await
}

/// Sets `set` on the order's document, creating it if needed: a mark or an amount learnt from
/// an event that is about the order but carries none of its facts.
pub async fn mark(
    db: &Database,
    order_id: &str,
    set: Document,
) -> Result<(), mongodb::error::Error> {
    let update = doc! {
        "$setOnInsert": { "status": "UNKNOWN", "statusIndex": -1i64 },
        "$set": set,
    };
    upsert(db, order_id, update).await
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

/// A final status learnt from `order.cancelled` or `stock.rejected`, which carry no index:
/// `CANCELLED` is order-service's own word and wins over everything but itself, whenever it
/// arrives; `REJECTED` from `stock.rejected` is only product-service's, so it never replaces a
/// cancellation (an order cancelled while its reservation was refused stays cancelled).
pub async fn set_final(
    db: &Database,
    order_id: &str,
    status: &str,
) -> Result<(), mongodb::error::Error> {
    record(
        db,
        &Facts {
            order_id: order_id.to_owned(),
            ..Facts::default()
        },
    )
    .await?;
    let filter = if status == "CANCELLED" {
        doc! { "_id": order_id, "status": { "$ne": "CANCELLED" } }
    } else {
        doc! { "_id": order_id, "statusIndex": { "$lt": FINAL }, "status": { "$ne": "CANCELLED" } }
    };
    collection(db)
        .update_one(
            filter,
            doc! { "$set": { "status": status, "statusIndex": FINAL } },
        )
        .await?;
    Ok(())
}

/// Orders per status, over every order.
pub async fn per_status(db: &Database) -> Result<Vec<(String, i64)>, mongodb::error::Error> {
    let rows: Vec<Document> = collection(db)
        .aggregate(vec![
            doc! { "$group": { "_id": "$status", "orders": { "$sum": 1 } } },
        ])
        .await?
        .try_collect()
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some((
                r.get_str("_id").ok()?.to_owned(),
                int(r, "orders").unwrap_or(0),
            ))
        })
        .collect())
}
