//! The order ledger read back as [`OrderRow`]s, for the reports to decide and sum in code:
//! what an order brought in depends on several fields and a map of refunds, which the
//! stand-in cannot compute in an aggregation (no `$unwind`, no `$objectToArray`).

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::Database;

use super::{int, orders::COLLECTION};
use crate::domain::{
    DayRange,
    ledger::{OrderRow, Payment, RowLine},
};

const FIELDS: [&str; 16] = [
    "day",
    "customerId",
    "status",
    "totalCents",
    "dueCents",
    "payment",
    "paidCents",
    "refunds",
    "reached",
    "fromCart",
    "paymentFailed",
    "coupon",
    "couponDiscountCents",
    "couponShippingCents",
    "tierDiscountCents",
    "pointsDiscountCents",
];

/// The orders placed in `range` (every order without one); their lines when `lines`.
pub async fn rows(
    db: &Database,
    range: Option<DayRange>,
    lines: bool,
) -> Result<Vec<OrderRow>, mongodb::error::Error> {
    let filter = range.map_or_else(Document::new, |r| {
        doc! { "day": { "$gte": r.from.text(), "$lte": r.to.text() } }
    });
    let mut projection: Document = FIELDS
        .iter()
        .map(|f| (f.to_string(), Bson::Int32(1)))
        .collect();
    if lines {
        projection.insert("items", 1);
    }
    let mut cursor = db
        .collection::<Document>(COLLECTION)
        .find(filter)
        .projection(projection)
        .await?;
    let mut out = Vec::new();
    while let Some(d) = cursor.try_next().await? {
        out.push(row(&d, lines));
    }
    Ok(out)
}

fn text(d: &Document, field: &str) -> Option<String> {
    d.get_str(field).ok().map(str::to_owned)
}

/// A mark: `true` as MongoDB keeps it, or 1 as the stand-in may give it back.
fn flag(d: &Document, field: &str) -> bool {
    match d.get(field) {
        Some(Bson::Boolean(b)) => *b,
        _ => int(d, field).is_some_and(|n| n != 0),
    }
}

/// One ledger document as a row.
pub fn row(d: &Document, lines: bool) -> OrderRow {
    let refunded = d
        .get_document("refunds")
        .map(|r| r.keys().filter_map(|k| int(r, k)).sum())
        .unwrap_or(0);
    OrderRow {
        day: text(d, "day"),
        customer_id: text(d, "customerId"),
        status: text(d, "status").unwrap_or_default(),
        total: int(d, "totalCents"),
        due: int(d, "dueCents"),
        payment: Payment::parse(d.get_str("payment").ok()),
        paid: int(d, "paidCents"),
        refunded,
        reached: flag(d, "reached"),
        from_cart: flag(d, "fromCart"),
        payment_failed: flag(d, "paymentFailed"),
        coupon: text(d, "coupon"),
        coupon_discount: int(d, "couponDiscountCents").unwrap_or(0),
        coupon_shipping: int(d, "couponShippingCents").unwrap_or(0),
        tier_discount: int(d, "tierDiscountCents").unwrap_or(0),
        points_discount: int(d, "pointsDiscountCents").unwrap_or(0),
        lines: if lines { row_lines(d) } else { Vec::new() },
    }
}

fn row_lines(d: &Document) -> Vec<RowLine> {
    let Ok(items) = d.get_array("items") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| i.as_document())
        .filter_map(|item| {
            Some(RowLine {
                product_id: item.get_str("productId").ok()?.to_owned(),
                name: text(item, "name"),
                quantity: int(item, "quantity").unwrap_or(0),
                revenue: int(item, "revenueCents").unwrap_or(0),
            })
        })
        .collect()
}
