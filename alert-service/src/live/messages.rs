//! The JSON messages `/ws/alerts` sends (DESIGN.md, "Wire details").

use serde_json::{Value, json};

use crate::domain::{Alert, Topic, alert::rfc3339};

/// `{type: "alert", replay, alert}`: `replay` is true for alerts sent because of `since`.
pub fn alert(alert: &Alert, replay: bool) -> Value {
    json!({ "type": "alert", "replay": replay, "alert": alert })
}

/// `{type: "replayed", count}`: the replay is over; live alerts follow.
pub fn replayed(count: usize) -> Value {
    json!({ "type": "replayed", "count": count })
}

/// `{type: "subscribed", topics}`: what the socket follows now.
pub fn subscribed(topics: &[Topic]) -> Value {
    let names: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
    json!({ "type": "subscribed", "topics": names })
}

/// `{type: "heartbeat", at}`.
pub fn heartbeat() -> Value {
    json!({ "type": "heartbeat", "at": rfc3339(chrono::Utc::now()) })
}

/// `{type: "error", code, message}`.
pub fn error(code: &str, message: &str) -> Value {
    json!({ "type": "error", "code": code, "message": message })
}
