//! Which event becomes which alert. One event makes at most one alert; the payloads are read
//! tolerantly (unknown fields ignored, optional ones defaulted), because their publishers
//! evolve on their own.

use serde::Deserialize;
use serde_json::Value;
use shared::events::{Envelope, keys};

use super::{Entity, NewAlert, Severity, Topic};

/// The routing keys that make alerts.
pub const KEYS: [&str; 10] = [
    keys::ORDER_CREATED,
    keys::ORDER_STATUS_CHANGED,
    keys::ORDER_CANCELLED,
    keys::STOCK_REJECTED,
    keys::PRODUCT_STOCK_LOW,
    keys::SUPPORT_ESCALATED,
    keys::ASSISTANT_WRONGDOING,
    keys::LOGIN_BURST,
    keys::OUTBOX_PARKED,
    keys::LOYALTY_CHANGED,
];

/// The alert `event` makes: `Ok(None)` for an event that makes none, `Err` for a payload that
/// cannot be read (it will never be, so it is dead-lettered).
pub fn alert_for(event: &Envelope) -> Result<Option<NewAlert>, String> {
    let malformed = |e: serde_json::Error| format!("malformed {}: {e}", event.kind);
    let alert = match event.kind.as_str() {
        keys::ORDER_CREATED => order_created(event.data_as().map_err(malformed)?),
        keys::ORDER_STATUS_CHANGED => status_changed(event.data_as().map_err(malformed)?),
        keys::ORDER_CANCELLED => order_cancelled(event.data_as().map_err(malformed)?),
        keys::STOCK_REJECTED => stock_rejected(event.data_as().map_err(malformed)?),
        keys::PRODUCT_STOCK_LOW => stock_low(event.data_as().map_err(malformed)?),
        keys::SUPPORT_ESCALATED => escalated(event.data_as().map_err(malformed)?),
        keys::ASSISTANT_WRONGDOING => wrongdoing(event.data_as().map_err(malformed)?),
        keys::LOGIN_BURST => login_burst(event.data_as().map_err(malformed)?),
        keys::OUTBOX_PARKED => parked(&event.source, event.data_as().map_err(malformed)?),
        keys::LOYALTY_CHANGED => return Ok(loyalty_changed(event.data_as().map_err(malformed)?)),
        _ => return Ok(None),
    };
    Ok(Some(alert))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderCreated {
    order_id: String,
    customer_id: Option<String>,
    #[serde(default)]
    items: Vec<Value>,
    total: Option<Value>,
}

fn order(id: &str) -> Entity {
    Entity {
        kind: "order".to_owned(),
        id: id.to_owned(),
    }
}

fn order_created(data: OrderCreated) -> NewAlert {
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
struct StatusChanged {
    order_id: String,
    customer_id: Option<String>,
    old_status: String,
    new_status: String,
    #[serde(default)]
    order: Value,
}

fn status_changed(data: StatusChanged) -> NewAlert {
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
struct OrderCancelled {
    order_id: String,
    customer_id: Option<String>,
    reason: Option<String>,
}

fn order_cancelled(data: OrderCancelled) -> NewAlert {
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
struct StockRejected {
    order_id: String,
    #[serde(default)]
    lines: Vec<RejectedLine>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RejectedLine {
    product_id: String,
    requested: Option<i64>,
    available: Option<i64>,
}

fn stock_rejected(data: StockRejected) -> NewAlert {
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
struct StockLow {
    product_id: String,
    name: Option<String>,
    stock: i64,
    threshold: Option<i64>,
}

fn stock_low(data: StockLow) -> NewAlert {
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Escalated {
    session_id: Option<String>,
    customer_id: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    order_id: Option<String>,
}

fn escalated(data: Escalated) -> NewAlert {
    let why = data
        .reason
        .or(data.message)
        .filter(|r| !r.trim().is_empty())
        .map_or_else(String::new, |r| format!(": {r}"));
    let entity = match (data.session_id, data.order_id) {
        (Some(id), _) => Entity {
            kind: "session".to_owned(),
            id,
        },
        (None, Some(id)) => order(&id),
        (None, None) => Entity {
            kind: "customer".to_owned(),
            id: data.customer_id.clone().unwrap_or_default(),
        },
    };
    NewAlert {
        kind: keys::SUPPORT_ESCALATED.to_owned(),
        topic: Topic::Support,
        severity: Severity::Critical,
        title: "Support escalation".to_owned(),
        message: format!("A conversation needs a human{why}."),
        entity,
        customer_id: data.customer_id,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wrongdoing {
    session_id: String,
    customer_id: Option<String>,
    customer_name: Option<String>,
    kind: String,
    message: Option<String>,
}

/// For admins only (no customer: the one who asked must not see it): the assistant refused a
/// request for other customers' data or for breaking into the shop's systems.
fn wrongdoing(data: Wrongdoing) -> NewAlert {
    let what = match data.kind.as_str() {
        "data" => "other customers' personal data",
        "intrusion" => "a way into or around the shop's systems",
        _ => "something against the shop's rules",
    };
    let who = match (data.customer_name, data.customer_id) {
        (Some(name), Some(id)) => format!("Customer {name} ({id})"),
        (None, Some(id)) => format!("Customer {id}"),
        _ => "An anonymous visitor".to_owned(),
    };
    let said = data
        .message
        .filter(|m| !m.trim().is_empty())
        .map_or_else(String::new, |m| format!(": \"{m}\""));
    NewAlert {
        kind: keys::ASSISTANT_WRONGDOING.to_owned(),
        topic: Topic::Security,
        severity: Severity::Critical,
        title: "Suspicious request to the assistant".to_owned(),
        message: format!("{who} asked the assistant for {what}{said}. The chat was ended."),
        entity: Entity {
            kind: "session".to_owned(),
            id: data.session_id,
        },
        customer_id: None,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginBurst {
    email: String,
    failures: Option<u64>,
    window_secs: Option<u64>,
}

/// For admins only (no customer): someone is trying passwords on one account.
fn login_burst(data: LoginBurst) -> NewAlert {
    let failures = data
        .failures
        .map_or_else(|| "Many".to_owned(), |n| n.to_string());
    let window = data
        .window_secs
        .map_or_else(String::new, |s| format!(" within {s} s"));
    NewAlert {
        kind: keys::LOGIN_BURST.to_owned(),
        topic: Topic::Security,
        severity: Severity::Critical,
        title: "Burst of failed sign-ins".to_owned(),
        message: format!(
            "{failures} failed sign-ins against {}{window}, from any address.",
            data.email
        ),
        entity: Entity {
            kind: "account".to_owned(),
            id: data.email,
        },
        customer_id: None,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Parked {
    collection: String,
    document_id: String,
    event_type: Option<String>,
    event_id: Option<String>,
    reason: String,
}

/// For admins only: an event of `source` could never be published and waits, parked, for a
/// person (the `outbox_parked` collection of that service's database).
fn parked(source: &str, data: Parked) -> NewAlert {
    let what = data.event_type.as_deref().unwrap_or("an unreadable event");
    NewAlert {
        kind: keys::OUTBOX_PARKED.to_owned(),
        topic: Topic::Ops,
        severity: Severity::Critical,
        title: format!("{source} parked an event it cannot publish"),
        message: format!(
            "{what} of {} {} was parked in outbox_parked: {}",
            data.collection, data.document_id, data.reason
        ),
        entity: Entity {
            kind: "event".to_owned(),
            id: data
                .event_id
                .unwrap_or_else(|| format!("{}:{}", data.collection, data.document_id)),
        },
        customer_id: None,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoyaltyChanged {
    customer_id: String,
    points: i64,
    tier: String,
    previous_tier: Option<String>,
    #[serde(default)]
    change: Value,
}

/// Why points are "earned" for an alert: a delivered order, or points an admin gave. Holds,
/// spends, releases and refunds move points too, but tell the customer nothing new.
const EARNING: [&str; 2] = ["ORDER_DELIVERED", "ADMIN_ADJUSTMENT"];

/// For the customer: a new tier reached (or lost), or points earned; nothing for other moves.
fn loyalty_changed(data: LoyaltyChanged) -> Option<NewAlert> {
    let moved = data.change["points"].as_i64().unwrap_or(0);
    let reason = data.change["reason"].as_str().unwrap_or_default();
    let new_tier = data
        .previous_tier
        .as_deref()
        .filter(|before| *before != data.tier);
    let (title, message) = match new_tier {
        Some(before) => (
            format!("{} tier", data.tier),
            format!(
                "Your loyalty tier is now {} (it was {before}); you have {} points.",
                data.tier, data.points
            ),
        ),
        None if moved > 0 && EARNING.contains(&reason) => (
            "Points earned".to_owned(),
            format!(
                "You earned {moved} points; you have {} points ({} tier).",
                data.points, data.tier
            ),
        ),
        None => return None,
    };
    Some(NewAlert {
        kind: keys::LOYALTY_CHANGED.to_owned(),
        topic: Topic::Loyalty,
        severity: Severity::Info,
        title,
        message,
        entity: Entity {
            kind: "customer".to_owned(),
            id: data.customer_id.clone(),
        },
        customer_id: Some(data.customer_id),
    })
}

/// A JSON money number as text with two decimals (`12` → `12.00`), read from its text so
/// nothing is rounded; `None` for anything else.
fn money_text(value: &Value) -> Option<String> {
    let text = value.as_number()?.to_string();
    if text.contains(['e', 'E', '-']) {
        return Some(text);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = format!("{fraction:0<2}");
    Some(format!("{whole}.{fraction}"))
}

#[cfg(test)]
mod tests;
