//! Catalog bodies: `POST /products` and `PUT /products/{id}` take the same product.

use garde::Validate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::rules;
use crate::Money;

/// Largest stock or low-stock threshold.
pub const MAX_STOCK: i64 = 1_000_000_000;

/// What an admin sets on a product. `PUT` replaces every field, so an omitted optional field
/// goes back to its default.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductInput {
    /// 1 to 200 characters (trimmed).
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Up to 5000 characters; empty when omitted.
    #[garde(inner(custom(rules::text(0, 5000))))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// More than zero, at most two decimals. Kept as the number given, so that a third
    /// decimal is reported with the other bad fields ([`ProductInput::price`] reads it).
    #[garde(custom(rules::price))]
    #[schema(schema_with = Money::price_schema)]
    pub price: serde_json::Number,
    /// 1 to 100 characters (trimmed); matched case-insensitively.
    #[garde(custom(rules::text(1, 100)))]
    #[schema(min_length = 1, max_length = 100)]
    pub category: String,
    /// Up to 20 tags of 1 to 50 characters, stored trimmed, lowercase and without repeats.
    #[garde(custom(rules::some_items(0, 20)), dive)]
    #[schema(max_items = 20)]
    pub tags: Option<Vec<Tag>>,
    /// An absolute http(s) URL; empty means none.
    #[garde(inner(custom(rules::url)))]
    #[schema(max_length = 2048)]
    pub image_url: Option<String>,
    /// Units available for sale.
    #[garde(custom(rules::whole(0, MAX_STOCK)))]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock: i64,
    /// Stock below this is low; 5 when omitted.
    #[garde(inner(custom(rules::whole(0, MAX_STOCK))))]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub low_stock_threshold: Option<i64>,
}

impl ProductInput {
    /// The price as money (checked by [`rules::price`] when the body was parsed).
    pub fn price(&self) -> Result<Money, crate::money::MoneyError> {
        Money::from_number(&self.price).and_then(Money::as_price)
    }
}

/// One tag: 1 to 50 characters (trimmed).
#[derive(Debug, Clone, Deserialize, Validate)]
#[garde(transparent)]
pub struct Tag(#[garde(custom(rules::text(1, 50)))] pub String);

super::text_schema!(Tag, 1, 50, "A tag: 1 to 50 characters (trimmed)");
