//! Orders and products in words: what a function returned, as a support specialist would say
//! it, and the product words of a search request.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::functions::FunctionError;

/// "65f1…c3d2": enough of an id to recognise it.
fn short(id: &str) -> String {
    if id.len() > 10 {
        format!("{}…{}", &id[..4], &id[id.len() - 4..])
    } else {
        id.to_owned()
    }
}

/// "$12.50".
pub fn money(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "an unknown amount".to_owned(), |v| format!("${v:.2}"))
}

/// "Tuesday, 12 March".
fn day(value: &Value) -> Option<String> {
    let at: DateTime<Utc> = value.as_str()?.parse().ok()?;
    Some(at.format("%A, %-d %B").to_string())
}

fn unavailable(what: &str) -> String {
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
        "REJECTED" => "could not be fulfilled because an item was out of stock.".to_owned(),
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

/// Words that ask for something without naming it.
const FILLER: &[&str] = &[
    "do",
    "does",
    "you",
    "your",
    "have",
    "has",
    "got",
    "any",
    "some",
    "a",
    "an",
    "the",
    "i",
    "im",
    "i'm",
    "me",
    "my",
    "we",
    "show",
    "find",
    "search",
    "searching",
    "for",
    "looking",
    "look",
    "need",
    "want",
    "buy",
    "like",
    "to",
    "see",
    "sell",
    "selling",
    "carry",
    "stock",
    "stocked",
    "in",
    "is",
    "are",
    "there",
    "what",
    "which",
    "kind",
    "kinds",
    "of",
    "can",
    "could",
    "please",
    "recommend",
    "good",
    "products",
    "product",
    "items",
    "item",
    "available",
    "how",
    "much",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "cost",
    "costs",
    "price",
    "shopping",
    "new",
    "would",
    "id",
    "get",
    "store",
    "shop",
    "catalog",
    "with",
    "and",
    "or",
    "on",
    "at",
    "be",
    "them",
    "one",
    "ones",
    "under",
    "over",
    "than",
    "cheaper",
    "cheapest",
    "best",
    "dollars",
    "also",
    "just",
    "anything",
    "something",
    "else",
    "sale",
    "whats",
    "tell",
    "about",
];

fn singular(word: &str) -> String {
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// The product words of a request ("do you have wireless headphones?" → "wireless headphone"),
/// or `None` when it names no product ("is it in stock?").
pub fn product_query(message: &str) -> Option<String> {
    let words: Vec<String> = crate::domain::text::words(&message.to_lowercase())
        .into_iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
        .filter(|w| {
            !w.is_empty()
                && !FILLER.contains(&w.as_str())
                && !w.chars().all(|c| c.is_ascii_digit() || c == '$')
        })
        .map(|w| singular(&w))
        .take(8)
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn availability(p: &Value) -> String {
    match p["stock"].as_i64() {
        Some(0) => "out of stock".to_owned(),
        Some(n) if n <= 5 => format!("only {n} left"),
        Some(_) => "in stock".to_owned(),
        None => "availability unknown".to_owned(),
    }
}

/// The answer listing search results.
pub fn product_list(result: &Result<Value, FunctionError>, query: &str) -> String {
    match result {
        Ok(found) => {
            let products = found["products"].as_array().cloned().unwrap_or_default();
            if products.is_empty() {
                return format!(
                    "I couldn't find anything matching \"{query}\" in our catalog. Could you try another word, or tell me more about what you need?"
                );
            }
            let lines: Vec<String> = products
                .iter()
                .map(|p| {
                    format!(
                        "{} at {} ({})",
                        p["name"].as_str().unwrap_or("a product"),
                        money(&p["price"]),
                        availability(p)
                    )
                })
                .collect();
            format!(
                "Here's what I found for \"{query}\": {}. Would you like more details on any of them?",
                lines.join("; ")
            )
        }
        Err(FunctionError::Unavailable(_)) => unavailable("catalog"),
        Err(_) => format!("I couldn't search for \"{query}\" just now. Could you rephrase it?"),
    }
}

/// The answer about the product talked about last.
pub fn one_product(result: &Result<Value, FunctionError>, name: &str) -> String {
    match result {
        Ok(found) => match found["products"].get(0) {
            Some(p) => format!(
                "The {} costs {} and is {}.",
                p["name"].as_str().unwrap_or(name),
                money(&p["price"]),
                availability(p)
            ),
            None => format!(
                "I can't find the {name} in our catalog any more; it may have been removed."
            ),
        },
        Err(FunctionError::Unavailable(_)) => unavailable("catalog"),
        Err(_) => format!("I couldn't look up the {name} just now."),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn product_words_are_kept_and_filler_dropped() {
        assert_eq!(
            product_query("Do you have wireless headphones?").as_deref(),
            Some("wireless headphone")
        );
        assert_eq!(
            product_query("I'm looking for a laptop bag").as_deref(),
            Some("laptop bag")
        );
        assert_eq!(product_query("is it in stock?"), None);
        assert_eq!(product_query("how much does it cost"), None);
    }

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
    fn an_unreachable_service_is_said_plainly() {
        let text = order_status(
            &Err(FunctionError::Unavailable("order-service".into())),
            "x",
            "where",
        );
        assert!(text.contains("can't reach our order system"));
    }
}
