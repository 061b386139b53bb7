//! MongoDB access of customer-service: customers (with their address book, saved cards and
//! loyalty account), refresh tokens and the wishlist.

pub mod addresses;
pub mod customers;
mod guard;
pub mod loyalty;
pub mod payment_methods;
pub mod refresh_tokens;
pub mod wishlist;

/// Creates the indexes this service relies on (unique email, token lookups). Run at start in
/// the background: it retries until the database answers.
pub async fn ensure_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    customers::ensure_indexes(db).await?;
    wishlist::ensure_indexes(db).await?;
    crate::audit::ensure_indexes(db).await?;
    refresh_tokens::ensure_indexes(db).await
}
