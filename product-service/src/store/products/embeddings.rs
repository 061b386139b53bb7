//! Products' embeddings in MongoDB: how one is stored, and the start-up backfill that embeds
//! the products that have none (written before the model was there, or changed while this
//! service ran without it).
//!
//! A product keeps its embedding in `embedding` (the 384 floats as little-endian `f32`, binary,
//! 1,536 bytes) beside `embeddingModel` (which model made it, [`shared::embed::MODEL`]). A
//! create or an edit writes both in the same write as the text they describe; an edit made
//! without the model removes both. The backfill writes an embedding only if the product has not
//! changed since it was read (`updatedAt` unchanged, still without one), so it never pairs a
//! text with another text's vector; two replicas backfilling at once do the same work twice,
//! harmlessly.

use bson::{Binary, Document, doc, oid::ObjectId, spec::BinarySubtype};
use futures::TryStreamExt;
use shared::embed::{Embedder, MODEL};
use tokio_util::sync::CancellationToken;

use super::{Products, live};
use crate::domain::semantic::product_text;

/// The field holding a product's embedding.
pub const FIELD: &str = "embedding";
/// The field naming the model that made it.
pub const MODEL_FIELD: &str = "embeddingModel";

/// The `$set` fields that store `vector` as made by [`MODEL`].
pub fn stored(vector: &[f32]) -> Document {
    doc! {
        FIELD: Binary { subtype: BinarySubtype::Generic, bytes: shared::embed::to_bytes(vector) },
        MODEL_FIELD: MODEL,
    }
}

/// The `$unset` fields that remove a product's embedding.
pub fn unset() -> Document {
    doc! { FIELD: "", MODEL_FIELD: "" }
}

/// A stored embedding, when `document` holds one made by [`MODEL`].
pub fn read(document: &Document) -> Option<Vec<f32>> {
    if document.get_str(MODEL_FIELD).ok()? != MODEL {
        return None;
    }
    match document.get(FIELD)? {
        bson::Bson::Binary(binary) => shared::embed::from_bytes(&binary.bytes),
        _ => None,
    }
}

/// The text of a product document that its embedding describes.
pub fn text_of(document: &Document) -> String {
    let tags: Vec<String> = document
        .get_array("tags")
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    product_text(
        document.get_str("name").unwrap_or_default(),
        document.get_str("description").unwrap_or_default(),
        document.get_str("category").unwrap_or_default(),
        &tags,
    )
}

/// Live products without an embedding by the current model. `$nin`, not `$ne`: on the
/// stand-in an update filtered by `$ne` on a missing field matches nothing (`find` does match);
/// both mean the same on MongoDB (`tests/api/gaps.rs`).
pub fn missing() -> Document {
    let mut filter = live();
    filter.insert(MODEL_FIELD, doc! { "$nin": [MODEL] });
    // A variant is found through its product, whose text it shares.
    filter.insert("variantOf", doc! { "$exists": false });
    filter
}

/// Why a backfill pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// MongoDB refused or is down.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    /// The model failed.
    #[error(transparent)]
    Embed(#[from] shared::embed::EmbedError),
}

impl Products {
    /// Embeds every live product that has no embedding by [`MODEL`], `batch` at a time, until
    /// none is left, a pass writes nothing, or `cancel` fires; returns how many it wrote.
    #[tracing::instrument(skip_all)]
    pub async fn backfill_embeddings(
        &self,
        embedder: &Embedder,
        batch: i64,
        cancel: &CancellationToken,
    ) -> Result<u64, BackfillError> {
        let mut written = 0;
        while !cancel.is_cancelled() {
            let found: Vec<Document> = self
                .collection
                .find(missing())
                .projection(doc! {
                    "name": 1, "description": 1, "category": 1, "tags": 1, "updatedAt": 1,
                })
                .sort(doc! { "_id": 1 })
                .limit(batch)
                .await?
                .try_collect()
                .await?;
            if found.is_empty() {
                break;
            }
            let texts: Vec<String> = found.iter().map(text_of).collect();
            let vectors = embedder.embed(texts).await?;
            let mut pass = 0;
            for (document, vector) in found.iter().zip(&vectors) {
                let Ok(id) = document.get_object_id("_id") else {
                    continue;
                };
                if self.store_if_unchanged(id, document, vector).await? {
                    pass += 1;
                }
            }
            written += pass;
            if pass == 0 {
                // Every product of the pass changed under us; their writers (or the next
                // start) embed them.
                break;
            }
        }
        Ok(written)
    }

    /// Stores `vector` on `id` if it still has the `updatedAt` of `read` and no embedding.
    async fn store_if_unchanged(
        &self,
        id: ObjectId,
        read: &Document,
        vector: &[f32],
    ) -> Result<bool, mongodb::error::Error> {
        let mut filter = missing();
        filter.insert("_id", id);
        if let Some(at) = read.get("updatedAt") {
            filter.insert("updatedAt", at.clone());
        }
        let update = doc! { "$set": stored(vector) };
        Ok(self
            .collection
            .update_one(filter, update)
            .await?
            .matched_count
            == 1)
    }
}
