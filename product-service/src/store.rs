//! MongoDB: the `products`, `reservations` and `stock_holds` collections, their indexes, and
//! the writes that carry their events in the same single-document write (the outbox of
//! DESIGN.md).
//!
//! A product document holds, besides its fields, `stockLow` (whether `product.stock_low` went
//! out for the current low period) its rating sums (see [`reviews`]), and the transient stock bookkeeping of [`stock`]
//! (`returningUnits`, and `taking`/`givingBack` markers only while a step is under way). A
//! reservation document (`_id` = order id) holds the order's lines and its
//! [`crate::domain::stock::Status`], and carries the order-level events. A `stock_holds`
//! document holds what one order holds of one product.
//!
//! Forms chosen to be right on MongoDB and on the stand-in alike (each with a test named after
//! the gap in `tests/api/gaps.rs`): product timestamps are integers (epoch milliseconds),
//! because the stand-in stores a date written by `$set` as a string; flags are read as
//! booleans or integers, because it stores a `$set` boolean as 0 or 1; `tags` has no index,
//! because on the stand-in an index on an array field hides documents from `find`.

pub mod categories;
mod legacy;
pub mod locations;
pub mod products;
pub mod restock;
pub mod reviews;
pub mod stock;

use bson::{Bson, Document, doc};
use mongodb::{Database, IndexModel};

/// The catalog.
pub const PRODUCTS: &str = "products";
/// One document per order whose stock was asked for.
pub const RESERVATIONS: &str = "reservations";
/// One document per order and product it took stock of (`_id` = `<orderId>/<productId>`).
pub const HOLDS: &str = "stock_holds";
/// Customers' reviews of products (see [`reviews`]).
pub const REVIEWS: &str = "reviews";
/// Who received which product, one document per customer and product (see [`reviews`]).
pub const PURCHASES: &str = "purchases";
/// The category tree, one document per category (see [`categories`]).
pub const CATEGORIES: &str = "categories";
/// The bytes of the products' uploaded images (`_id` = `<productId>/<imageId>`).
pub const IMAGES: &str = "product_images";
/// The warehouses and stores stock is kept in (`_id` = the location's id).
pub const LOCATIONS: &str = "locations";
/// Leases that serialise changes across replicas (`_id` = what they guard).
pub const LOCKS: &str = "locks";

/// An integer field, whatever integer type the server kept it in (the stand-in returns small
/// 64-bit integers as 32-bit ones).
pub fn int(document: &Document, field: &str) -> Option<i64> {
    whole(document.get(field)?)
}

/// A whole number, whatever integer type (or whole double) the server kept it in.
pub fn whole(value: &Bson) -> Option<i64> {
    match value {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) if n.fract() == 0.0 => Some(*n as i64),
        _ => None,
    }
}

/// A flag, whether the server kept it as a boolean or (the stand-in, after `$set`) 0 or 1.
pub fn flag(document: &Document, field: &str) -> bool {
    match document.get(field) {
        Some(Bson::Boolean(b)) => *b,
        _ => int(document, field).is_some_and(|n| n != 0),
    }
}

/// The wait before trying a guarded write again after losing a race for the same document:
/// short, growing and jittered, so racing writers spread out instead of colliding again in
/// lockstep.
const RACE: shared::retry::Policy = shared::retry::Policy::new(
    std::time::Duration::from_millis(2),
    std::time::Duration::from_millis(100),
);

/// Waits before attempt `attempt` of a guarded write (not before the first).
pub async fn race_pause(attempt: u32) {
    if attempt > 0 {
        tokio::time::sleep(RACE.delay_after(attempt)).await;
    }
}

/// Now, to the millisecond: as stored (epoch milliseconds) and as shown.
pub fn now() -> (i64, chrono::DateTime<chrono::Utc>) {
    let millis = chrono::Utc::now().timestamp_millis();
    (millis, from_millis(millis))
}

/// A stored timestamp (epoch milliseconds) as a time.
pub fn from_millis(millis: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// Creates the catalog's indexes (run by the start-up with backoff until they exist).
pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let keys = [
        doc! { "deletedAt": 1 },
        doc! { "categoryKey": 1 },
        doc! { "categoryId": 1 },
        doc! { "brandKey": 1 },
        doc! { "createdAt": -1 },
        doc! { "priceCents": 1 },
        doc! { "nameKey": 1 },
    ];
    let models: Vec<IndexModel> = keys
        .into_iter()
        .map(|k| IndexModel::builder().keys(k).build())
        .collect();
    db.collection::<Document>(PRODUCTS)
        .create_indexes(models)
        .await?;
    db.collection::<Document>(RESERVATIONS)
        .create_index(IndexModel::builder().keys(doc! { "status": 1 }).build())
        .await?;
    // Uniqueness per order and product is the `_id`; these serve looking holds up.
    let holds = [doc! { "orderId": 1 }, doc! { "productId": 1, "state": 1 }];
    db.collection::<Document>(HOLDS)
        .create_indexes(holds.map(|k| IndexModel::builder().keys(k).build()))
        .await?;
    db.collection::<Document>(CATEGORIES)
        .create_index(
            IndexModel::builder()
                .keys(doc! { "slug": 1 })
                .options(
                    mongodb::options::IndexOptions::builder()
                        .unique(true)
                        .build(),
                )
                .build(),
        )
        .await?;
    db.collection::<Document>(REVIEWS)
        .create_index(
            IndexModel::builder()
                .keys(doc! { "productId": 1, "createdAt": -1 })
                .build(),
        )
        .await?;
    Ok(())
}
