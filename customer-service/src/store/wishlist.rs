//! The wishlist's two collections.
//!
//! - [`ENTRIES`] (`wishlist`): one document per customer and wished product, `_id`
//!   `"<customer>:<product>"` (so two racing adds of one product store one entry even before
//!   the index exists), under a unique `(customerId, productId)` index; it keeps what the
//!   customer saw when adding (name, price in cents) and `addedAt` in milliseconds. Both ids
//!   are kept as hex strings: the stand-in matches no ObjectId held in a field other than
//!   `_id` (`wishlist::stand_in_gap_an_object_id_in_a_field_matches_nothing_so_wishlist_ids_are_text`).
//! - [`WATCHES`] (`wishlist_watches`): one document per product ever wished, `_id` the
//!   product's id: the last sighting applied (name, price, stock, the product's `updatedAt`),
//!   a `version`, and the outbox of the `wishlist.*` events. A newer sighting is stored with
//!   its events in one write guarded by the version, so the news of one change is staged
//!   once, whichever replica or redelivery sees it first (see `events::wishlist`).

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::{Database, IndexModel, options::IndexOptions};
use shared::{ApiError, Money, api::wishlist::WishlistItem, events::Envelope, outbox};

use crate::domain::wishlist::Sighting;

/// Entries: who wishes which product.
pub const ENTRIES: &str = "wishlist";
/// The last sighting of each wished product, with the outbox of its news.
pub const WATCHES: &str = "wishlist_watches";

/// The unique `(customerId, productId)` index, and the lookup of a product's wishers.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let entries = db.collection::<Document>(ENTRIES);
    let unique = IndexOptions::builder().unique(true).build();
    entries
        .create_index(
            IndexModel::builder()
                .keys(doc! { "customerId": 1, "productId": 1 })
                .options(unique)
                .build(),
        )
        .await?;
    entries
        .create_index(IndexModel::builder().keys(doc! { "productId": 1 }).build())
        .await?;
    Ok(())
}

fn entry_id(customer: ObjectId, product: ObjectId) -> String {
    format!("{}:{}", customer.to_hex(), product.to_hex())
}

/// An integer, whatever width the server kept it in.
fn int(document: &Document, field: &str) -> Option<i64> {
    match document.get(field)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) => Some(*n as i64),
        _ => None,
    }
}

fn item(document: &Document) -> Result<WishlistItem, ApiError> {
    let broken = || ApiError::internal("a wishlist entry without its fields");
    let added = int(document, "addedAt").ok_or_else(broken)?;
    let added = chrono::DateTime::from_timestamp_millis(added).ok_or_else(broken)?;
    Ok(WishlistItem {
        product_id: document
            .get_str("productId")
            .map_err(|_| broken())?
            .to_owned(),
        name: document.get_str("name").map_err(|_| broken())?.to_owned(),
        price: Money::from_cents(int(document, "price").ok_or_else(broken)?),
        added_at: added.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        note: document.get_str("note").ok().map(str::to_owned),
    })
}

/// The customer's wishlist, newest first.
#[tracing::instrument(skip(db))]
pub async fn list(db: &Database, customer: ObjectId) -> Result<Vec<WishlistItem>, ApiError> {
    let found: Vec<Document> = db
        .collection::<Document>(ENTRIES)
        .find(doc! { "customerId": customer.to_hex() })
        .sort(doc! { "addedAt": -1, "_id": 1 })
        .await?
        .try_collect()
        .await?;
    found.iter().map(item).collect()
}

/// How many products the customer wishes.
pub async fn count(db: &Database, customer: ObjectId) -> Result<u64, ApiError> {
    Ok(db
        .collection::<Document>(ENTRIES)
        .count_documents(doc! { "customerId": customer.to_hex() })
        .await?)
}

/// The customer's entry for `product`, if any.
pub async fn find(
    db: &Database,
    customer: ObjectId,
    product: ObjectId,
) -> Result<Option<WishlistItem>, ApiError> {
    db.collection::<Document>(ENTRIES)
        .find_one(doc! { "_id": entry_id(customer, product) })
        .await?
        .as_ref()
        .map(item)
        .transpose()
}

/// Stores a new entry; `false` when the customer already had one (a racing add).
pub async fn insert(
    db: &Database,
    customer: ObjectId,
    product: ObjectId,
    seen: &Sighting,
    note: Option<&str>,
) -> Result<bool, ApiError> {
    let mut entry = doc! {
        "_id": entry_id(customer, product),
        "customerId": customer.to_hex(),
        "productId": product.to_hex(),
        "name": &seen.name,
        "price": seen.price.cents(),
        "addedAt": chrono::Utc::now().timestamp_millis(),
    };
    if let Some(note) = note {
        entry.insert("note", note);
    }
    match db.collection::<Document>(ENTRIES).insert_one(entry).await {
        Ok(_) => Ok(true),
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Sets the note of an existing entry.
pub async fn set_note(
    db: &Database,
    customer: ObjectId,
    product: ObjectId,
    note: &str,
) -> Result<(), ApiError> {
    db.collection::<Document>(ENTRIES)
        .update_one(
            doc! { "_id": entry_id(customer, product) },
            doc! { "$set": { "note": note } },
        )
        .await?;
    Ok(())
}

/// Removes the entry, if there is one.
pub async fn remove(db: &Database, customer: ObjectId, product: ObjectId) -> Result<(), ApiError> {
    db.collection::<Document>(ENTRIES)
        .delete_one(doc! { "_id": entry_id(customer, product) })
        .await?;
    Ok(())
}

/// Every customer wishing `product` (ids in hex).
pub async fn wishers(db: &Database, product: ObjectId) -> Result<Vec<String>, ApiError> {
    let found: Vec<Document> = db
        .collection::<Document>(ENTRIES)
        .find(doc! { "productId": product.to_hex() })
        .projection(doc! { "customerId": 1 })
        .await?
        .try_collect()
        .await?;
    Ok(found
        .iter()
        .filter_map(|d| d.get_str("customerId").ok())
        .map(str::to_owned)
        .collect())
}

/// A product's last sighting and its version.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The last sighting applied.
    pub seen: Sighting,
    /// Bumped by every write.
    pub version: i64,
}

/// The watch of `product`, if it was ever wished.
pub async fn watch(db: &Database, product: ObjectId) -> Result<Option<Watch>, ApiError> {
    let Some(found) = db
        .collection::<Document>(WATCHES)
        .find_one(doc! { "_id": product })
        .projection(doc! { "name": 1, "price": 1, "stock": 1, "updatedAt": 1, "version": 1 })
        .await?
    else {
        return Ok(None);
    };
    let broken = || ApiError::internal("a wishlist watch without its fields");
    Ok(Some(Watch {
        seen: Sighting {
            name: found.get_str("name").map_err(|_| broken())?.to_owned(),
            price: Money::from_cents(int(&found, "price").ok_or_else(broken)?),
            stock: int(&found, "stock").ok_or_else(broken)?,
            updated_at: int(&found, "updatedAt").ok_or_else(broken)?,
        },
        version: int(&found, "version").unwrap_or(0),
    }))
}

fn sighting_fields(seen: &Sighting) -> Document {
    doc! {
        "name": &seen.name,
        "price": seen.price.cents(),
        "stock": seen.stock,
        "updatedAt": seen.updated_at,
    }
}

/// Starts watching `product` from `seen` (the sighting of the first add); a product already
/// watched keeps its own last sighting, which the events keep current.
pub async fn start_watching(
    db: &Database,
    product: ObjectId,
    seen: &Sighting,
) -> Result<(), ApiError> {
    let mut watch = doc! { "_id": product, "version": 0_i64 };
    watch.extend(sighting_fields(seen));
    watch.extend(outbox::initial(&[]).map_err(ApiError::internal)?);
    match db.collection::<Document>(WATCHES).insert_one(watch).await {
        Ok(_) => Ok(()),
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Stores `seen` as `product`'s last sighting with `events` staged beside it, if the watch is
/// still at `version`; `false` when another write got in first.
pub async fn advance(
    db: &Database,
    product: ObjectId,
    version: i64,
    seen: &Sighting,
    events: &[Envelope],
) -> Result<bool, ApiError> {
    let next = version + 1;
    let mut set = sighting_fields(seen);
    set.insert("version", next);
    let mut update = doc! { "$set": set };
    outbox::stage_at(&mut update, events, next).map_err(ApiError::internal)?;
    let written = db
        .collection::<Document>(WATCHES)
        .update_one(doc! { "_id": product, "version": version }, update)
        .await?;
    Ok(written.matched_count == 1)
}

/// Removes every wishlist entry of `customer`; how many there were.
pub async fn remove_all(db: &Database, customer: ObjectId) -> Result<u64, ApiError> {
    let result = db
        .collection::<Document>(ENTRIES)
        .delete_many(doc! { "customerId": customer.to_hex() })
        .await?;
    Ok(result.deleted_count)
}
