//! The JSON messages `/ws/alerts` sends (DESIGN.md, "Wire details"); heartbeats and errors
//! are [`shared::ws`]'s.

use serde_json::{Value, json};

use crate::domain::{Alert, Topic, notification::Notification};

/// `{type: "alert", replay, alert}`: `replay` is true for alerts sent because of `since`.
pub fn alert(alert: &Alert, replay: bool) -> Value {
    json!({ "type": "alert", "replay": replay, "alert": alert })
}

/// `{type: "replayed", count}`: the replay is over; live alerts follow.
pub fn replayed(count: usize) -> Value {
    json!({ "type": "replayed", "count": count })
}

/// `{type: "notification", notification}`: one of the caller's own (topic `me`).
pub fn notification(notification: &Notification) -> Value {
    json!({ "type": "notification", "notification": notification })
}

/// `{type: "subscribed", topics}`: what the socket follows now (`me` last, when followed).
pub fn subscribed(topics: &[Topic], me: bool) -> Value {
    let mut names: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
    if me {
        names.push(ME);
    }
    json!({ "type": "subscribed", "topics": names })
}

/// The topic of the caller's own notifications.
pub const ME: &str = "me";
