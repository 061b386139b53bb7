//! Variants in the catalog (see [`crate::domain::variant`] for the rules): each one a product
//! document with `variantOf`, `sku`, `color`, `size` and `ownPrice`, so every stock path works
//! on it unchanged.
//!
//! Uniqueness within a product (SKU, options) is kept by claims on the product's document:
//! `variantKeys.<key>: <variant id in hex>` (a string: the stand-in matches no ObjectId under a
//! dotted path, `tests/api/gaps.rs`), set by one guarded write before the variant is stored
//! and removed after it is deleted. There is no transaction, so a crash can leave a claim
//! whose variant was never stored (or is deleted): the next writer that meets it checks the
//! variant and, finding none alive, removes the claim (guarded by its holder) and claims
//! again. The product's `hasVariants` flag, which the stock take reads to refuse the product
//! itself, is set by the claiming write and cleared only by a write guarded by
//! `variantsVersion`, which every claim moves: so a variant made while the last one was being
//! deleted is never left with its product sellable.

use std::collections::HashMap;

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use shared::ApiError;

use super::{Products, decode, live, projection};
use crate::{
    domain::{
        product::{Product, ProductDraft},
        variant::{self, VariantOf},
    },
    store::{int, stock::entry},
};

/// The product's map of claims (`<key>: <variant id>`).
pub const KEYS: &str = "variantKeys";
/// Set on a product while it has variants.
pub const HAS_VARIANTS: &str = "hasVariants";
/// Moved by every claim.
const VERSION: &str = "variantsVersion";
/// How often a claim is tried again after clearing a stale one.
const CLAIM_ROUNDS: usize = 4;

/// The stored fields of a variant.
pub fn fields(variant: &VariantOf) -> Document {
    let text = |s: &Option<String>| s.as_deref().map_or(Bson::Null, Bson::from);
    doc! {
        // Text, not an ObjectId: the stand-in matches no ObjectId on a field other than `_id`
        // (`tests/api/gaps.rs`).
        "variantOf": variant.of.to_hex(),
        "sku": &variant.sku,
        "color": text(&variant.color),
        "size": text(&variant.size),
        "ownPrice": variant.own_price,
    }
}

fn key_path(key: &str) -> String {
    format!("{KEYS}.{key}")
}

impl Products {
    /// The live variants of each of `parents`, oldest first.
    async fn variants_of(
        &self,
        parents: &[ObjectId],
    ) -> Result<HashMap<ObjectId, Vec<Product>>, ApiError> {
        let mut filter = live();
        let parents: Vec<String> = parents.iter().map(|p| p.to_hex()).collect();
        filter.insert("variantOf", doc! { "$in": parents });
        let found: Vec<Document> = self
            .collection
            .find(filter)
            .projection(projection())
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .await?
            .try_collect()
            .await?;
        let mut by_parent: HashMap<ObjectId, Vec<Product>> = HashMap::new();
        for product in decode(found)? {
            if let Some(of) = product.variant.as_ref().map(|v| v.of) {
                by_parent.entry(of).or_default().push(product);
            }
        }
        Ok(by_parent)
    }

    /// `products` with their live variants attached (one query for all of them).
    pub async fn with_variants(
        &self,
        mut products: Vec<Product>,
    ) -> Result<Vec<Product>, ApiError> {
        let parents: Vec<ObjectId> = products
            .iter()
            .filter(|p| p.variant.is_none())
            .map(|p| p.id)
            .collect();
        if parents.is_empty() {
            return Ok(products);
        }
        let mut found = self.variants_of(&parents).await?;
        for product in &mut products {
            product.variants = found.remove(&product.id).unwrap_or_default();
        }
        Ok(products)
    }

    /// Adds the variant `variant` with `fields` to `parent`, staging its `product.created`.
    #[tracing::instrument(skip_all, fields(product.id = %parent.id))]
    pub async fn create_variant(
        &self,
        parent: &Product,
        fields: ProductDraft,
        variant: VariantOf,
        correlation: &str,
    ) -> Result<Product, ApiError> {
        let id = ObjectId::new();
        self.claim(parent.id, id, &variant.claims()).await?;
        let (_, now) = crate::store::now();
        let product = Product {
            id,
            fields,
            created_at: now,
            updated_at: now,
            rating: crate::domain::review::Rating::default(),
            images: Vec::new(),
            variant: Some(variant),
            variants: Vec::new(),
        };
        self.insert(product, None, correlation).await
    }

    /// Changes the variant `current` of `parent` to `fields` and `variant`, staging its
    /// `product.updated`; `None` when it is gone.
    #[tracing::instrument(skip_all, fields(product.id = %parent, variant.id = %current.id))]
    pub async fn update_variant(
        &self,
        parent: ObjectId,
        current: &Product,
        fields: ProductDraft,
        variant: VariantOf,
        correlation: &str,
    ) -> Result<Option<Product>, ApiError> {
        let old = current
            .variant
            .as_ref()
            .map(VariantOf::claims)
            .unwrap_or_default();
        let new = variant.claims();
        let added: Vec<String> = new.iter().filter(|k| !old.contains(k)).cloned().collect();
        self.claim(parent, current.id, &added).await?;
        let updated = self
            .replace_as(current.id, fields, None, correlation, Some(&variant))
            .await?;
        let gone: Vec<String> = old.iter().filter(|k| !new.contains(k)).cloned().collect();
        self.unclaim(parent, current.id, &gone).await?;
        Ok(updated)
    }

    /// Deletes the variant `current` of `parent` (staging its `product.deleted`), then frees
    /// its claims; `false` when it was already gone.
    #[tracing::instrument(skip_all, fields(product.id = %parent, variant.id = %current.id))]
    pub async fn delete_variant(
        &self,
        parent: ObjectId,
        current: &Product,
        correlation: &str,
    ) -> Result<bool, ApiError> {
        let deleted = self.delete(current.id, correlation).await?;
        let claims = current
            .variant
            .as_ref()
            .map(VariantOf::claims)
            .unwrap_or_default();
        self.unclaim(parent, current.id, &claims).await?;
        self.clear_if_none_left(parent).await?;
        Ok(deleted)
    }

    /// Copies `parent`'s shared fields to each of its variants (a variant whose price is not
    /// its own takes the product's), staging each one's `product.updated`.
    pub async fn follow(&self, parent: &Product, correlation: &str) -> Result<(), ApiError> {
        let Some(variants) = self.variants_of(&[parent.id]).await?.remove(&parent.id) else {
            return Ok(());
        };
        for current in variants {
            let Some(own) = current.variant.clone() else {
                continue;
            };
            let fields = variant::follow(&current.fields, own.own_price, &parent.fields);
            self.replace_as(current.id, fields, None, correlation, Some(&own))
                .await?;
        }
        Ok(())
    }

    /// Deletes every variant of `parent` (after the product itself was deleted).
    pub async fn delete_variants(
        &self,
        parent: ObjectId,
        correlation: &str,
    ) -> Result<(), ApiError> {
        if let Some(variants) = self.variants_of(&[parent]).await?.remove(&parent) {
            for current in variants {
                self.delete_variant(parent, &current, correlation).await?;
            }
        }
        Ok(())
    }

    /// Claims `keys` on `parent` for the variant `id` (409 when a live variant holds one,
    /// 404 when the product is gone); marks the product as sold in variants.
    async fn claim(&self, parent: ObjectId, id: ObjectId, keys: &[String]) -> Result<(), ApiError> {
        for _ in 0..CLAIM_ROUNDS {
            let mut filter = live();
            filter.extend(doc! { "_id": parent, "variantOf": { "$exists": false } });
            let mut set = doc! { HAS_VARIANTS: true };
            for key in keys {
                filter.insert(key_path(key), doc! { "$exists": false });
                set.insert(key_path(key), id.to_hex());
            }
            let update = doc! { "$set": set, "$inc": { VERSION: 1 } };
            if self
                .collection
                .update_one(filter, update)
                .await?
                .matched_count
                == 1
            {
                return Ok(());
            }
            let mut fields = doc! { "deletedAt": 1, "variantOf": 1 };
            for key in keys {
                fields.insert(key_path(key), 1);
            }
            let Some(found) = self
                .collection
                .find_one(doc! { "_id": parent })
                .projection(fields)
                .await?
                .filter(|d| !d.contains_key("deletedAt"))
            else {
                return Err(ApiError::NotFound("no such product".to_owned()));
            };
            if found.contains_key("variantOf") {
                return Err(ApiError::Conflict(
                    "a variant cannot have variants of its own".to_owned(),
                ));
            }
            let holder = |key: &String| {
                entry(&found, KEYS, key)
                    .and_then(Bson::as_str)
                    .and_then(|hex| ObjectId::parse_str(hex).ok())
            };
            if keys.iter().all(|k| holder(k) == Some(id)) {
                // Claimed by an earlier try of this same change.
                return Ok(());
            }
            for key in keys {
                let Some(holder) = holder(key) else {
                    continue;
                };
                if holder == id {
                    continue;
                }
                if self.is_live_variant(parent, holder).await? {
                    let what = if key.starts_with("s-") {
                        "another variant of this product has this SKU"
                    } else {
                        "another variant of this product has this color and size"
                    };
                    return Err(ApiError::Conflict(what.to_owned()));
                }
                // Left by a variant never stored or since deleted: free it, then claim again.
                self.collection
                    .update_one(
                        doc! { "_id": parent, key_path(key): holder.to_hex() },
                        doc! { "$unset": { key_path(key): "" } },
                    )
                    .await?;
            }
        }
        Err(ApiError::Conflict(
            "the product's variants kept changing; retry".to_owned(),
        ))
    }

    /// Frees `keys` of `parent` where the variant `id` holds them.
    async fn unclaim(
        &self,
        parent: ObjectId,
        id: ObjectId,
        keys: &[String],
    ) -> Result<(), ApiError> {
        for key in keys {
            self.collection
                .update_one(
                    doc! { "_id": parent, key_path(key): id.to_hex() },
                    doc! { "$unset": { key_path(key): "" } },
                )
                .await?;
        }
        Ok(())
    }

    async fn is_live_variant(&self, parent: ObjectId, id: ObjectId) -> Result<bool, ApiError> {
        let mut filter = live();
        filter.extend(doc! { "_id": id, "variantOf": parent.to_hex() });
        Ok(self
            .collection
            .find_one(filter)
            .projection(doc! { "_id": 1 })
            .await?
            .is_some())
    }

    /// Makes `parent` sellable again once it has no live variant, unless a claim came since it
    /// looked.
    async fn clear_if_none_left(&self, parent: ObjectId) -> Result<(), ApiError> {
        let Some(found) = self
            .collection
            .find_one(doc! { "_id": parent })
            .projection(doc! { VERSION: 1 })
            .await?
        else {
            return Ok(());
        };
        let version = int(&found, VERSION).unwrap_or(0);
        let mut left = live();
        left.insert("variantOf", parent.to_hex());
        if self
            .collection
            .find_one(left)
            .projection(doc! { "_id": 1 })
            .await?
            .is_some()
        {
            return Ok(());
        }
        self.collection
            .update_one(
                doc! { "_id": parent, VERSION: version },
                doc! { "$set": { HAS_VARIANTS: false } },
            )
            .await?;
        Ok(())
    }
}
