//! What an admin sets on a product ([`ProductDraft`]): the body type and its rules are
//! `shared::api::products::ProductInput`'s (the gateway checks the same); here, what a valid
//! body becomes.

use shared::{ApiError, Money, api::products::ProductInput};

/// The low-stock threshold when none is given.
pub const DEFAULT_LOW_STOCK_THRESHOLD: i64 = 5;

/// The editable fields of a product, all valid. `POST` and `PUT` take the same body: `PUT`
/// replaces every field, so an omitted optional field goes back to its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    /// 1..=200 characters, trimmed.
    pub name: String,
    /// Up to 5000 characters; empty when omitted.
    pub description: String,
    /// Greater than zero, at most two decimals.
    pub price: Money,
    /// The category's name: as given (an id, slug or name) until the route resolves it
    /// ([`crate::store::categories::Categories::for_product`]), then the category's own.
    pub category: String,
    /// The category's id, once resolved (empty before).
    pub category_id: String,
    /// Up to 100 characters, trimmed; none when empty.
    pub brand: Option<String>,
    /// Up to 20 distinct tags, each 1..=50 characters, trimmed and lowercased.
    pub tags: Vec<String>,
    /// An absolute http(s) URL, or none.
    pub image_url: Option<String>,
    /// Units available for sale, 0 or more (required).
    pub stock: i64,
    /// Stock below this is low; 0 or more, default 5.
    pub low_stock_threshold: i64,
}

impl ProductDraft {
    /// Parses a body (`shared::api::products::ProductInput`, the type the gateway checks too),
    /// reporting every bad field.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input = shared::api::parse::<ProductInput>(body)?;
        Self::from_input(input)
    }

    /// Normalises a checked body: names trimmed, tags trimmed, lowercased and without repeats,
    /// an empty image URL as none, the default threshold.
    pub fn from_input(input: ProductInput) -> Result<Self, ApiError> {
        let price = input
            .price()
            .map_err(|e| ApiError::field("price", e.to_string()))?;
        let mut tags: Vec<String> = Vec::new();
        for tag in input.tags.unwrap_or_default() {
            let tag = tag.0.trim().to_lowercase();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(Self {
            name: input.name.trim().to_owned(),
            description: input.description.unwrap_or_default().trim().to_owned(),
            price,
            category: input.category.trim().to_owned(),
            category_id: String::new(),
            brand: input
                .brand
                .map(|b| b.trim().to_owned())
                .filter(|b| !b.is_empty()),
            tags,
            image_url: input
                .image_url
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty()),
            stock: input.stock,
            low_stock_threshold: input
                .low_stock_threshold
                .unwrap_or(DEFAULT_LOW_STOCK_THRESHOLD),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn valid() -> Value {
        json!({
            "name": "  Trail Runner ",
            "description": "A light shoe.",
            "price": 89.99,
            "category": "Shoes",
            "tags": ["Running", " outdoor ", "running"],
            "imageUrl": "https://cdn.example.com/p/1.jpg",
            "stock": 12,
        })
    }

    fn parse(body: &Value) -> Result<ProductDraft, ApiError> {
        ProductDraft::parse(body.to_string().as_bytes())
    }

    fn errors_of(body: Value) -> Value {
        match parse(&body) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    #[test]
    fn a_valid_body_is_normalised() {
        let draft = parse(&valid()).unwrap();
        assert_eq!(draft.name, "Trail Runner");
        assert_eq!(draft.price.cents(), 8999);
        assert_eq!(draft.tags, ["running", "outdoor"]);
        assert_eq!(draft.low_stock_threshold, DEFAULT_LOW_STOCK_THRESHOLD);
        assert_eq!(draft.stock, 12);
    }

    #[test]
    fn a_blank_brand_is_none_and_a_category_needs_a_letter_or_digit() {
        let draft =
            parse(&json!({"name": "A", "price": 1, "category": "c", "stock": 0, "brand": " "}))
                .unwrap();
        assert_eq!(draft.brand, None);
        let draft = parse(
            &json!({"name": "A", "price": 1, "category": "c", "stock": 0, "brand": " Acme "}),
        )
        .unwrap();
        assert_eq!(draft.brand.as_deref(), Some("Acme"));
        assert!(
            errors_of(json!({"name": "A", "price": 1, "category": "&&", "stock": 0}))
                .get("category")
                .is_some()
        );
    }

    #[test]
    fn optional_fields_take_their_defaults() {
        let draft = parse(&json!({"name": "A", "price": 1, "category": "c", "stock": 0})).unwrap();
        assert_eq!(draft.description, "");
        assert!(draft.tags.is_empty());
        assert_eq!(draft.image_url, None);
        let draft =
            parse(&json!({"name": "A", "price": 1, "category": "c", "stock": 0, "imageUrl": " "}))
                .unwrap();
        assert_eq!(draft.image_url, None, "an empty URL is none");
    }

    #[test]
    fn every_bad_field_of_a_well_typed_body_is_reported_at_once() {
        let errors = errors_of(json!({
            "name": "",
            "description": "x".repeat(5001),
            "price": 1.999,
            "category": " ",
            "tags": ["ok", "", "y".repeat(51)],
            "imageUrl": "ftp://example.com/a.png",
            "stock": -1,
            "lowStockThreshold": -2,
        }));
        for field in [
            "name",
            "description",
            "price",
            "category",
            "tags[1]",
            "tags[2]",
            "imageUrl",
            "stock",
            "lowStockThreshold",
        ] {
            assert!(
                errors.get(field).is_some(),
                "{field} not reported: {errors}"
            );
        }
    }

    #[test]
    fn a_type_error_is_named_by_its_field() {
        let mut body = valid();
        body["lowStockThreshold"] = json!(2.5);
        assert!(errors_of(body).get("lowStockThreshold").is_some());
        assert_eq!(errors_of(json!({}))["name"], "is required");
    }

    #[test]
    fn limits_are_counted_in_characters() {
        let mut body = valid();
        body["name"] = json!("é".repeat(200));
        assert!(parse(&body).is_ok());
        body["name"] = json!("é".repeat(201));
        assert!(errors_of(body).get("name").is_some());
    }

    #[test]
    fn too_many_tags_are_refused() {
        let mut body = valid();
        body["tags"] = json!((0..=20).map(|i| format!("t{i}")).collect::<Vec<_>>());
        assert_eq!(errors_of(body)["tags"], "must have at most 20 items");
    }

    #[test]
    fn image_urls_must_be_absolute_http() {
        for bad in [
            "not a url",
            "/relative.png",
            "mailto:a@b.c",
            "http://",
            "javascript:alert(1)",
        ] {
            let mut body = valid();
            body["imageUrl"] = json!(bad);
            assert!(errors_of(body).get("imageUrl").is_some(), "{bad}");
        }
        let mut body = valid();
        body["imageUrl"] = json!("http://localhost:8080/a.png?x=1");
        assert!(parse(&body).is_ok());
    }
}
