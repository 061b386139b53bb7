//! The alerts of the order and stock events: a new order, a status change, a cancellation,
//! a rejected reservation and low stock.

use serde::Deserialize;
use serde_json::Value;
use shared::events::keys;

use super::money_text;
use crate::domain::{Entity, NewAlert, Severity, Topic};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderCreated {
    order_id: String,
    customer_id: Option<String>,
    #[serde(default)]
    items: Vec<Value>,
    total: Option<Value>,
}

pub(super) fn order(id: &str) -> Entity {
    Entity {
        kind: "order".to_owned(),
        id: id.to_owned(),
    }
}

pub(super) fn order_created(data: OrderCreated) -> NewAlert {
    let units: i64 = data
        .items
        .iter()
        .filter_map(|i| i.get("quantity").and_then(Value::as_i64))
        .sum();
    let total = data
        .total
        .as_ref()
        .and_then(money_text)
        .map_or_else(String::new, |t| format!(", total {t}"));
    NewAlert {
        kind: keys::ORDER_CREATED.to_owned(),
        topic: Topic::Orders,
        severity: Severity::Info,
        title: "New order".to_owned(),
        message: format!(
            "Order {} was placed: {units} item(s){total}.",
            data.order_id
        ),
        entity: order(&data.order_id),
        customer_id: data.customer_id,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StatusChanged {
    order_id: String,
    customer_id: Option<String>,
    old_status: String,
    new_status: String,
    #[serde(default)]
    order: Value,
}

pub(super) fn status_changed(data: StatusChanged) -> NewAlert {
    let severity = match data.new_status.as_str() {
        "REJECTED" | "CANCELLED" => Severity::Warning,
        _ => Severity::Info,
    };
    let customer_id = data.customer_id.or_else(|| {
        data.order
            .get("customerId")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    NewAlert {
        kind: keys::ORDER_STATUS_CHANGED.to_owned(),
        topic: Topic::Orders,
        severity,
        title: format!("Order {}", data.new_status.to_lowercase()),
        message: format!(
            "Order {} moved from {} to {}.",
            data.order_id, data.old_status, data.new_status
        ),
        entity: order(&data.order_id),
        customer_id,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderCancelled {
    order_id: String,
    customer_id: Option<String>,
    reason: Option<String>,
}

pub(super) fn order_cancelled(data: OrderCancelled) -> NewAlert {
    let reason = data
        .reason
        .filter(|r| !r.trim().is_empty())
        .map_or_else(String::new, |r| format!(": {r}"));
    NewAlert {
        kind: keys::ORDER_CANCELLED.to_owned(),
        topic: Topic::Orders,
        severity: Severity::Warning,
        title: "Order cancelled".to_owned(),
        message: format!("Order {} was cancelled{reason}.", data.order_id),
        entity: order(&data.order_id),
        customer_id: data.customer_id,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StockRejected {
    order_id: String,
    #[serde(default)]
    lines: Vec<RejectedLine>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RejectedLine {
    product_id: String,
    requested: Option<i64>,
    available: Option<i64>,
}

pub(super) fn stock_rejected(data: StockRejected) -> NewAlert {
    let lines: Vec<String> = data
        .lines
        .iter()
        .map(|l| match (l.requested, l.available) {
            (Some(r), Some(a)) => format!("{} (requested {r}, available {a})", l.product_id),
            _ => l.product_id.clone(),
        })
        .collect();
    let detail = if lines.is_empty() {
        String::new()
    } else {
        format!(": {}", lines.join("; "))
    };
    NewAlert {
        kind: keys::STOCK_REJECTED.to_owned(),
        topic: Topic::Stock,
        severity: Severity::Warning,
        title: "Stock refused for an order".to_owned(),
        message: format!("Not enough stock for order {}{detail}.", data.order_id),
        entity: order(&data.order_id),
        customer_id: None,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StockLow {
    product_id: String,
    name: Option<String>,
    stock: i64,
    threshold: Option<i64>,
}

pub(super) fn stock_low(data: StockLow) -> NewAlert {
    let name = data.name.unwrap_or_else(|| data.product_id.clone());
    let (severity, title) = if data.stock <= 0 {
        (Severity::Critical, "Out of stock")
    } else {
        (Severity::Warning, "Stock low")
    };
    let threshold = data
        .threshold
        .map_or_else(String::new, |t| format!(" (threshold {t})"));
    NewAlert {
        kind: keys::PRODUCT_STOCK_LOW.to_owned(),
        topic: Topic::Stock,
        severity,
        title: title.to_owned(),
        message: format!("{name} has {} left{threshold}.", data.stock),
        entity: Entity {
            kind: "product".to_owned(),
            id: data.product_id,
        },
        customer_id: None,
    }
}
