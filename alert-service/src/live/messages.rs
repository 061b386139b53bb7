//! The JSON messages `/ws/alerts` sends (DESIGN.md, "Wire details"); heartbeats and errors
//! are [`shared::ws`]'s.

use serde_json::{Value, json};

use crate::domain::{Alert, Topic};

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
