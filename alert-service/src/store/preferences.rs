//! The `notification_preferences` collection: one document per customer who changed theirs
//! (`_id`: the customer's id), flags kept flat (`emailOrders`, ...) so each is set on its own
//! with a plain `$set`; a customer without a document has the defaults (everything mailed).

use bson::{Bson, Document, doc};
use mongodb::{Database, options::ReturnDocument};
use shared::ApiError;

use crate::domain::notification::{EmailPreferences, Preferences};

/// The collection name.
pub const COLLECTION: &str = "notification_preferences";

const FIELDS: [&str; 4] = [
    "emailOrders",
    "emailPayments",
    "emailLoyalty",
    "emailWishlist",
];

/// A flag, whatever form the server kept it in (the stand-in may answer an integer).
fn flag(document: &Document, field: &str) -> bool {
    match document.get(field) {
        Some(Bson::Boolean(b)) => *b,
        Some(Bson::Int32(n)) => *n != 0,
        Some(Bson::Int64(n)) => *n != 0,
        _ => true,
    }
}

fn from_document(document: Option<&Document>) -> Preferences {
    let Some(document) = document else {
        return Preferences::default();
    };
    Preferences {
        email: EmailPreferences {
            orders: flag(document, FIELDS[0]),
            payments: flag(document, FIELDS[1]),
            loyalty: flag(document, FIELDS[2]),
            wishlist: flag(document, FIELDS[3]),
        },
    }
}

/// `customer_id`'s preferences.
pub async fn get(db: &Database, customer_id: &str) -> Result<Preferences, ApiError> {
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": customer_id })
        .await?;
    Ok(from_document(found.as_ref()))
}

/// Sets the flags `patch` gives (each on its own, so two patches of different flags never
/// undo each other) and returns the result.
pub async fn patch(
    db: &Database,
    customer_id: &str,
    patch: &shared::api::notifications::PreferencesPatch,
) -> Result<Preferences, ApiError> {
    let mut set = Document::new();
    if let Some(email) = &patch.email {
        for (field, value) in
            FIELDS
                .iter()
                .zip([email.orders, email.payments, email.loyalty, email.wishlist])
        {
            if let Some(value) = value {
                set.insert(*field, value);
            }
        }
    }
    if set.is_empty() {
        return get(db, customer_id).await;
    }
    let updated = db
        .collection::<Document>(COLLECTION)
        .find_one_and_update(doc! { "_id": customer_id }, doc! { "$set": set })
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await?;
    Ok(from_document(updated.as_ref()))
}

/// Removes `customer_id`'s choices (`customer.erased`). Safe to repeat.
pub async fn forget(db: &Database, customer_id: &str) -> Result<(), ApiError> {
    db.collection::<bson::Document>(COLLECTION)
        .delete_one(doc! { "_id": customer_id })
        .await?;
    Ok(())
}
