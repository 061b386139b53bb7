//! MongoDB access of order-service: the `orders` collection, which also carries each order's
//! pending events (the outbox of [`shared::outbox`]), the customers' `carts`, `coupons`,
//! `returns` (each return carrying its own pending events) and `subscriptions` (each carrying
//! its own pending events and its schedule).

pub mod carts;
pub mod coupons;
pub mod orders;
pub mod returns;
pub mod subscriptions;

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::Collection;
use shared::ApiError;

/// One page of `collection`, newest first by the field `created` (then `_id`), and the total:
/// of one customer or of everyone, in one status or in any. Orders, returns and subscriptions
/// are listed alike.
async fn newest_page<T>(
    collection: &Collection<T>,
    created: &str,
    customer_id: Option<&str>,
    status: Option<&str>,
    page: u64,
    limit: u64,
) -> Result<(Vec<T>, u64), ApiError>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    let mut filter = Document::new();
    if let Some(customer_id) = customer_id {
        filter.insert("customerId", customer_id);
    }
    if let Some(status) = status {
        filter.insert("status", status);
    }
    let total = collection.count_documents(filter.clone()).await?;
    let found = collection
        .find(filter)
        .sort(doc! { created: -1, "_id": -1 })
        .skip((page - 1) * limit)
        .limit(i64::try_from(limit).unwrap_or(100))
        .await?
        .try_collect()
        .await?;
    Ok((found, total))
}

/// Creates the indexes this service relies on. Run at start in the background: it retries
/// until the database answers.
pub async fn ensure_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    orders::ensure_indexes(db).await?;
    coupons::ensure_indexes(db).await?;
    returns::ensure_indexes(db).await?;
    subscriptions::ensure_indexes(db).await
}
