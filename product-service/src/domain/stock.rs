//! The stock conversation with order-service: what it asks (`order.created`,
//! `order.cancelled`), what this service answers (`stock.reserved`, `stock.rejected`,
//! `stock.released`, `product.stock_low`), and the states of one order's reservation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Most lines in one order.
pub const MAX_LINES: usize = 200;
/// Largest quantity of one line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Longest order id.
pub const MAX_ORDER_ID: usize = 64;

/// One line of an order, as order-service sends it and as the answers repeat it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// The product, normally an ObjectId in hex.
    pub product_id: String,
    /// Units wanted, 1 or more.
    pub quantity: i64,
}

/// The data of `order.created`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    /// The order's id.
    pub order_id: String,
    /// Who ordered (not needed to reserve stock).
    #[serde(default)]
    pub customer_id: Option<String>,
    /// What to reserve.
    pub items: Vec<OrderItem>,
}

/// The data of `order.cancelled`, `order.expired` and `payment.failed` (only its order id is
/// read).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    /// The order's id.
    pub order_id: String,
}

/// What to reserve for one order: its id and its lines, one per product, in product order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The order's id; safe as a key inside a document (no `.` or `$`).
    pub order_id: String,
    /// Lines merged by product, sorted by product id.
    pub lines: Vec<OrderItem>,
}

impl OrderCreated {
    /// Checks the payload; a message failing this can never be applied.
    pub fn into_request(self) -> Result<Request, String> {
        let order_id = order_id(&self.order_id)?;
        if self.items.is_empty() {
            return Err("an order without items".to_owned());
        }
        if self.items.len() > MAX_LINES {
            return Err(format!("more than {MAX_LINES} lines"));
        }
        let mut merged: BTreeMap<String, i64> = BTreeMap::new();
        for item in self.items {
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                return Err(format!("quantity {} out of range", item.quantity));
            }
            if item.product_id.is_empty() || item.product_id.len() > MAX_ORDER_ID {
                return Err("a line without a valid productId".to_owned());
            }
            let total = merged.entry(item.product_id).or_default();
            *total += item.quantity;
        }
        Ok(Request {
            order_id,
            lines: merged
                .into_iter()
                .map(|(product_id, quantity)| OrderItem {
                    product_id,
                    quantity,
                })
                .collect(),
        })
    }
}

/// An order id that can be used in a dotted field path: 1..=64 of `A-Z a-z 0-9 _ -`.
pub fn order_id(raw: &str) -> Result<String, String> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_ORDER_ID
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(format!("invalid orderId {raw:?}"))
    }
}

/// Where one order's reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Claimed; lines are being reserved.
    Pending,
    /// Every line is held; `stock.reserved` went out.
    Reserved,
    /// A line could not be held; whatever was taken is given back; `stock.rejected` went out.
    Rejected,
    /// The order was cancelled; what it held is given back; `stock.released` went out.
    Released,
}

impl Status {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Reserved => "reserved",
            Self::Rejected => "rejected",
            Self::Released => "released",
        }
    }

    /// From its stored spelling.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Reserved,
            Self::Rejected,
            Self::Released,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// Whether the order must hold nothing: its lines are given back (again, harmlessly,
    /// when that already happened).
    pub fn holds_nothing(self) -> bool {
        matches!(self, Self::Rejected | Self::Released)
    }
}

/// Why a line could not be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortReason {
    /// Fewer units in stock than asked for.
    InsufficientStock,
    /// No such product (or it was deleted).
    NotFound,
    /// The product is sold in variants: an order names one of them.
    VariantRequired,
}

/// One line of `stock.rejected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShortLine {
    /// The product.
    pub product_id: String,
    /// Units asked for.
    pub requested: i64,
    /// Units in stock when it was tried.
    pub available: i64,
    /// Why it failed.
    pub reason: ShortReason,
}

/// The data of `stock.reserved` and `stock.released`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Held<'a> {
    /// The order.
    pub order_id: &'a str,
    /// Every line of it.
    pub items: &'a [OrderItem],
}

/// The data of `stock.rejected`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected<'a> {
    /// The order.
    pub order_id: &'a str,
    /// The lines that could not be reserved.
    pub lines: &'a [ShortLine],
}

/// The data of `product.stock_low`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StockLow<'a> {
    /// The product.
    pub product_id: String,
    /// Its name.
    pub name: &'a str,
    /// Its stock now.
    pub stock: i64,
    /// Its threshold.
    pub threshold: i64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn created(value: serde_json::Value) -> Result<Request, String> {
        serde_json::from_value::<OrderCreated>(value)
            .map_err(|e| e.to_string())?
            .into_request()
    }

    #[test]
    fn lines_of_one_product_are_merged_and_sorted() {
        let request = created(json!({
            "orderId": "o-1",
            "customerId": "c",
            "items": [
                {"productId": "b", "quantity": 1},
                {"productId": "a", "quantity": 2},
                {"productId": "b", "quantity": 3},
            ],
        }))
        .unwrap();
        assert_eq!(
            request.lines,
            [
                OrderItem {
                    product_id: "a".into(),
                    quantity: 2
                },
                OrderItem {
                    product_id: "b".into(),
                    quantity: 4
                },
            ]
        );
    }

    #[test]
    fn malformed_orders_are_refused() {
        let bad = [
            json!({"orderId": "o", "items": []}),
            json!({"orderId": "o", "items": [{"productId": "a", "quantity": 0}]}),
            json!({"orderId": "o", "items": [{"productId": "a", "quantity": -2}]}),
            json!({"orderId": "o.x", "items": [{"productId": "a", "quantity": 1}]}),
            json!({"orderId": "$x", "items": [{"productId": "a", "quantity": 1}]}),
            json!({"orderId": "", "items": [{"productId": "a", "quantity": 1}]}),
            json!({"orderId": "o", "items": [{"productId": "", "quantity": 1}]}),
            json!({"orderId": "o", "items": [{"productId": "a", "quantity": 1.5}]}),
            json!({"items": [{"productId": "a", "quantity": 1}]}),
        ];
        for value in bad {
            assert!(created(value.clone()).is_err(), "{value}");
        }
    }

    #[test]
    fn statuses_round_trip_and_say_what_they_hold() {
        for s in [
            Status::Pending,
            Status::Reserved,
            Status::Rejected,
            Status::Released,
        ] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert!(Status::Released.holds_nothing() && Status::Rejected.holds_nothing());
        assert!(!Status::Reserved.holds_nothing() && !Status::Pending.holds_nothing());
    }

    #[test]
    fn a_rejection_names_the_reason_per_line() {
        let line = ShortLine {
            product_id: "p".into(),
            requested: 3,
            available: 1,
            reason: ShortReason::InsufficientStock,
        };
        let data = serde_json::to_value(Rejected {
            order_id: "o",
            lines: &[line],
        })
        .unwrap();
        assert_eq!(
            data,
            json!({"orderId": "o", "lines": [
                {"productId": "p", "requested": 3, "available": 1, "reason": "insufficient_stock"}
            ]})
        );
    }
}
