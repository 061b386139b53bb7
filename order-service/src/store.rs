//! MongoDB access of order-service: the `orders` collection, which also carries each order's
//! pending events (the outbox of [`shared::outbox`]), the customers' `carts`, `coupons`,
//! `returns` (each return carrying its own pending events) and `subscriptions` (each carrying
//! its own pending events and its schedule).

pub mod carts;
pub mod coupons;
pub mod orders;
pub mod returns;
pub mod subscriptions;

/// Creates the indexes this service relies on. Run at start in the background: it retries
/// until the database answers.
pub async fn ensure_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    orders::ensure_indexes(db).await?;
    returns::ensure_indexes(db).await?;
    subscriptions::ensure_indexes(db).await
}
