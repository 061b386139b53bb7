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
    /// On a variant: the product it is a variant of, and its options. An order line names a
    /// variant by its own id; the product it belongs to is not sold itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<VariantOf>,
    /// On a product sold in variants: each of them (`stock` is then their sum).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// The colours its variants come in, in the order they were added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub colors: Vec<String>,
    /// The sizes its variants come in, in the order they were added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<String>,
}

/// Longest SKU.
pub const MAX_SKU: usize = 40;
/// Most variants of one product.
pub const MAX_VARIANTS: usize = 100;

/// `POST /products/{id}/variants` and `PUT /products/{id}/variants/{variantId}` (admins): a
/// variant of the product, with its own SKU, options, stock and (optionally) price. It shares
/// the product's name, description, category, brand, tags and images, and follows them when
/// they change.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VariantInput {
    /// 1 to 40 of `A-Z a-z 0-9 - _`, starting with a letter or digit; unique among the
    /// product's variants, whatever the case.
    #[garde(custom(valid_sku))]
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]
    pub sku: String,
    /// The colour, 1 to 40 characters (trimmed). A variant has a colour, a size, or both, and
    /// no two variants of a product have the same ones.
    #[garde(inner(custom(rules::text(1, 40))), custom(an_option(&self.size)))]
    #[schema(min_length = 1, max_length = 40)]
    pub color: Option<String>,
    /// The size, 1 to 40 characters (trimmed).
    #[garde(inner(custom(rules::text(1, 40))))]
    #[schema(min_length = 1, max_length = 40)]
    pub size: Option<String>,
    /// Its own price; the product's when omitted (and then it follows the product's).
    #[garde(inner(custom(rules::price)))]
    #[schema(schema_with = Money::price_schema)]
    pub price: Option<serde_json::Number>,
    /// Units of this variant available for sale.
    #[garde(custom(rules::whole(0, MAX_STOCK)))]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock: i64,
}

impl VariantInput {
    /// The colour and size, trimmed, `None` when empty.
    pub fn options(&self) -> (Option<String>, Option<String>) {
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        (clean(&self.color), clean(&self.size))
    }

    /// Its own price as money, if it has one (checked by [`rules::price`] when parsed).
    pub fn price(&self) -> Option<Result<Money, crate::money::MoneyError>> {
        self.price
            .as_ref()
            .map(|n| Money::from_number(n).and_then(Money::as_price))
    }
}

/// A SKU: 1 to 40 of `A-Z a-z 0-9 - _`, starting with a letter or digit.
pub fn valid_sku(value: &str, _: &()) -> garde::Result {
    let ok = (1..=MAX_SKU).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && rules::is_word(value);
    if ok {
        Ok(())
    } else {
        Err(garde::Error::new(
            "must be 1 to 40 letters, digits, '-' or '_', starting with a letter or digit",
        ))
    }
}

fn an_option(size: &Option<String>) -> impl FnOnce(&Option<String>, &()) -> garde::Result + '_ {
    move |color, _| {
        let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        if given(color) || given(size) {
            Ok(())
        } else {
            Err(garde::Error::new("a variant needs a color, a size or both"))
        }
    }
}

/// What a variant is: the product it belongs to and its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VariantOf {
    /// The product it is a variant of.
    pub product_id: String,
    /// Its SKU.
    pub sku: String,
    /// Its colour, or `null`.
    pub color: Option<String>,
    /// Its size, or `null`.
    pub size: Option<String>,
    /// Its options for people, e.g. `Red / M`.
    pub label: String,
}

/// One variant of a product, as the product lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variant {
    /// The variant's own id: what a cart or an order line names.
    pub id: String,
    /// Its SKU.
    pub sku: String,
    /// Its colour, or `null`.
    pub color: Option<String>,
    /// Its size, or `null`.
    pub size: Option<String>,
    /// Its options for people, e.g. `Red / M`.
    pub label: String,
    /// Its unit price.
    pub price: Money,
    /// Its units in stock.
    pub stock: i64,
    /// Its availability.
    pub stock_status: StockStatus,
}

/// A variant's options for people: `Red / M`, `Red` or `M`.
pub fn variant_label(color: Option<&str>, size: Option<&str>) -> String {
    match (color, size) {
        (Some(c), Some(s)) => format!("{c} / {s}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => String::new(),
    }
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
