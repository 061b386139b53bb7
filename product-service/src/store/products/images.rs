//! A product's uploaded images. The product's document lists them (`images`, what
//! [`ProductImage`] keeps) and counts their changes (`imagesVersion`); the bytes are in
//! `product_images`, one document per product and image (`_id` = `<productId>/<imageId>`),
//! so a product's document stays small however large its pictures.
//!
//! Adding writes the bytes first, then lists the image on the product in one write that also
//! stages `product.updated`, guarded by the version read: a crash between the two leaves bytes
//! that no product lists (never served on a product's page, harmless), never a listed image
//! without bytes. Removing unlists first, then deletes the bytes. The same bytes uploaded again
//! are the same image (the id is their digest): nothing changes. Bytes that no product lists
//! after an hour untouched (an upload stopped between its writes) are swept
//! ([`Products::sweep_orphan_images`], every ten minutes).

use bson::{Binary, Bson, Document, doc, oid::ObjectId, spec::BinarySubtype};
use bytes::Bytes;
use shared::{
    ApiError,
    api::images::{ImageUpload, MAX_IMAGES},
    events::keys,
    outbox,
};

use super::{Products, Stored, encode, live};
use crate::{
    domain::{image::ProductImage, product::Product},
    events::envelope,
};

/// When an upload last wrote or touched an image's bytes (epoch milliseconds).
const TOUCHED: &str = "touchedAt";

/// The product's count of image changes (absent before the first).
pub const VERSION: &str = "imagesVersion";

/// How many times a write that lost a race with another change of the product is tried.
const ATTEMPTS: u32 = 12;

/// Matches a stored version equal to `version` (absent counts as 0).
pub fn version_guard(version: i64) -> Bson {
    if version == 0 {
        Bson::Document(doc! { "$exists": false })
    } else {
        Bson::Int64(version)
    }
}

/// What adding an image did.
#[derive(Debug)]
pub enum Added {
    /// The image is new to the product: the product with it.
    New(Product),
    /// The product already had these bytes: the product, unchanged.
    Already(Product),
}

/// An image's bytes and media type, as served.
#[derive(Debug, Clone)]
pub struct Blob {
    /// The media type.
    pub content_type: String,
    /// The bytes.
    pub data: Bytes,
}

fn blob_id(product: ObjectId, image: &str) -> String {
    format!("{}/{image}", product.to_hex())
}

fn too_many() -> ApiError {
    ApiError::Conflict(format!(
        "the product already has {MAX_IMAGES} images; remove one first"
    ))
}

fn busy() -> ApiError {
    ApiError::Conflict("the product kept changing while its images were saved; retry".to_owned())
}

impl Products {
    /// Adds `upload` to the product `id`, staging `product.updated`. `None` when the product is
    /// missing or deleted; 409 when it already holds [`MAX_IMAGES`].
    #[tracing::instrument(skip(self, upload, correlation))]
    pub async fn add_image(
        &self,
        id: ObjectId,
        upload: &ImageUpload,
        correlation: &str,
    ) -> Result<Option<Added>, ApiError> {
        let image = ProductImage::of(upload);
        let mut stored_bytes = false;
        for attempt in 0..ATTEMPTS {
            crate::store::race_pause(attempt).await;
            let Some(current) = self.stored(id).await? else {
                return Ok(None);
            };
            if current.images.iter().any(|i| i.id == image.id) {
                return Ok(Some(Added::Already(Product::from(current))));
            }
            if current.images.len() >= MAX_IMAGES {
                return Err(too_many());
            }
            if !stored_bytes {
                self.store_bytes(id, &image, &upload.data).await?;
                stored_bytes = true;
            }
            let mut images = current.images.clone();
            images.push(image.clone());
            let version = current.images_version;
            if let Some(product) = self
                .set_images(current, images, version, correlation)
                .await?
            {
                return Ok(Some(Added::New(product)));
            }
        }
        Err(busy())
    }

    /// Removes the image `image` from the product `id`, staging `product.updated`, then its
    /// bytes. `None` when the product is missing or deleted or has no such image.
    #[tracing::instrument(skip(self, correlation))]
    pub async fn remove_image(
        &self,
        id: ObjectId,
        image: &str,
        correlation: &str,
    ) -> Result<Option<Product>, ApiError> {
        for attempt in 0..ATTEMPTS {
            crate::store::race_pause(attempt).await;
            let Some(current) = self.stored(id).await? else {
                return Ok(None);
            };
            if !current.images.iter().any(|i| i.id == image) {
                return Ok(None);
            }
            let images: Vec<ProductImage> = current
                .images
                .iter()
                .filter(|i| i.id != image)
                .cloned()
                .collect();
            let version = current.images_version;
            if let Some(product) = self
                .set_images(current, images, version, correlation)
                .await?
            {
                self.blobs
                    .delete_one(doc! { "_id": blob_id(id, image) })
                    .await?;
                return Ok(Some(product));
            }
        }
        Err(busy())
    }

    /// The bytes of the image `image` of the product `id`, when there are any.
    #[tracing::instrument(skip(self))]
    pub async fn image(&self, id: ObjectId, image: &str) -> Result<Option<Blob>, ApiError> {
        let Some(found) = self
            .blobs
            .find_one(doc! { "_id": blob_id(id, image) })
            .await?
        else {
            return Ok(None);
        };
        let content_type = found.get_str("contentType").map_err(encode)?.to_owned();
        let data = match found.get("data") {
            Some(Bson::Binary(binary)) => Bytes::from(binary.bytes.clone()),
            _ => return Err(encode("an image document without its bytes")),
        };
        Ok(Some(Blob { content_type, data }))
    }

    /// Deletes the bytes no product lists that no upload touched for `quiet` (an upload
    /// stopped between its two writes, an image removed by a crashed request): how many.
    /// A re-upload of the same bytes meanwhile is safe: it touches them, so the guarded
    /// delete spares them, and an upsert after a delete writes them again.
    #[tracing::instrument(skip(self))]
    pub async fn sweep_orphan_images(&self, quiet: std::time::Duration) -> Result<u64, ApiError> {
        use futures::TryStreamExt;
        let cutoff = crate::store::now().0 - i64::try_from(quiet.as_millis()).unwrap_or(i64::MAX);
        let mut swept = 0;
        let stale = [
            doc! { TOUCHED: { "$lt": cutoff } },
            doc! { TOUCHED: { "$exists": false }, "createdAt": { "$lt": cutoff } },
        ];
        for filter in stale {
            let old: Vec<Document> = self
                .blobs
                .find(filter.clone())
                .projection(doc! { "productId": 1, "imageId": 1 })
                .await?
                .try_collect()
                .await?;
            for blob in old {
                let (Ok(product), Ok(image)) =
                    (blob.get_object_id("productId"), blob.get_str("imageId"))
                else {
                    continue;
                };
                let listed = self
                    .collection
                    .find_one(doc! { "_id": product })
                    .projection(doc! { "images": 1 })
                    .await?
                    .and_then(|p| p.get_array("images").ok().cloned())
                    .is_some_and(|images| {
                        images.iter().any(|i| {
                            i.as_document().and_then(|d| d.get_str("id").ok()) == Some(image)
                        })
                    });
                if listed {
                    continue;
                }
                let mut guarded = filter.clone();
                guarded.insert("_id", blob.get("_id").cloned().unwrap_or(Bson::Null));
                swept += self.blobs.delete_one(guarded).await?.deleted_count;
            }
        }
        if swept > 0 {
            metrics::counter!("product_images_swept_total").increment(swept);
            tracing::info!(swept, "orphan image bytes deleted");
        }
        Ok(swept)
    }

    /// Writes the bytes of `image` once (the same bytes again change nothing).
    async fn store_bytes(
        &self,
        id: ObjectId,
        image: &ProductImage,
        data: &[u8],
    ) -> Result<(), ApiError> {
        let (millis, _) = crate::store::now();
        let binary = Binary {
            subtype: BinarySubtype::Generic,
            bytes: data.to_vec(),
        };
        self.blobs
            .update_one(
                doc! { "_id": blob_id(id, &image.id) },
                doc! {
                    "$setOnInsert": {
                        "productId": id,
                        "imageId": &image.id,
                        "contentType": &image.content_type,
                        "data": binary,
                        "createdAt": millis,
                    },
                    // The sweep leaves bytes an upload has just touched, listed or not yet.
                    "$set": { TOUCHED: millis },
                },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Writes `images` as the product's list if its image version is still `version`, with
    /// `product.updated` carrying the product as it then is. `None` when another change came
    /// first (the caller reads again).
    async fn set_images(
        &self,
        current: Stored,
        images: Vec<ProductImage>,
        version: i64,
        correlation: &str,
    ) -> Result<Option<Product>, ApiError> {
        let id = current.id;
        let (millis, now) = crate::store::now();
        let mut product = Product::from(current);
        product.images = images;
        product.updated_at = now;
        let event =
            envelope(keys::PRODUCT_UPDATED, correlation, product.to_json()).map_err(encode)?;
        let listed: Vec<Document> = product
            .images
            .iter()
            .map(bson::to_document)
            .collect::<Result<_, _>>()
            .map_err(encode)?;
        let mut update = doc! {
            "$set": { "images": listed, "updatedAt": millis },
            "$inc": { VERSION: 1_i64 },
        };
        outbox::stage(&mut update, &[event]).map_err(encode)?;
        let mut filter = live();
        filter.insert("_id", id);
        filter.insert(VERSION, version_guard(version));
        let matched = self
            .collection
            .update_one(filter, update)
            .await?
            .matched_count;
        Ok((matched == 1).then_some(product))
    }
}
