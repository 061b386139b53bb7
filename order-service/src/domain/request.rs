//! The body of `POST /orders`, checked as a whole so that one answer names every bad field:
//! `{items: [{productId, quantity}], shippingAddress?}`.

use std::collections::HashMap;

use bson::oid::ObjectId;
use serde_json::{Map, Value};

use super::{Address, Problems};

/// Most lines in one order.
pub const MAX_LINES: usize = 100;
/// Most units of one product in one order.
pub const MAX_QUANTITY: u64 = 1000;

/// One requested line: a product and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedLine {
    /// The product.
    pub product_id: ObjectId,
    /// 1..=1000.
    pub quantity: u32,
}

/// A valid order request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// 1..=100 lines, one per product.
    pub lines: Vec<RequestedLine>,
    /// Where to ship; the customer's address on file when absent.
    pub shipping_address: Option<Address>,
}

impl NewOrder {
    /// Checks a JSON body, naming every bad field.
    pub fn parse(body: &Value) -> Result<Self, Problems> {
        let mut problems = Problems::default();
        let Some(body) = body.as_object() else {
            problems.add("body", "must be a JSON object");
            return Err(problems);
        };
        for key in body.keys() {
            if key != "items" && key != "shippingAddress" {
                problems.add(key.as_str(), "unknown field");
            }
        }
        let lines = parse_items(body.get("items"), &mut problems);
        let shipping_address = match body.get("shippingAddress") {
            None | Some(Value::Null) => None,
            Some(value) => parse_address(value, "shippingAddress", &mut problems),
        };
        if problems.is_empty() {
            Ok(Self {
                lines,
                shipping_address,
            })
        } else {
            Err(problems)
        }
    }
}

fn parse_items(items: Option<&Value>, problems: &mut Problems) -> Vec<RequestedLine> {
    let items = match items {
        None | Some(Value::Null) => {
            problems.add("items", "is required");
            return Vec::new();
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.add("items", "must be an array");
            return Vec::new();
        }
    };
    if items.is_empty() {
        problems.add("items", "must have at least one line");
    } else if items.len() > MAX_LINES {
        problems.add("items", format!("must have at most {MAX_LINES} lines"));
    }
    let mut seen: HashMap<ObjectId, usize> = HashMap::new();
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |field: &str| format!("items[{i}].{field}");
        let Some(item) = item.as_object() else {
            problems.add(format!("items[{i}]"), "must be an object");
            continue;
        };
        for key in item.keys() {
            if key != "productId" && key != "quantity" {
                problems.add(at(key), "unknown field");
            }
        }
        let product_id = match item.get("productId") {
            None | Some(Value::Null) => {
                problems.add(at("productId"), "is required");
                None
            }
            Some(Value::String(raw)) => match ObjectId::parse_str(raw.trim()) {
                Ok(id) => match seen.insert(id, i) {
                    Some(first) => {
                        problems.add(at("productId"), format!("duplicates items[{first}]"));
                        None
                    }
                    None => Some(id),
                },
                Err(_) => {
                    problems.add(at("productId"), "must be a 24-character hex ObjectId");
                    None
                }
            },
            Some(_) => {
                problems.add(at("productId"), "must be a string");
                None
            }
        };
        let quantity = match item.get("quantity") {
            None | Some(Value::Null) => {
                problems.add(at("quantity"), "is required");
                None
            }
            Some(Value::Number(n)) => match n.as_u64() {
                Some(q @ 1..=MAX_QUANTITY) => u32::try_from(q).ok(),
                _ => {
                    problems.add(
                        at("quantity"),
                        format!("must be a whole number from 1 to {MAX_QUANTITY}"),
                    );
                    None
                }
            },
            Some(_) => {
                problems.add(at("quantity"), "must be a number");
                None
            }
        };
        if let (Some(product_id), Some(quantity)) = (product_id, quantity) {
            lines.push(RequestedLine {
                product_id,
                quantity,
            });
        }
    }
    lines
}

/// Checks an address object, recording problems under `<prefix>.<part>`.
pub fn parse_address(value: &Value, prefix: &str, problems: &mut Problems) -> Option<Address> {
    let Some(object) = value.as_object() else {
        problems.add(prefix, "must be an object");
        return None;
    };
    let part = |name: &str, problems: &mut Problems| -> Option<String> {
        let field = format!("{prefix}.{name}");
        match object.get(name) {
            Some(Value::String(s)) => {
                let s = s.trim();
                match s.chars().count() {
                    0 => problems.add(field, "must not be empty"),
                    1..=200 => return Some(s.to_owned()),
                    _ => problems.add(field, "must be at most 200 characters"),
                }
            }
            None | Some(Value::Null) => problems.add(field, "is required"),
            Some(_) => problems.add(field, "must be a string"),
        }
        None
    };
    let street = part("street", problems);
    let city = part("city", problems);
    let zip_code = part("zipCode", problems);
    let country = part("country", problems);
    unknown_fields(
        object,
        &["street", "city", "zipCode", "country"],
        prefix,
        problems,
    );
    Some(Address {
        street: street?,
        city: city?,
        zip_code: zip_code?,
        country: country?,
    })
}

fn unknown_fields(
    object: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
    problems: &mut Problems,
) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            problems.add(format!("{prefix}.{key}"), "unknown field");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const P1: &str = "64b000000000000000000001";
    const P2: &str = "64b000000000000000000002";

    #[test]
    fn a_valid_body_becomes_lines_and_an_optional_address() {
        let order = NewOrder::parse(&json!({
            "items": [{"productId": P1, "quantity": 2}, {"productId": P2, "quantity": 1000}],
            "shippingAddress": {"street": " 1 Main St ", "city": "Springfield", "zipCode": "12345", "country": "US"}
        }))
        .unwrap();
        assert_eq!(order.lines.len(), 2);
        assert_eq!(order.lines[1].quantity, 1000);
        assert_eq!(order.shipping_address.unwrap().street, "1 Main St");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let problems = NewOrder::parse(&json!({
            "items": [
                {"productId": "nope", "quantity": 1},
                {"productId": P1, "quantity": 0},
                {"productId": P2, "quantity": -3},
                {"productId": P2, "quantity": 1},
                {"quantity": 1001},
                {"productId": P1, "quantity": 1.5}
            ],
            "shippingAddress": {"street": "", "city": "X"},
            "total": 1
        }))
        .unwrap_err();
        for field in [
            "items[0].productId",
            "items[1].quantity",
            "items[2].quantity",
            "items[3].productId",
            "items[4].productId",
            "items[4].quantity",
            "items[5].quantity",
            "shippingAddress.street",
            "shippingAddress.zipCode",
            "shippingAddress.country",
            "total",
        ] {
            assert!(
                problems.get(field).is_some(),
                "{field} not named: {problems:?}"
            );
        }
        assert_eq!(
            problems.get("items[3].productId"),
            Some("duplicates items[2]")
        );
    }

    #[test]
    fn the_number_of_lines_is_bounded() {
        let none = NewOrder::parse(&json!({"items": []})).unwrap_err();
        assert!(none.get("items").is_some());
        let many: Vec<Value> = (0..101)
            .map(|n| json!({"productId": format!("{n:024x}"), "quantity": 1}))
            .collect();
        let too_many = NewOrder::parse(&json!({ "items": many })).unwrap_err();
        assert!(too_many.get("items").unwrap().contains("100"));
        let missing = NewOrder::parse(&json!({})).unwrap_err();
        assert_eq!(missing.get("items"), Some("is required"));
    }
}
