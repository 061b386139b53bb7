//! The `recipients` collection: where to mail each customer, learnt from
//! `customer.registered` (`{customerId, name, email}`) rather than read from customer-service's
//! database or asked of it on every mail (a consumer has no caller's token to ask with).

use bson::{Document, doc};
use mongodb::Database;
use shared::ApiError;

/// The collection name.
pub const COLLECTION: &str = "recipients";

/// A customer's address and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The address.
    pub email: String,
    /// The name, if known.
    pub name: Option<String>,
}

/// Records `customer_id`'s address (a redelivery writes the same again); never for an
/// erased customer, whose `customer.registered` may come late (a retry) and find the tombstone
/// [`forget`] left.
pub async fn remember(
    db: &Database,
    customer_id: &str,
    recipient: &Recipient,
) -> Result<(), ApiError> {
    let written = db
        .collection::<Document>(COLLECTION)
        .update_one(
            doc! { "_id": customer_id, "erased": { "$ne": true } },
            doc! { "$set": { "email": &recipient.email, "name": recipient.name.clone() } },
        )
        .upsert(true)
        .await;
    match written {
        Ok(_) => Ok(()),
        // The upsert met the tombstone's `_id`: erased, so nothing to remember.
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Forgets `customer_id` (`customer.erased`): the address and name replaced by a tombstone, so
/// that no later `customer.registered` brings them back. Safe to repeat.
pub async fn forget(db: &Database, customer_id: &str) -> Result<(), ApiError> {
    db.collection::<Document>(COLLECTION)
        .replace_one(doc! { "_id": customer_id }, doc! { "erased": true })
        .upsert(true)
        .await?;
    Ok(())
}

/// `customer_id`'s address, if it was ever announced.
pub async fn find(db: &Database, customer_id: &str) -> Result<Option<Recipient>, ApiError> {
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": customer_id })
        .await?;
    Ok(found.and_then(|d| {
        Some(Recipient {
            email: d.get_str("email").ok()?.to_owned(),
            name: d.get_str("name").ok().map(str::to_owned),
        })
    }))
}
