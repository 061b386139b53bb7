//! The catalog in MongoDB: reading products, and the admin's writes, each staging its
//! `product.*` event in the same single-document write. Listing is in [`listing`].

use bson::{Bson, Document, doc, oid::ObjectId};
use mongodb::{Collection, Database};
use shared::{ApiError, events::keys, outbox};

use crate::{
    domain::{
        product::{Product, ProductDraft, is_low},
        review::Rating,
        stock::StockLow,
        variant::VariantOf,
    },
    events::envelope,
};

/// Leaves out what readers never need: pending events, the stock bookkeeping and what each
/// review counts in the rating.
fn projection() -> Document {
    use super::stock::{GIVING_BACK, LEGACY, RETURNING, TAKING};
    doc! {
        outbox::FIELD: 0, outbox::COUNT: 0,
        LEGACY: 0, TAKING: 0, GIVING_BACK: 0, RETURNING: 0, "ratings": 0,
        "restocking": 0, "restocked": 0, variants::KEYS: 0,
        embeddings::FIELD: 0, embeddings::MODEL_FIELD: 0,
    }
}

/// Only products that were not deleted.
fn live() -> Document {
    doc! { "deletedAt": { "$exists": false } }
}

/// The stored form of the editable fields, with the lowercase keys used to filter and sort.
fn fields(draft: &ProductDraft) -> Document {
    doc! {
        "name": &draft.name,
        "nameKey": draft.name.to_lowercase(),
        "description": &draft.description,
        "priceCents": draft.price.cents(),
        "category": &draft.category,
        "categoryKey": draft.category.to_lowercase(),
        "categoryId": &draft.category_id,
        "brand": draft.brand.as_deref().map_or(Bson::Null, Bson::from),
        "brandKey": draft.brand.as_deref().map_or(Bson::Null, |b| Bson::from(b.to_lowercase())),
        "tags": &draft.tags,
        "imageUrl": draft.image_url.as_deref().map_or(Bson::Null, Bson::from),
        "stock": draft.stock,
        "lowStockThreshold": draft.low_stock_threshold,
    }
}

fn encode(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
    ApiError::internal(e)
}

pub mod embeddings;
pub mod images;
pub mod inventory;
pub mod listing;
mod stored;
pub mod variants;

use stored::Stored;

pub use listing::MAX_CANDIDATES;

/// The `products` collection.
#[derive(Clone)]
pub struct Products {
    collection: Collection<Document>,
    /// The images' bytes, one document per product and image (see [`images`]).
    blobs: Collection<Document>,
}

impl Products {
    /// The catalog of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(super::PRODUCTS),
            blobs: db.collection(super::IMAGES),
        }
    }

    async fn stored(&self, id: ObjectId) -> Result<Option<Stored>, ApiError> {
        let mut filter = live();
        filter.insert("_id", id);
        let found = self
            .collection
            .find_one(filter)
            .projection(projection())
            .await?;
        found
            .map(bson::from_document::<Stored>)
            .transpose()
            .map_err(encode)
    }

    /// The product `id`, unless it is missing or deleted.
    #[tracing::instrument(skip(self))]
    pub async fn find(&self, id: ObjectId) -> Result<Option<Product>, ApiError> {
        let Some(stored) = self.stored(id).await? else {
            return Ok(None);
        };
        // Only a product sold in variants pays for the second read.
        let in_variants = stored.has_variants;
        let product = Product::from(stored);
        if !in_variants {
            return Ok(Some(product));
        }
        Ok(self.with_variants(vec![product]).await?.pop())
    }

    /// Adds a product, staging `product.created`, with its `embedding` when there is one.
    #[tracing::instrument(skip_all)]
    pub async fn create(
        &self,
        draft: ProductDraft,
        embedding: Option<&[f32]>,
        correlation: &str,
    ) -> Result<Product, ApiError> {
        let (_, now) = super::now();
        let product = Product {
            id: ObjectId::new(),
            fields: draft,
            created_at: now,
            updated_at: now,
            rating: Rating::default(),
            images: Vec::new(),
            variant: None,
            variants: Vec::new(),
        };
        self.insert(product, embedding, correlation).await
    }

    /// Stores the new `product` (a variant too), staging `product.created`.
    async fn insert(
        &self,
        product: Product,
        embedding: Option<&[f32]>,
        correlation: &str,
    ) -> Result<Product, ApiError> {
        let millis = product.created_at.timestamp_millis();
        let event =
            envelope(keys::PRODUCT_CREATED, correlation, product.to_json()).map_err(encode)?;
        let mut document = doc! { "_id": product.id };
        document.extend(fields(&product.fields));
        document.extend(doc! { "stockLow": false, "createdAt": millis, "updatedAt": millis });
        // A product without reviews sorts last under `sort=rating` on any server.
        document.extend(doc! { "ratingSum": 0_i64, "ratingCount": 0_i64, "ratingAverage": 0.0 });
        if let Some(variant) = &product.variant {
            document.extend(variants::fields(variant));
        }
        if let Some(vector) = embedding {
            document.extend(embeddings::stored(vector));
        }
        document.extend(outbox::initial(&[event]).map_err(encode)?);
        self.collection.insert_one(document).await?;
        Ok(product)
    }

    /// Replaces every editable field of `id`, staging `product.updated`, plus
    /// `product.stock_low` when the new stock is low and this low period was not announced
    /// yet. The embedding of the new text replaces the old one; without one (no model) the old
    /// one is removed, since it describes the old text, and the backfill makes it anew. `None`
    /// when the product is missing or deleted.
    #[tracing::instrument(skip(self, draft, embedding, correlation))]
    pub async fn replace(
        &self,
        id: ObjectId,
        draft: ProductDraft,
        embedding: Option<&[f32]>,
        correlation: &str,
    ) -> Result<Option<Product>, ApiError> {
        self.replace_as(id, draft, embedding, correlation, None)
            .await
    }

    /// [`Products::replace`], making the product the variant `variant` when given (a
    /// variant's own fields are set with the others).
    async fn replace_as(
        &self,
        id: ObjectId,
        draft: ProductDraft,
        embedding: Option<&[f32]>,
        correlation: &str,
        variant: Option<&VariantOf>,
    ) -> Result<Option<Product>, ApiError> {
        // The stock-low flag may be flipped by the stock consumer between our read and our
        // write; the write is guarded by the flag we read, and tried again if it moved.
        for _ in 0..5 {
            let Some(current) = self.stored(id).await? else {
                return Ok(None);
            };
            let (millis, now) = super::now();
            let product = Product {
                id,
                fields: draft.clone(),
                created_at: super::from_millis(current.created_at),
                updated_at: now,
                rating: Rating {
                    sum: current.rating_sum,
                    count: current.rating_count,
                },
                images: current.images.clone(),
                variant: variant
                    .cloned()
                    .or_else(|| Product::from(current.clone()).variant),
                variants: Vec::new(),
            };
            // Sold in variants, its own stock is not sold: it is kept as it is.
            let low = !current.has_variants && is_low(draft.stock, draft.low_stock_threshold);
            let events = replaced_events(&product, low && !current.stock_low, correlation)?;
            let located = kept_per_location(&current, &draft)?;
            let mut set = fields(&draft);
            set.extend(doc! { "stockLow": low, "updatedAt": millis });
            if located || current.has_variants {
                // The total is the locations' sum; only the inventory moves it.
                set.remove("stock");
            }
            if let Some(variant) = variant {
                set.extend(variants::fields(variant));
            }
            let mut update = match embedding {
                Some(vector) => {
                    set.extend(embeddings::stored(vector));
                    doc! { "$set": set }
                }
                None => doc! { "$set": set, "$unset": embeddings::unset() },
            };
            outbox::stage(&mut update, &events).map_err(encode)?;
            if self
                .collection
                .update_one(replace_guard(id, &current), update)
                .await?
                .matched_count
                == 1
            {
                return Ok(Some(product));
            }
        }
        Err(ApiError::Conflict(
            "the product kept changing while being saved; retry".to_owned(),
        ))
    }

    /// Marks `id` deleted (it keeps its pending events), staging `product.deleted`. `false`
    /// when it is missing or already deleted.
    #[tracing::instrument(skip(self, correlation))]
    pub async fn delete(&self, id: ObjectId, correlation: &str) -> Result<bool, ApiError> {
        let (millis, _) = super::now();
        let event = envelope(
            keys::PRODUCT_DELETED,
            correlation,
            serde_json::json!({ "id": id.to_hex() }),
        )
        .map_err(encode)?;
        let mut update = doc! { "$set": { "deletedAt": millis, "updatedAt": millis } };
        outbox::stage(&mut update, &[event]).map_err(encode)?;
        let mut filter = live();
        filter.insert("_id", id);
        Ok(self
            .collection
            .update_one(filter, update)
            .await?
            .matched_count
            == 1)
    }
}

/// `product.updated` for the replaced `product`, and `product.stock_low` when it `became_low`.
fn replaced_events(
    product: &Product,
    became_low: bool,
    correlation: &str,
) -> Result<Vec<shared::events::Envelope>, ApiError> {
    let mut events =
        vec![envelope(keys::PRODUCT_UPDATED, correlation, product.to_json()).map_err(encode)?];
    if became_low {
        let draft = &product.fields;
        let data = StockLow {
            product_id: product.id.to_hex(),
            name: &draft.name,
            stock: draft.stock,
            threshold: draft.low_stock_threshold,
        };
        events.push(envelope(keys::PRODUCT_STOCK_LOW, correlation, data).map_err(encode)?);
    }
    Ok(events)
}

/// What a replacement of `id` read as `current` is guarded by: the stock-low flag, the
/// images (the event carries them: an image added or removed meanwhile moves the version) and
/// the stock mode (a product spread over locations meanwhile is read again, and refused).
fn replace_guard(id: ObjectId, current: &Stored) -> Document {
    let mut filter = live();
    filter.insert("_id", id);
    filter.insert("stockLow", flag_guard(current.stock_low));
    filter.insert(
        images::VERSION,
        images::version_guard(current.images_version),
    );
    filter.insert(super::stock::located::MODE, mode_guard(current));
    filter
}

/// Whether the product's stock is kept per location; then a replacement must keep it as it is
/// (409 otherwise: it moves per location, through the inventory).
fn kept_per_location(current: &Stored, draft: &ProductDraft) -> Result<bool, ApiError> {
    let located = current.stock_mode.as_deref() == Some(super::stock::located::LOCATED);
    if located && draft.stock != current.stock {
        return Err(ApiError::Conflict(
            "this product's stock is kept per location: change it with PUT \
             /products/{id}/inventory (or send the stock it has now)"
                .to_owned(),
        ));
    }
    Ok(located)
}

/// Matches the stock mode `current` was read with (absent when it had none).
fn mode_guard(current: &Stored) -> Bson {
    match &current.stock_mode {
        Some(value) => Bson::from(value.as_str()),
        None => Bson::Document(doc! { "$exists": false }),
    }
}

/// Matches a stored `stockLow` equal to `flag` (a missing field counts as `false`).
pub fn flag_guard(flag: bool) -> Bson {
    if flag {
        Bson::Boolean(true)
    } else {
        Bson::Document(doc! { "$ne": true })
    }
}

fn decode(documents: Vec<Document>) -> Result<Vec<Product>, ApiError> {
    documents
        .into_iter()
        .map(|d| bson::from_document::<Stored>(d).map(Product::from))
        .collect::<Result<_, _>>()
        .map_err(encode)
}
