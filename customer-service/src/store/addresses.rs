//! The address book, kept inside the customer's document: `addresses` (oldest first),
//! `defaultAddressId` and `addressBookVersion`. Every change rewrites the three together with
//! `address` (the single address order-service reads as the default shipping address, which
//! thus always mirrors the default) in one single-document write guarded by the version
//! (see [`super::guard`]), so two racing changes never leave two defaults or none.
//!
//! Why not one document per address, or `arrayFilters`: "exactly one default" is then a rule
//! across documents (or across array elements) that needs a transaction or a positional
//! update the stand-in does not have; a book is at most twenty small entries, so rewriting it
//! whole is cheap.

use bson::{Bson, Document, doc, oid::ObjectId};
use chrono::Utc;
use mongodb::Database;
use shared::ApiError;

use super::{customers::COLLECTION, guard};
use crate::domain::{
    Address,
    addresses::{AddressBook, SavedAddress},
};

const LIST: &str = "addresses";
const DEFAULT: &str = "defaultAddressId";
const VERSION: &str = "addressBookVersion";

fn no_customer() -> ApiError {
    ApiError::NotFound("no such customer".to_owned())
}

/// A book as read, with the version it was read at.
struct Read {
    book: AddressBook,
    version: Option<Bson>,
}

async fn read(db: &Database, customer: ObjectId) -> Result<Option<Read>, ApiError> {
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": customer })
        .projection(doc! { LIST: 1, DEFAULT: 1, VERSION: 1, "address": 1 })
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let version = found.get(VERSION).cloned();
    let mut addresses = Vec::new();
    if let Ok(list) = found.get_array(LIST) {
        for entry in list {
            let Bson::Document(entry) = entry else {
                return Err(ApiError::internal("an address that is not a document"));
            };
            addresses.push(
                bson::from_document::<SavedAddress>(entry.clone()).map_err(ApiError::internal)?,
            );
        }
    }
    let default = found.get_object_id(DEFAULT).ok();
    let book = match found.get_document("address") {
        // Never written: the customer's single address from before the book is its first.
        Ok(legacy) if version.is_none() && addresses.is_empty() => {
            let legacy: Address =
                bson::from_document(legacy.clone()).map_err(ApiError::internal)?;
            AddressBook::imported(customer, &legacy)
        }
        _ => AddressBook { addresses, default },
    };
    Ok(Some(Read { book, version }))
}

/// The customer's address book; 404 when there is no such customer.
#[tracing::instrument(skip(db))]
pub async fn get(db: &Database, customer: ObjectId) -> Result<AddressBook, ApiError> {
    Ok(read(db, customer).await?.ok_or_else(no_customer)?.book)
}

/// Applies `change` to the customer's book and stores the result with the mirrored default
/// address, re-reading and re-applying when another write got in first. A refused change
/// writes nothing. Returns the book as stored and what `change` returned.
#[tracing::instrument(skip(db, change))]
pub async fn change<T>(
    db: &Database,
    customer: ObjectId,
    change: impl Fn(&mut AddressBook) -> Result<T, ApiError>,
) -> Result<(AddressBook, T), ApiError> {
    let customers = db.collection::<Document>(COLLECTION);
    for _ in 0..guard::ATTEMPTS {
        let Read { mut book, version } = read(db, customer).await?.ok_or_else(no_customer)?;
        let answer = change(&mut book)?;
        let mirror = match book.default_address() {
            Some(a) => bson::to_bson(&a).map_err(ApiError::internal)?,
            None => Bson::Null,
        };
        let set = doc! {
            LIST: bson::to_bson(&book.addresses).map_err(ApiError::internal)?,
            DEFAULT: book.default.map_or(Bson::Null, Bson::ObjectId),
            "address": mirror,
            VERSION: guard::next(version.as_ref()),
            "updatedAt": bson::DateTime::from_chrono(Utc::now()),
        };
        let written = customers
            .update_one(
                guard::unchanged(customer, VERSION, version.as_ref()),
                doc! { "$set": set },
            )
            .await?;
        if written.matched_count == 1 {
            return Ok((book, answer));
        }
    }
    Err(ApiError::Conflict(
        "the address book kept changing while this change was applied; try again".to_owned(),
    ))
}
