//! Catalog bodies: `POST /products` and `PUT /products/{id}` take the same product.

use garde::Validate;
use serde::{Deserialize, Serialize};
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
    /// The category: its id, its slug, or its name (1 to 100 characters, trimmed). A name no
    /// category has yet creates a top-level category of that name; an id must name one
    /// (422 otherwise). At least one letter or digit.
    #[garde(custom(super::categories::category_name))]
    #[schema(min_length = 1, max_length = 100)]
    pub category: String,
    /// The brand (up to 100 characters, trimmed); empty or omitted means none.
    #[garde(inner(custom(rules::text(0, 100))))]
    #[schema(max_length = 100)]
    pub brand: Option<String>,
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

/// Every order the catalog can be listed in.
pub const SORTS: &[&str] = &[
    "price",
    "-price",
    "name",
    "-createdAt",
    "relevance",
    "rating",
];

/// `GET /products`: search, filter, sort and page the catalog. A `limit` above 100 is capped
/// at 100 (and `meta.limit` says so) rather than refused.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ProductFilter {
    /// Words matched in name, description and tags (1 to 10 distinct words).
    #[garde(inner(custom(rules::search)))]
    #[param(max_length = 200)]
    pub search: Option<String>,
    /// A category by id or slug (a name is read as its slug): the products in it and in every
    /// category under it. 404 when no category is so named.
    #[garde(inner(custom(rules::text(1, 100))))]
    #[param(max_length = 100)]
    pub category: Option<String>,
    /// Exact brand, case-insensitive.
    #[garde(inner(custom(rules::text(1, 100))))]
    #[param(max_length = 100)]
    pub brand: Option<String>,
    /// Products carrying this tag.
    #[garde(inner(custom(rules::text(1, 50))))]
    #[param(max_length = 50)]
    pub tag: Option<String>,
    /// Lowest price, inclusive.
    #[garde(inner(custom(rules::amount)), custom(not_above(&self.max_price)))]
    #[param(value_type = Option<f64>, minimum = 0, multiple_of = 0.01)]
    pub min_price: Option<String>,
    /// Highest price, inclusive.
    #[garde(inner(custom(rules::amount)))]
    #[param(value_type = Option<f64>, minimum = 0, multiple_of = 0.01)]
    pub max_price: Option<String>,
    /// The order: `price`, `-price`, `name`, `-createdAt` (default), `rating` (best average
    /// first, ties by review count), or `relevance` (only with `search`, and its default).
    #[garde(inner(custom(rules::one_of(SORTS))), custom(relevance_needs(&self.search)))]
    pub sort: Option<String>,
}

/// The query of the catalog: its filters and its [`Paging`](super::query::Paging), a `limit`
/// above 100 capped.
pub type ProductQuery = super::query::Paged<ProductFilter, true>;

fn not_above(max: &Option<String>) -> impl FnOnce(&Option<String>, &()) -> garde::Result + '_ {
    move |min, _| {
        let money = |s: &Option<String>| s.as_deref().and_then(|s| Money::parse(s).ok());
        match (money(min), money(max)) {
            (Some(min), Some(max)) if min > max => {
                Err(garde::Error::new("must not be above maxPrice"))
            }
            _ => Ok(()),
        }
    }
}

fn relevance_needs(
    search: &Option<String>,
) -> impl FnOnce(&Option<String>, &()) -> garde::Result + '_ {
    move |sort, _| match sort.as_deref().map(str::trim) {
        Some("relevance") if search.is_none() => {
            Err(garde::Error::new("relevance goes only with search"))
        }
        _ => Ok(()),
    }
}

/// A product as the catalog shows it (and as `product.*` events carry it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Product {
    /// Id, 24 hex digits.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Unit price.
    pub price: Money,
    /// The category's name.
    pub category: String,
    /// The category's id (see `GET /categories`).
    pub category_id: String,
    /// The brand, or `null`.
    pub brand: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Picture, or `null`.
    pub image_url: Option<String>,
    /// The images uploaded for it, in the order they were added (`POST
    /// /products/{id}/images`); the first is the main one, before `imageUrl`.
    #[serde(default)]
    pub images: Vec<super::images::Image>,
    /// Units in stock.
    pub stock: i64,
    /// Below this, the product is low on stock.
    pub low_stock_threshold: i64,
    /// Availability from `stock` and `lowStockThreshold`.
    pub stock_status: StockStatus,
    /// Its visible reviews' rating.
    pub rating: Rating,
    /// When it was added (RFC 3339, milliseconds).
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// A product's availability: `out_of_stock` at 0 units, `low_stock` from 1 unit up to below
/// its `lowStockThreshold`, `in_stock` from the threshold up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    /// At or above the threshold (and at least one unit).
    InStock,
    /// At least one unit, below the threshold.
    LowStock,
    /// None left.
    OutOfStock,
}

impl StockStatus {
    /// The status of `stock` units against `threshold`.
    pub fn of(stock: i64, threshold: i64) -> Self {
        if stock <= 0 {
            Self::OutOfStock
        } else if stock < threshold {
            Self::LowStock
        } else {
            Self::InStock
        }
    }

    /// The spelling on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InStock => "in_stock",
            Self::LowStock => "low_stock",
            Self::OutOfStock => "out_of_stock",
        }
    }
}

/// What `GET /products/{id}/stock/stream` sends, as the `data` of its `snapshot` and `stock`
/// events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StockLevel {
    /// The product's id.
    pub product_id: String,
    /// Units in stock.
    pub stock: i64,
    /// Availability.
    pub stock_status: StockStatus,
}

/// A product's rating from its visible reviews.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rating {
    /// The average, rounded half up to two decimals; `null` without reviews.
    pub average: Option<f64>,
    /// How many reviews count.
    pub count: i64,
}

/// What a delete answers: the id, and that it is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deleted {
    /// The id of what was deleted.
    pub id: String,
    /// Always `true`.
    pub deleted: bool,
}
