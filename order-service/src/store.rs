//! MongoDB access of order-service: the `orders` collection, which also carries each order's
//! pending events (the outbox of [`shared::outbox`]), the customers' `carts`, and `coupons`.

pub mod carts;
pub mod coupons;
pub mod orders;

/// Creates the indexes this service relies on. Run at start in the background: it retries
/// until the database answers.
pub async fn ensure_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    orders::ensure_indexes(db).await
}
