//! Each event kind's effect on the read models. Payloads are read tolerantly: unknown fields
//! are ignored and missing optional ones defaulted, since their publishers evolve on their own.

use bson::doc;
use mongodb::Database;
use serde::Deserialize;
use serde_json::Value;
use shared::events::{Envelope, HandlerError, keys};

use super::order::cents;
pub use super::order::{lines, order_facts};
use crate::{
    domain::{Day, ledger::REACHED},
    store::{
        facts,
        orders::{self, FINAL, Facts},
    },
};

fn retry(e: mongodb::error::Error) -> HandlerError {
    HandlerError::from(e)
}

/// The event's payload as `T`; a payload that can never be read is rejected (dead-lettered).
pub fn data<T: for<'de> Deserialize<'de>>(event: &Envelope) -> Result<T, HandlerError> {
    event
        .data_as()
        .map_err(|e| HandlerError::Reject(format!("malformed {}: {e}", event.kind)))
}

/// Applies `event` to the read models; events that feed none are left to the event log.
pub async fn apply(db: &Database, event: &Envelope) -> Result<(), HandlerError> {
    if super::commerce::apply(db, event).await? || super::aftersales::apply(db, event).await? {
        return Ok(());
    }
    let day = Day::of(event.occurred_at).text();
    let id = event.id.to_string();
    match event.kind.as_str() {
        keys::ORDER_CREATED => {
            let created: OrderCreated = data(event)?;
            let facts = created.facts(event);
            orders::record(db, &facts).await.map_err(retry)?;
            orders::set_status(db, &facts.order_id, "PENDING", 0)
                .await
                .map_err(retry)
        }
        keys::ORDER_STATUS_CHANGED => status_changed(db, event).await,
        keys::ORDER_CANCELLED | keys::STOCK_REJECTED => {
            let about: AboutOrder = data(event)?;
            let status = if event.kind == keys::ORDER_CANCELLED {
                "CANCELLED"
            } else {
                "REJECTED"
            };
            orders::set_final(db, &about.order_id, status)
                .await
                .map_err(retry)
        }
        keys::CUSTOMER_REGISTERED => {
            let c: Registered = data(event)?;
            let day = c
                .registered_at
                .as_deref()
                .and_then(Day::of_rfc3339)
                .map_or(day, Day::text);
            let document = doc! { "_id": c.customer_id, "day": day };
            facts::record(db, facts::CUSTOMERS, document)
                .await
                .map_err(retry)
        }
        keys::PRODUCT_STOCK_LOW => {
            let low: StockLow = data(event)?;
            let document = doc! { "_id": id, "day": day, "productId": low.product_id,
            "name": low.name, "stock": low.stock };
            facts::record(db, facts::STOCK_LOW, document)
                .await
                .map_err(retry)
        }
        keys::ALERT_SENT => {
            let alert: AlertSent = data(event)?;
            let day = alert
                .created_at
                .as_deref()
                .and_then(Day::of_rfc3339)
                .map_or(day, Day::text);
            let document = doc! { "_id": alert.id, "day": day, "type": alert.kind,
            "severity": alert.severity, "topic": alert.topic };
            facts::record(db, facts::ALERTS, document)
                .await
                .map_err(retry)
        }
        keys::ASSISTANT_REPLIED => {
            let reply: Replied = data(event)?;
            let latency = reply
                .latency_ms
                .or(reply.processing_time)
                .and_then(|v| v.as_f64())
                .map(|ms| ms.round() as i64);
            let document = doc! { "_id": id, "day": day, "intent": reply.intent,
            "functions": reply.functions.or(reply.functions_called).unwrap_or_default(),
            "latencyMs": latency, "confidence": reply.confidence };
            facts::record(db, facts::REPLIES, document)
                .await
                .map_err(retry)
        }
        _ => Ok(()),
    }
}

/// `order.status_changed`: the order's facts (what it reached), and its status by the change's
/// index (the order's version), so that an older change arriving late loses.
async fn status_changed(db: &Database, event: &Envelope) -> Result<(), HandlerError> {
    let changed: StatusChanged = data(event)?;
    let index = changed
        .index
        .or_else(|| changed.order.get("version").and_then(Value::as_i64));
    if let Some(mut facts) = order_facts(&changed.order) {
        facts.reached |= REACHED.contains(&changed.new_status.as_str());
        orders::record(db, &facts).await.map_err(retry)?;
    }
    let index = match (index, changed.new_status.as_str()) {
        (Some(i), _) => i,
        (None, "CANCELLED" | "REJECTED") => FINAL,
        (None, _) => return Ok(()),
    };
    orders::set_status(db, &changed.order_id, &changed.new_status, index)
        .await
        .map_err(retry)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderCreated {
    order_id: String,
    customer_id: Option<String>,
    #[serde(default)]
    items: Vec<Value>,
    total: Option<Value>,
    created_at: Option<String>,
}

impl OrderCreated {
    fn facts(&self, event: &Envelope) -> Facts {
        let placed = self
            .created_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(event.occurred_at, |t| t.with_timezone(&chrono::Utc));
        let lines = lines(&self.items);
        let total = self
            .total
            .as_ref()
            .and_then(cents)
            .or_else(|| Some(lines.iter().map(|l| l.revenue).sum()));
        Facts {
            order_id: self.order_id.clone(),
            customer_id: self.customer_id.clone(),
            day: Some(Day::of(placed).text()),
            created_ms: Some(placed.timestamp_millis()),
            total,
            lines: Some(lines),
            ..Facts::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusChanged {
    order_id: String,
    new_status: String,
    index: Option<i64>,
    #[serde(default)]
    order: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AboutOrder {
    order_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Registered {
    customer_id: String,
    registered_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StockLow {
    product_id: String,
    name: Option<String>,
    stock: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlertSent {
    id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    severity: Option<String>,
    topic: Option<String>,
    created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Replied {
    intent: Option<String>,
    functions: Option<Vec<String>>,
    functions_called: Option<Vec<String>>,
    latency_ms: Option<Value>,
    processing_time: Option<Value>,
    confidence: Option<f64>,
}
