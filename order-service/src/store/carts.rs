//! The `carts` collection: one document per customer, changed only by single-document atomic
//! updates, so that two requests at once (two tabs, two devices) both land and no read is
//! written back.
//!
//! ```text
//! { _id: "<customer id>", count: <lines>, updatedAtMs,
//!   lines: { "p<product id>": { quantity, name, addedAtMs }, ... },
//!   checkoutToken?, checkoutAtMs?, coupon? }
//! ```
//! `coupon` is the code the customer applied ([`set_coupon`]); it is checked whenever the
//! cart is priced and counted only at checkout ([`crate::discounts`]).
//! `checkoutToken` is the claim of a checkout in progress ([`crate::checkout`]): set by
//! [`claim`], given up by [`release`], and the cart deleted with it by [`clear_checked_out`].
//! Lines are a map keyed by product rather than an array: a change `$set`s or `$unset`s one
//! dotted key (the MongoDB stand-in turns a `$push`ed sub-document into a string), and a key
//! is unique by construction. The `p` prefix keeps a key from ever being all digits, which a
//! dotted path could read as an array index. `count` mirrors the number of lines so that the
//! limit of [`MAX_LINES`] is part of the adding update's filter.

use std::collections::BTreeMap;

use bson::{doc, oid::ObjectId};
use mongodb::{
    Collection, Database,
    options::{ReturnDocument, UpdateOptions},
};
use serde::{Deserialize, Serialize};
use shared::ApiError;

pub use crate::domain::cart::StoredLine;

pub use shared::api::cart::MAX_LINES;

/// The collection name.
pub const COLLECTION: &str = "carts";

/// A cart as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCart {
    /// Lines by key (`p<product id>`).
    #[serde(default)]
    pub lines: BTreeMap<String, StoredLine>,
    /// The request key of the order a checkout in progress places from this cart.
    #[serde(default)]
    pub checkout_token: Option<String>,
    /// The coupon code applied, upper-cased.
    #[serde(default)]
    pub coupon: Option<String>,
}

impl StoredCart {
    /// The lines with their product ids, oldest first (keys that are not ids are skipped).
    pub fn lines(&self) -> Vec<(ObjectId, &StoredLine)> {
        let mut lines: Vec<(ObjectId, &StoredLine)> = self
            .lines
            .iter()
            .filter_map(|(k, line)| {
                let id = k.strip_prefix('p')?;
                ObjectId::parse_str(id).ok().map(|id| (id, line))
            })
            .collect();
        lines.sort_by_key(|(id, line)| (line.added_at_ms, *id));
        lines
    }
}

/// Why a line could not be set.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// The cart already holds [`MAX_LINES`] other products.
    #[error("the cart holds at most {MAX_LINES} products")]
    Full,
    /// Anything else.
    #[error(transparent)]
    Api(#[from] ApiError),
}

fn carts(db: &Database) -> Collection<StoredCart> {
    db.collection(COLLECTION)
}

fn key(product: ObjectId) -> String {
    format!("lines.p{}", product.to_hex())
}

fn now_ms() -> i64 {
    bson::DateTime::now().timestamp_millis()
}

/// The cart of `customer` (empty when it has none).
#[tracing::instrument(skip(db))]
pub async fn get(db: &Database, customer: &str) -> Result<StoredCart, ApiError> {
    Ok(carts(db)
        .find_one(doc! { "_id": customer })
        .await?
        .unwrap_or_default())
}

/// Sets the line of `product` to `quantity` (1..=1000), adding it when it is new and the cart
/// has room. Each attempt is one atomic update; a lost race (the line or the cart appeared
/// meanwhile) is tried again against what is stored now.
#[tracing::instrument(skip(db))]
pub async fn set(
    db: &Database,
    customer: &str,
    product: ObjectId,
    name: &str,
    quantity: i64,
) -> Result<(), SetError> {
    let key = key(product);
    let now = now_ms();
    for _ in 0..3 {
        let changed = carts(db)
            .update_one(
                doc! { "_id": customer, &key: { "$exists": true } },
                doc! { "$set": {
                    format!("{key}.quantity"): quantity,
                    format!("{key}.name"): name,
                    "updatedAtMs": now,
                } },
            )
            .await
            .map_err(ApiError::from)?;
        if changed.matched_count == 1 {
            return Ok(());
        }
        let line = doc! { "quantity": quantity, "name": name, "addedAtMs": now };
        let added = carts(db)
            .update_one(
                doc! {
                    "_id": customer,
                    &key: { "$exists": false },
                    "count": { "$lt": i64::try_from(MAX_LINES).unwrap_or(i64::MAX) },
                },
                doc! { "$set": { &key: line, "updatedAtMs": now }, "$inc": { "count": 1 } },
            )
            .with_options(UpdateOptions::builder().upsert(true).build())
            .await;
        match added {
            Ok(_) => return Ok(()),
            // The cart exists but did not match: it is full, or the line (or the cart) was
            // added by a request running beside this one. Look again.
            Err(e) if shared::store::is_duplicate_key(&e) => continue,
            Err(e) => return Err(ApiError::from(e).into()),
        }
    }
    Err(SetError::Full)
}

/// Removes the line of `product`, if the cart holds it.
#[tracing::instrument(skip(db))]
pub async fn remove(db: &Database, customer: &str, product: ObjectId) -> Result<(), ApiError> {
    let key = key(product);
    carts(db)
        .update_one(
            doc! { "_id": customer, &key: { "$exists": true } },
            doc! { "$unset": { &key: "" }, "$inc": { "count": -1 }, "$set": { "updatedAtMs": now_ms() } },
        )
        .await?;
    Ok(())
}

/// Empties the cart of `customer`.
#[tracing::instrument(skip(db))]
pub async fn clear(db: &Database, customer: &str) -> Result<(), ApiError> {
    carts(db).delete_one(doc! { "_id": customer }).await?;
    Ok(())
}

/// Claims the cart of `customer` for the checkout `token`: one conditional update, which only
/// a cart with lines and no claim matches. The cart as claimed, or `None` (no cart, an empty
/// one, or one already claimed).
#[tracing::instrument(skip(db))]
pub async fn claim(
    db: &Database,
    customer: &str,
    token: &str,
) -> Result<Option<StoredCart>, ApiError> {
    Ok(carts(db)
        .find_one_and_update(
            doc! { "_id": customer, "count": { "$gt": 0 }, "checkoutToken": { "$exists": false } },
            doc! { "$set": { "checkoutToken": token, "checkoutAtMs": now_ms() } },
        )
        .return_document(ReturnDocument::After)
        .await?)
}

/// Gives the claim `token` up, if the cart still holds it; the lines stay as they are.
#[tracing::instrument(skip(db))]
pub async fn release(db: &Database, customer: &str, token: &str) -> Result<(), ApiError> {
    carts(db)
        .update_one(
            doc! { "_id": customer, "checkoutToken": token },
            doc! { "$unset": { "checkoutToken": "", "checkoutAtMs": "" } },
        )
        .await?;
    Ok(())
}

/// Empties the cart of `customer` once the order of `token` is stored, only if the cart still
/// holds that claim (`false` when it does not: emptied already, or by the customer).
#[tracing::instrument(skip(db))]
pub async fn clear_checked_out(
    db: &Database,
    customer: &str,
    token: &str,
) -> Result<bool, ApiError> {
    let result = carts(db)
        .delete_one(doc! { "_id": customer, "checkoutToken": token })
        .await?;
    Ok(result.deleted_count == 1)
}

/// Applies coupon `code` to the cart of `customer` (making the cart if it has none); one
/// write, whatever else changes the cart at the same time.
#[tracing::instrument(skip(db))]
pub async fn set_coupon(db: &Database, customer: &str, code: &str) -> Result<(), ApiError> {
    let now = now_ms();
    for _ in 0..3 {
        let changed = carts(db)
            .update_one(
                doc! { "_id": customer },
                doc! { "$set": { "coupon": code, "updatedAtMs": now } },
            )
            .await?;
        if changed.matched_count == 1 {
            return Ok(());
        }
        // `count` too, so that the first line's update (whose filter compares it) matches.
        let fresh = doc! { "_id": customer, "count": 0_i64, "coupon": code, "updatedAtMs": now };
        match db
            .collection::<bson::Document>(COLLECTION)
            .insert_one(fresh)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if shared::store::is_duplicate_key(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict(
        "the cart kept changing; retry".to_owned(),
    ))
}

/// Takes the coupon off the cart of `customer`, if it has one.
#[tracing::instrument(skip(db))]
pub async fn remove_coupon(db: &Database, customer: &str) -> Result<(), ApiError> {
    carts(db)
        .update_one(
            doc! { "_id": customer },
            doc! { "$unset": { "coupon": "" }, "$set": { "updatedAtMs": now_ms() } },
        )
        .await?;
    Ok(())
}
