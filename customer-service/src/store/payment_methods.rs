//! The wallet, kept inside the customer's document: `paymentMethods` (oldest first),
//! `defaultPaymentMethodId` and `paymentMethodsVersion`, rewritten together in one
//! single-document write guarded by the version (see [`super::guard`]), so two racing changes
//! never leave two defaults or none. Why whole and not per element: as for the address book
//! (`store::addresses`), "exactly one default" across elements needs `arrayFilters` or a
//! transaction, which the stand-in does not have, and a wallet is at most ten small entries.

use bson::{Bson, Document, doc, oid::ObjectId};
use chrono::Utc;
use mongodb::Database;
use shared::ApiError;

use super::{customers::COLLECTION, guard};
use crate::domain::payment_methods::{SavedCard, Wallet};

const LIST: &str = "paymentMethods";
const DEFAULT: &str = "defaultPaymentMethodId";
const VERSION: &str = "paymentMethodsVersion";

fn no_customer() -> ApiError {
    ApiError::NotFound("no such customer".to_owned())
}

async fn read(
    db: &Database,
    customer: ObjectId,
) -> Result<Option<(Wallet, Option<Bson>)>, ApiError> {
    let found = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": customer })
        .projection(doc! { LIST: 1, DEFAULT: 1, VERSION: 1 })
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let mut cards = Vec::new();
    if let Ok(list) = found.get_array(LIST) {
        for entry in list {
            let Bson::Document(entry) = entry else {
                return Err(ApiError::internal(
                    "a payment method that is not a document",
                ));
            };
            cards
                .push(bson::from_document::<SavedCard>(entry.clone()).map_err(ApiError::internal)?);
        }
    }
    let wallet = Wallet {
        cards,
        default: found.get_object_id(DEFAULT).ok(),
    };
    Ok(Some((wallet, found.get(VERSION).cloned())))
}

/// The customer's wallet; 404 when there is no such customer.
#[tracing::instrument(skip(db))]
pub async fn get(db: &Database, customer: ObjectId) -> Result<Wallet, ApiError> {
    Ok(read(db, customer).await?.ok_or_else(no_customer)?.0)
}

/// Applies `change` to the customer's wallet and stores the result, re-reading and
/// re-applying when another write got in first. A refused change writes nothing. Returns the
/// wallet as stored.
#[tracing::instrument(skip(db, change))]
pub async fn change(
    db: &Database,
    customer: ObjectId,
    change: impl Fn(&mut Wallet) -> Result<(), ApiError>,
) -> Result<Wallet, ApiError> {
    let customers = db.collection::<Document>(COLLECTION);
    for _ in 0..guard::ATTEMPTS {
        let (mut wallet, version) = read(db, customer).await?.ok_or_else(no_customer)?;
        change(&mut wallet)?;
        let set = doc! {
            LIST: bson::to_bson(&wallet.cards).map_err(ApiError::internal)?,
            DEFAULT: wallet.default.map_or(Bson::Null, Bson::ObjectId),
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
            return Ok(wallet);
        }
    }
    Err(ApiError::Conflict(
        "the saved payment methods kept changing while this change was applied; try again"
            .to_owned(),
    ))
}
