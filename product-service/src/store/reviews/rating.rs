//! A product's rating: the sums over its visible reviews, kept on the product.
//!
//! The product keeps `ratingSum`, `ratingCount`, `ratingAverage` (the sort key) and
//! `ratingVersion`, and nothing per review (issue 22: a `ratings.<reviewId>` field per
//! review grew a popular product's document forever). [`Reviews::recount`] sums the
//! product's counted reviews on the server and writes the result guarded by the version it
//! read before summing, bumping it: a write of a sum taken before some change can only win
//! if no write followed that change's own recount, and that recount retries on fresh sums,
//! so the last write always reflects every review change. It is idempotent, so a request
//! that failed half way (or a retried one) is completed by the next change of any review of
//! the product. Products written before keep `ratings`; the first recount (or the
//! start-up migration, [`Reviews::migrate_legacy`]) removes it.

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use shared::ApiError;

use super::Reviews;
use crate::{domain::review::Rating, store::int};

/// The product field counting rating writes, which guards each against a stale sum.
pub const RATING_VERSION: &str = "ratingVersion";
/// Where versions before issue 22 kept what each review counted (`{<reviewId>: stars}`).
pub const LEGACY_RATINGS: &str = "ratings";
/// How often a recount is tried again while other recounts of the product win.
const RECOUNT_ROUNDS: usize = 20;

/// Matches a stored integer field equal to `value`, or a missing one for `None`.
fn equals(value: Option<i64>) -> Bson {
    value.map_or_else(|| Bson::Document(doc! { "$exists": false }), Bson::Int64)
}

impl Reviews {
    /// Sets `product`'s rating to the sums over its counted reviews (see the module docs); a
    /// write that lost a race with another recount is tried again on fresh sums.
    #[tracing::instrument(skip(self))]
    pub async fn recount(&self, product: ObjectId) -> Result<(), ApiError> {
        for _ in 0..RECOUNT_ROUNDS {
            let Some(stored) = self
                .products
                .find_one(doc! { "_id": product })
                .projection(doc! { RATING_VERSION: 1 })
                .await?
            else {
                return Ok(());
            };
            let version = int(&stored, RATING_VERSION);
            let rating = self.tally(product).await?;
            let update = doc! {
                "$set": {
                    "ratingSum": rating.sum, "ratingCount": rating.count,
                    "ratingAverage": rating.sort_key(),
                    RATING_VERSION: version.unwrap_or(0) + 1,
                },
                "$unset": { LEGACY_RATINGS: "" },
            };
            let filter = doc! { "_id": product, RATING_VERSION: equals(version) };
            if self
                .products
                .update_one(filter, update)
                .await?
                .matched_count
                == 1
            {
                return Ok(());
            }
        }
        Err(ApiError::Conflict(
            "the product's rating kept changing while being saved; retry".to_owned(),
        ))
    }

    /// The sums over `product`'s counted (visible) reviews, added up by the server.
    async fn tally(&self, product: ObjectId) -> Result<Rating, mongodb::error::Error> {
        let pipeline = [
            doc! { "$match": { "productId": product.to_hex(), "hidden": 0_i32 } },
            doc! { "$group": {
                "_id": Bson::Null, "sum": { "$sum": "$rating" }, "count": { "$sum": 1 },
            } },
        ];
        let mut cursor = self.reviews.aggregate(pipeline).await?;
        Ok(match cursor.try_next().await? {
            Some(totals) => Rating {
                sum: int(&totals, "sum").unwrap_or(0),
                count: int(&totals, "count").unwrap_or(0),
            },
            None => Rating::default(),
        })
    }

    /// Recounts every product still carrying the per-review `ratings` of older versions, so
    /// that they lose it; safe to run again and beside other instances. How many it recounted.
    #[tracing::instrument(skip_all)]
    pub async fn migrate_legacy(&self) -> Result<u64, ApiError> {
        let stale: Vec<Document> = self
            .products
            .find(doc! { LEGACY_RATINGS: { "$exists": true } })
            .projection(doc! { "_id": 1 })
            .await?
            .try_collect()
            .await?;
        for product in &stale {
            if let Ok(id) = product.get_object_id("_id") {
                self.recount(id).await?;
            }
        }
        if !stale.is_empty() {
            tracing::info!(
                products = stale.len(),
                "legacy per-review ratings recounted away"
            );
        }
        Ok(stale.len() as u64)
    }
}
