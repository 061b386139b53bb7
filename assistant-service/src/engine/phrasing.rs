//! Orders in words: what a function returned, as a support specialist would say it.

use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::Money;

use crate::functions::FunctionError;

/// "65f1…c3d2": enough of an id to recognise it.
fn short(id: &str) -> String {
    if id.len() > 10 {
        format!("{}…{}", &id[..4], &id[id.len() - 4..])
    } else {
        id.to_owned()
    }
}

/// "$12.50", read as the services write it (exact cents, [`Money`]).
pub fn money(value: &Value) -> String {
    Money::from_json(value).map_or_else(|_| "an unknown amount".to_owned(), |m| format!("${m}"))
}

/// "Tuesday, 12 March".
fn day(value: &Value) -> Option<String> {
    let at: DateTime<Utc> = value.as_str()?.parse().ok()?;
    Some(at.format("%A, %-d %B").to_string())
}

pub(super) fn unavailable(what: &str) -> String {
    format!(
        "I'm sorry, I can't reach our {what} system right now, so I can't check that at the moment. Please try again in a few minutes."
    )
}

fn items(order: &Value) -> String {
    let names: Vec<String> = order["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| match i["quantity"].as_i64() {
                    Some(q) if q > 1 => format!("{q} × {}", i["name"].as_str().unwrap_or("item")),
                    _ => i["name"].as_str().unwrap_or("item").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    match names.len() {
        0 => String::new(),
        1..=3 => format!(" ({})", names.join(", ")),
        n => format!(" ({}, and {} more)", names[..2].join(", "), n - 2),
    }
}

/// Why an order was rejected, from its reason's leading code (order-service writes
/// `PAYMENT_DECLINED` and `SAGA_TIMEOUT`; a stock refusal has no code).
fn rejected(reason: Option<&str>) -> &'static str {
    match reason {
        Some(r) if r.starts_with("PAYMENT_DECLINED") => {
            "could not be completed because the payment was declined, so nothing was charged."
        }
        Some(r) if r.starts_with("SAGA_TIMEOUT") => {
            "could not be confirmed in time, so we stopped it. You're welcome to place it again."
        }
        _ => "could not be fulfilled because an item was out of stock.",
    }
}

/// The status of one order in a sentence or two.
pub fn describe(order: &Value) -> String {
    let id = short(order["orderId"].as_str().unwrap_or_default());
    let status = order["status"].as_str().unwrap_or("UNKNOWN");
    let eta = day(&order["estimatedDelivery"]);
    let mut text = format!("Your order {id}{} ", items(order));
    text.push_str(&match status {
        "PENDING" => "has been received, and we're confirming stock for it.".to_owned(),
        "PROCESSING" => "is being prepared at our warehouse.".to_owned(),
        "SHIPPED" => {
            let carrier = order["carrier"].as_str().unwrap_or("our carrier");
            match order["trackingNumber"].as_str() {
                Some(tn) => {
                    format!("has shipped and is on its way with {carrier}, tracking number {tn}.")
                }
                None => format!("has shipped and is on its way with {carrier}."),
            }
        }
        "DELIVERED" => "has been delivered.".to_owned(),
        "CANCELLED" => "was cancelled.".to_owned(),
        "REJECTED" => rejected(order["rejectionReason"].as_str()).to_owned(),
        other => format!("is in status {other}."),
    });
    if let Some(eta) = eta.filter(|_| matches!(status, "PENDING" | "PROCESSING" | "SHIPPED")) {
        text.push_str(&format!(" It's expected to arrive by {eta}."));
    }
    text.push_str(&format!(" The total was {}.", money(&order["total"])));
    text
}

/// The answer to an order question.
pub fn order_status(
    result: &Result<Value, FunctionError>,
    order_id: &str,
    question: &str,
) -> String {
    match result {
        Ok(order) => {
            let mut text = describe(order);
            let asks_when = ["when", "arrive", "deliver", "eta", "get here"]
                .iter()
                .any(|w| question.to_lowercase().contains(w));
            if asks_when
                && order["estimatedDelivery"].is_null()
                && matches!(order["status"].as_str(), Some("PENDING" | "PROCESSING"))
            {
                text.push_str(" You'll get an estimated delivery date and a tracking number as soon as it ships.");
            }
            text
        }
        Err(FunctionError::Unavailable(_)) => unavailable("order"),
        Err(FunctionError::SignInRequired) => {
            "Please sign in again so I can look up your order.".to_owned()
        }
        Err(_) => format!(
            "I couldn't find order {order_id} on your account. Could you check the number? It's the 24-character code in your confirmation email."
        ),
    }
}

/// The answer listing a customer's orders.
pub fn customer_orders(result: &Result<Value, FunctionError>, email: &str) -> String {
    match result {
        Ok(found) => {
            let orders = found["orders"].as_array().cloned().unwrap_or_default();
            if orders.is_empty() {
                return format!(
                    "I don't see any orders for {email} yet. Is there anything else I can help with?"
                );
            }
            let total = found["total"].as_u64().unwrap_or(orders.len() as u64);
            let mut text = format!(
                "I found {total} order{} for {email}. ",
                if total == 1 { "" } else { "s" }
            );
            if total as usize > orders.len() {
                text.push_str(&format!("Here are the {} most recent: ", orders.len()));
            }
            let lines: Vec<String> = orders
                .iter()
                .map(|o| {
                    format!(
                        "{} is {} ({})",
                        o["orderId"].as_str().unwrap_or_default(),
                        o["status"].as_str().unwrap_or("UNKNOWN").to_lowercase(),
                        money(&o["total"])
                    )
                })
                .collect();
            text.push_str(&lines.join("; "));
            text.push_str(". Would you like details on one of them?");
            text
        }
        Err(FunctionError::Unavailable(_)) => unavailable("order"),
        Err(FunctionError::SignInRequired) => {
            "Please sign in so I can look up your orders.".to_owned()
        }
        Err(_) => format!(
            "I can only look up the orders of the account you're signed in with, and I couldn't find any for {email}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_shipped_order_names_carrier_tracking_and_arrival() {
        let order = json!({
            "orderId": "65f1c2a9b4e8d7c6a5b4c3d2", "status": "SHIPPED", "total": 59.5,
            "items": [{"name": "Desk Lamp", "quantity": 2}], "carrier": "UPS",
            "trackingNumber": "1Z999", "estimatedDelivery": "2025-03-11T12:00:00Z"
        });
        let text = describe(&order);
        assert!(
            text.contains("65f1…c3d2 (2 × Desk Lamp) has shipped"),
            "{text}"
        );
        assert!(text.contains("UPS, tracking number 1Z999"), "{text}");
        assert!(text.contains("Tuesday, 11 March"), "{text}");
        assert!(text.contains("$59.50"), "{text}");
    }

    #[test]
    fn a_rejected_order_says_why() {
        let order = |reason: Value| {
            describe(
                &json!({ "orderId": "x", "status": "REJECTED", "total": 10, "rejectionReason": reason }),
            )
        };
        assert!(order(json!("PAYMENT_DECLINED: card declined")).contains("payment was declined"));
        assert!(order(json!("SAGA_TIMEOUT: no answer")).contains("could not be confirmed in time"));
        assert!(order(json!("Desk Lamp: 2 wanted, 1 in stock")).contains("out of stock"));
        assert!(order(Value::Null).contains("out of stock"));
    }

    #[test]
    fn amounts_are_said_in_dollars_and_cents_or_not_at_all() {
        assert_eq!(money(&json!(19.99)), "$19.99");
        assert_eq!(money(&json!(20)), "$20.00");
        assert_eq!(money(&json!("19.99")), "an unknown amount");
    }

    #[test]
    fn an_unreachable_service_is_said_plainly() {
        let text = order_status(
            &Err(FunctionError::Unavailable("order-service".into())),
            "x",
            "where",
        );
        assert!(text.contains("can't reach our order system"));
    }
}
