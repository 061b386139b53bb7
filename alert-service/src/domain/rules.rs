//! Which event becomes which alert. One event makes at most one alert; the payloads are read
//! tolerantly (unknown fields ignored, optional ones defaulted), because their publishers
//! evolve on their own. The order and stock events' alerts are in `orders`.

use serde::Deserialize;
use serde_json::Value;
use shared::events::{Envelope, keys};

use super::{Entity, NewAlert, Severity, Topic};

mod orders;

use orders::{order, order_cancelled, order_created, status_changed, stock_low, stock_rejected};

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
