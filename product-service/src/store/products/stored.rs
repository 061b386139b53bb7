//! A product document as read back: its fields, with the forms the stand-in may give them
//! read tolerantly (see the parent module).

use bson::oid::ObjectId;
use serde::Deserialize;
use shared::Money;

use crate::domain::{
    image::ProductImage,
    product::{Product, ProductDraft},
    review::Rating,
    variant::VariantOf,
};

/// A product document as stored (bookkeeping fields left out).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Stored {
    #[serde(rename = "_id")]
    pub(super) id: ObjectId,
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    pub(super) price_cents: i64,
    pub(super) category: String,
    #[serde(default)]
    pub(super) category_id: String,
    #[serde(default)]
    pub(super) brand: Option<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) image_url: Option<String>,
    pub(super) stock: i64,
    pub(super) low_stock_threshold: i64,
    #[serde(default, deserialize_with = "shared::store::compat::boolean")]
    pub(super) stock_low: bool,
    #[serde(deserialize_with = "shared::store::compat::millis")]
    pub(super) created_at: i64,
    #[serde(deserialize_with = "shared::store::compat::millis")]
    pub(super) updated_at: i64,
    #[serde(default)]
    pub(super) rating_sum: i64,
    #[serde(default)]
    pub(super) rating_count: i64,
    #[serde(default)]
    pub(super) images: Vec<ProductImage>,
    #[serde(default)]
    pub(super) images_version: i64,
    #[serde(default)]
    pub(super) stock_mode: Option<String>,
    #[serde(default)]
    pub(super) variant_of: Option<String>,
    #[serde(default)]
    pub(super) sku: Option<String>,
    #[serde(default)]
    pub(super) color: Option<String>,
    #[serde(default)]
    pub(super) size: Option<String>,
    #[serde(default, deserialize_with = "shared::store::compat::boolean")]
    pub(super) own_price: bool,
    #[serde(default, deserialize_with = "shared::store::compat::boolean")]
    pub(super) has_variants: bool,
}

impl From<Stored> for Product {
    fn from(s: Stored) -> Self {
        let variant = s
            .variant_of
            .and_then(|of| ObjectId::parse_str(of).ok())
            .map(|of| VariantOf {
                of,
                sku: s.sku.unwrap_or_default(),
                color: s.color,
                size: s.size,
                own_price: s.own_price,
            });
        Self {
            id: s.id,
            fields: ProductDraft {
                name: s.name,
                description: s.description,
                price: Money::from_cents(s.price_cents),
                category: s.category,
                category_id: s.category_id,
                brand: s.brand,
                tags: s.tags,
                image_url: s.image_url,
                stock: s.stock,
                low_stock_threshold: s.low_stock_threshold,
            },
            created_at: crate::store::from_millis(s.created_at),
            updated_at: crate::store::from_millis(s.updated_at),
            rating: Rating {
                sum: s.rating_sum,
                count: s.rating_count,
            },
            images: s.images,
            variant,
            variants: Vec::new(),
        }
    }
}
