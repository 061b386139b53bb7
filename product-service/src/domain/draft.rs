//! What an admin sets on a product ([`ProductDraft`]), validated as a whole so that every bad
//! field is reported at once.

use serde_json::{Map, Value};

use shared::{Money, Problems};

/// Longest name, in characters.
pub const MAX_NAME: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 5000;
/// Longest category, in characters.
pub const MAX_CATEGORY: usize = 100;
/// Most tags on one product.
pub const MAX_TAGS: usize = 20;
/// Longest tag, in characters.
pub const MAX_TAG: usize = 50;
/// Longest image URL.
pub const MAX_URL: usize = 2048;
/// Largest stock or threshold.
pub const MAX_STOCK: i64 = 1_000_000_000;
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
    /// 1..=100 characters, trimmed; filtered on case-insensitively.
    pub category: String,
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
    /// Validates a JSON body, reporting every bad field.
    pub fn parse(body: &Value) -> Result<Self, Problems> {
        let mut errors = Problems::new();
        let Some(body) = body.as_object() else {
            errors.add("body", "must be a JSON object");
            return Err(errors);
        };
        let name = errors.check("name", text(body, "name", true, MAX_NAME));
        let description = errors.check(
            "description",
            text(body, "description", false, MAX_DESCRIPTION),
        );
        let price = errors.check("price", price(body));
        let category = errors.check("category", text(body, "category", true, MAX_CATEGORY));
        let tags = tags(body, &mut errors);
        let image_url = errors.check("imageUrl", image_url(body));
        let stock = errors.check("stock", count(body, "stock", None));
        let threshold = errors.check(
            "lowStockThreshold",
            count(body, "lowStockThreshold", Some(DEFAULT_LOW_STOCK_THRESHOLD)),
        );
        match (
            name,
            description,
            price,
            category,
            tags,
            image_url,
            stock,
            threshold,
        ) {
            (
                Some(name),
                Some(description),
                Some(price),
                Some(category),
                Some(tags),
                Some(image_url),
                Some(stock),
                Some(threshold),
            ) if errors.is_empty() => Ok(Self {
                name: name.unwrap_or_default(),
                description: description.unwrap_or_default(),
                price,
                category: category.unwrap_or_default(),
                tags,
                image_url,
                stock,
                low_stock_threshold: threshold,
            }),
            _ => Err(errors),
        }
    }
}

/// A string field: trimmed, non-empty when present, at most `max` characters.
fn text(
    body: &Map<String, Value>,
    field: &str,
    required: bool,
    max: usize,
) -> Result<Option<String>, String> {
    match body.get(field) {
        None | Some(Value::Null) if required => Err("is required".to_owned()),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if required && s.is_empty() {
                Err("must not be empty".to_owned())
            } else if s.chars().count() > max {
                Err(format!("must be at most {max} characters"))
            } else {
                Ok(Some(s.to_owned()))
            }
        }
        Some(_) => Err("must be a string".to_owned()),
    }
}

fn price(body: &Map<String, Value>) -> Result<Money, String> {
    match body.get("price") {
        None | Some(Value::Null) => Err("is required".to_owned()),
        Some(value) => Money::price(value).map_err(|e| e.to_string()),
    }
}

/// A whole number from 0 to [`MAX_STOCK`]; `default` when absent, required when `None`.
fn count(body: &Map<String, Value>, field: &str, default: Option<i64>) -> Result<i64, String> {
    match (body.get(field), default) {
        (None | Some(Value::Null), Some(default)) => Ok(default),
        (None | Some(Value::Null), None) => Err("is required".to_owned()),
        (Some(Value::Number(n)), _) => match n.as_i64() {
            Some(v) if v < 0 => Err("must not be negative".to_owned()),
            Some(v) if v > MAX_STOCK => Err(format!("must be at most {MAX_STOCK}")),
            Some(v) => Ok(v),
            None if n.as_u64().is_some() => Err(format!("must be at most {MAX_STOCK}")),
            None => Err("must be a whole number".to_owned()),
        },
        (Some(_), _) => Err("must be a whole number".to_owned()),
    }
}

fn tags(body: &Map<String, Value>, errors: &mut Problems) -> Option<Vec<String>> {
    let items = match body.get("tags") {
        None | Some(Value::Null) => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.add("tags", "must be an array of strings");
            return None;
        }
    };
    let mut tags: Vec<String> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let field = format!("tags[{i}]");
        let Value::String(raw) = item else {
            errors.add(field, "must be a string");
            ok = false;
            continue;
        };
        let tag = raw.trim().to_lowercase();
        if tag.is_empty() {
            errors.add(field, "must not be empty");
            ok = false;
        } else if tag.chars().count() > MAX_TAG {
            errors.add(field, format!("must be at most {MAX_TAG} characters"));
            ok = false;
        } else if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        errors.add("tags", format!("must have at most {MAX_TAGS} tags"));
        ok = false;
    }
    ok.then_some(tags)
}

/// An absolute `http` or `https` URL with a host; an empty string or `null` means none.
fn image_url(body: &Map<String, Value>) -> Result<Option<String>, String> {
    let raw = match body.get("imageUrl") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim(),
        Some(_) => return Err("must be a string".to_owned()),
    };
    let problem = || "must be an absolute http(s) URL".to_owned();
    if raw.len() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    if raw.chars().any(char::is_whitespace) {
        return Err(problem());
    }
    let uri: axum::http::Uri = raw.parse().map_err(|_| problem())?;
    let scheme_ok = matches!(uri.scheme_str(), Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
    let host_ok = uri.host().is_some_and(|h| !h.is_empty());
    if scheme_ok && host_ok {
        Ok(Some(raw.to_owned()))
    } else {
        Err(problem())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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

    fn errors_of(body: Value) -> Problems {
        ProductDraft::parse(&body).expect_err("should be refused")
    }

    #[test]
    fn a_valid_body_is_normalised() {
        let draft = ProductDraft::parse(&valid()).unwrap();
        assert_eq!(draft.name, "Trail Runner");
        assert_eq!(draft.price.cents(), 8999);
        assert_eq!(draft.tags, ["running", "outdoor"]);
        assert_eq!(draft.low_stock_threshold, DEFAULT_LOW_STOCK_THRESHOLD);
        assert_eq!(draft.stock, 12);
    }

    #[test]
    fn optional_fields_take_their_defaults() {
        let draft =
            ProductDraft::parse(&json!({"name": "A", "price": 1, "category": "c", "stock": 0}))
                .unwrap();
        assert_eq!(draft.description, "");
        assert!(draft.tags.is_empty());
        assert_eq!(draft.image_url, None);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = errors_of(json!({
            "name": "",
            "description": "x".repeat(MAX_DESCRIPTION + 1),
            "price": 1.999,
            "category": 7,
            "tags": ["ok", "", "y".repeat(MAX_TAG + 1)],
            "imageUrl": "ftp://example.com/a.png",
            "stock": -1,
            "lowStockThreshold": 2.5,
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
                "{field} not reported: {errors:?}"
            );
        }
    }

    #[test]
    fn required_fields_are_named_when_missing() {
        let errors = errors_of(json!({}));
        for field in ["name", "price", "category", "stock"] {
            assert_eq!(errors.get(field), Some("is required"), "{field}");
        }
        assert_eq!(errors.get("description"), None);
    }

    #[test]
    fn limits_are_counted_in_characters() {
        let mut body = valid();
        body["name"] = json!("é".repeat(MAX_NAME));
        assert!(ProductDraft::parse(&body).is_ok());
        body["name"] = json!("é".repeat(MAX_NAME + 1));
        assert!(errors_of(body).get("name").is_some());
    }

    #[test]
    fn too_many_tags_are_refused() {
        let mut body = valid();
        body["tags"] = json!((0..=MAX_TAGS).map(|i| format!("t{i}")).collect::<Vec<_>>());
        assert_eq!(
            errors_of(body).get("tags"),
            Some("must have at most 20 tags")
        );
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
        assert!(ProductDraft::parse(&body).is_ok());
    }
}
