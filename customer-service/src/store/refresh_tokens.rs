//! The `refresh_tokens` collection: one document per issued refresh token, stored by its
//! SHA-256, grouped in families (one per sign-in). Rotation marks a token used; presenting a
//! used token again revokes its whole family.

use bson::{Document, doc, oid::ObjectId};
use chrono::{DateTime, Utc};
use mongodb::{Collection, Database, IndexModel, options::IndexOptions};
use serde::{Deserialize, Serialize};
use shared::ApiError;

/// The collection name.
pub const COLLECTION: &str = "refresh_tokens";

/// Families that were ended (logout, reuse), by id, until their last token would expire.
pub const ENDED: &str = "ended_families";

/// A stored refresh token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshToken {
    /// SHA-256 of the token, hex.
    #[serde(rename = "_id")]
    pub hash: String,
    /// Whose it is.
    pub customer_id: ObjectId,
    /// The sign-in it descends from.
    pub family: String,
    /// When it stops working.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub expires_at: DateTime<Utc>,
    /// Set when it was exchanged for a new one.
    #[serde(default, deserialize_with = "shared::store::compat::boolean")]
    pub used: bool,
    /// Set when its family was revoked (logout, reuse).
    #[serde(default, deserialize_with = "shared::store::compat::boolean")]
    pub revoked: bool,
}

fn collection(db: &Database) -> Collection<RefreshToken> {
    db.collection(COLLECTION)
}

/// Lookups by family; expired tokens are removed by MongoDB.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    collection(db)
        .create_index(IndexModel::builder().keys(doc! { "family": 1 }).build())
        .await?;
    let ttl = IndexOptions::builder()
        .expire_after(std::time::Duration::from_secs(0))
        .build();
    let expiry = || {
        IndexModel::builder()
            .keys(doc! { "expiresAt": 1 })
            .options(ttl.clone())
            .build()
    };
    collection(db).create_index(expiry()).await?;
    db.collection::<Document>(ENDED)
        .create_index(expiry())
        .await?;
    Ok(())
}

/// Stores a new token.
pub async fn insert(db: &Database, token: &RefreshToken) -> Result<(), ApiError> {
    collection(db).insert_one(token).await?;
    Ok(())
}

/// What presenting a refresh token found.
#[derive(Debug)]
pub enum Exchange {
    /// It was valid and is now used; here it is.
    Fresh(RefreshToken),
    /// It had been used or revoked before: its family is to be ended.
    Reused {
        /// The family it belongs to.
        family: String,
    },
    /// Unknown or expired.
    Invalid,
}

/// Marks the token with `hash` used, atomically, if it is still good.
pub async fn exchange(db: &Database, hash: &str) -> Result<Exchange, ApiError> {
    let now = bson::DateTime::from_chrono(Utc::now());
    let claimed = collection(db)
        .find_one_and_update(
            doc! { "_id": hash, "used": false, "revoked": false, "expiresAt": { "$gt": now } },
            doc! { "$set": { "used": true } },
        )
        .await?;
    if let Some(token) = claimed {
        return Ok(Exchange::Fresh(token));
    }
    match collection(db).find_one(doc! { "_id": hash }).await? {
        Some(token) if token.used || token.revoked => Ok(Exchange::Reused {
            family: token.family,
        }),
        _ => Ok(Exchange::Invalid),
    }
}

/// Ends `family` for good: marks it ended (kept until `until`, when its last token expires),
/// then revokes every token of it.
pub async fn end_family(db: &Database, family: &str, until: DateTime<Utc>) -> Result<(), ApiError> {
    db.collection::<Document>(ENDED)
        .update_one(
            doc! { "_id": family },
            doc! { "$max": { "expiresAt": bson::DateTime::from_chrono(until) } },
        )
        .upsert(true)
        .await?;
    revoke_family(db, family).await
}

/// Whether `family` was ended.
pub async fn is_ended(db: &Database, family: &str) -> Result<bool, ApiError> {
    Ok(db
        .collection::<Document>(ENDED)
        .find_one(doc! { "_id": family })
        .await?
        .is_some())
}

/// Revokes every token of `family` stored so far.
pub async fn revoke_family(db: &Database, family: &str) -> Result<(), ApiError> {
    collection(db)
        .update_many(
            doc! { "family": family },
            doc! { "$set": { "revoked": true } },
        )
        .await?;
    Ok(())
}

/// The token with `hash`, if any.
pub async fn by_hash(db: &Database, hash: &str) -> Result<Option<RefreshToken>, ApiError> {
    Ok(collection(db).find_one(doc! { "_id": hash }).await?)
}

/// The session families `customer` has signed in to (ended ones too).
pub async fn families_of(db: &Database, customer: ObjectId) -> Result<Vec<String>, ApiError> {
    use futures::TryStreamExt;
    let tokens: Vec<Document> = db
        .collection::<Document>(COLLECTION)
        // `$in` of one, not equality: the stand-in's find misses an ObjectId field other than
        // `_id` compared by equality (its count does not), and `$in` means the same on MongoDB.
        .find(doc! { "customerId": { "$in": [customer] } })
        .projection(doc! { "family": 1 })
        .await?
        .try_collect()
        .await?;
    let mut families: Vec<String> = tokens
        .iter()
        .filter_map(|t| t.get_str("family").ok().map(str::to_owned))
        .collect();
    families.sort_unstable();
    families.dedup();
    Ok(families)
}
