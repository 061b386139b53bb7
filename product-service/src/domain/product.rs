//! A product as the service keeps and shows it: its [`ProductDraft`] fields plus identity and
//! timestamps, and its JSON form.

use bson::oid::ObjectId;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use shared::api::products as api;

pub use super::draft::ProductDraft;
use super::{image::ProductImage, review::Rating, variant::VariantOf};

/// Whether `stock` is low: strictly below `threshold`. `product.stock_low` goes out when this
/// becomes true, once, until the stock is back at or above the threshold.
pub fn is_low(stock: i64, threshold: i64) -> bool {
    stock < threshold
}

/// A product as kept: its draft fields plus identity and timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The product's id.
    pub id: ObjectId,
    /// Everything an admin sets.
    pub fields: ProductDraft,
    /// When it was created (millisecond precision, as stored).
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Its reviews' rating (kept by the reviews, never by the admin's writes).
    pub rating: Rating,
    /// Its uploaded images, in the order they were added (kept by the image routes, never by
    /// the admin's product writes).
    pub images: Vec<ProductImage>,
    /// What it is a variant of, when it is one.
    pub variant: Option<VariantOf>,
    /// Its live variants, oldest first, when the store attached them (reads of a product and
    /// of a page of products do; see [`super::variant`]).
    pub variants: Vec<Product>,
}

impl Product {
    /// The product as the API shows it (`shared::api::products::Product`), with the id as a
    /// plain string and the price as a number.
    pub fn view(&self) -> api::Product {
        let f = &self.fields;
        let id = self.id.to_hex();
        let (variants, colors, sizes) = super::variant::listed(&self.variants);
        // Sold in variants: its stock is theirs (its own is not sold meanwhile).
        let stock = if variants.is_empty() {
            f.stock
        } else {
            variants.iter().map(|v| v.stock).sum()
        };
        api::Product {
            images: self.images.iter().map(|i| i.view(&id)).collect(),
            id,
            name: f.name.clone(),
            description: f.description.clone(),
            price: f.price,
            category: f.category.clone(),
            category_id: f.category_id.clone(),
            brand: f.brand.clone(),
            tags: f.tags.clone(),
            image_url: f.image_url.clone(),
            stock,
            low_stock_threshold: f.low_stock_threshold,
            stock_status: api::StockStatus::of(stock, f.low_stock_threshold),
            rating: self.rating.view(),
            created_at: timestamp(self.created_at),
            updated_at: timestamp(self.updated_at),
            variant: self.variant.as_ref().map(VariantOf::view),
            variants,
            colors,
            sizes,
        }
    }

    /// [`Product::view`] as JSON: what API answers and `product.*` events carry.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.view()).unwrap_or(Value::Null)
    }
}

/// RFC 3339 in UTC with milliseconds, e.g. `2024-05-01T12:00:00.000Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::api::products::StockStatus;

    use super::*;

    #[test]
    fn the_stock_status_follows_the_stock_and_the_threshold() {
        assert_eq!(StockStatus::of(0, 5), StockStatus::OutOfStock);
        assert_eq!(StockStatus::of(1, 5), StockStatus::LowStock);
        assert_eq!(StockStatus::of(4, 5), StockStatus::LowStock);
        assert_eq!(StockStatus::of(5, 5), StockStatus::InStock);
        assert_eq!(StockStatus::of(1, 0), StockStatus::InStock);
        assert_eq!(StockStatus::of(0, 0), StockStatus::OutOfStock);
        for stock in 0..10 {
            let low = StockStatus::of(stock, 5) == StockStatus::LowStock;
            assert_eq!(
                low,
                stock > 0 && is_low(stock, 5),
                "low means is_low and not empty"
            );
        }
    }

    #[test]
    fn the_json_form_has_the_documented_fields() {
        let at = DateTime::parse_from_rfc3339("2024-05-01T12:00:00.123Z")
            .unwrap()
            .to_utc();
        let product = Product {
            id: ObjectId::parse_str("665f1b2c3d4e5f6a7b8c9d0e").unwrap(),
            fields: ProductDraft::parse(
                json!({
                    "name": "Trail Runner", "price": 89.99, "category": "Shoes", "stock": 12,
                })
                .to_string()
                .as_bytes(),
            )
            .unwrap(),
            created_at: at,
            updated_at: at,
            rating: Rating { sum: 9, count: 2 },
            images: Vec::new(),
            variant: None,
            variants: Vec::new(),
        };
        let json = product.to_json();
        assert_eq!(json["id"], "665f1b2c3d4e5f6a7b8c9d0e");
        assert_eq!(json["price"].to_string(), "89.99");
        assert_eq!(json["createdAt"], "2024-05-01T12:00:00.123Z");
        assert_eq!(json["lowStockThreshold"], 5);
        assert_eq!(json["stockStatus"], "in_stock");
        assert_eq!(json["rating"], json!({ "average": 4.5, "count": 2 }));
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "brand",
                "category",
                "categoryId",
                "createdAt",
                "description",
                "id",
                "imageUrl",
                "images",
                "lowStockThreshold",
                "name",
                "price",
                "rating",
                "stock",
                "stockStatus",
                "tags",
                "updatedAt"
            ]
        );
    }
}
