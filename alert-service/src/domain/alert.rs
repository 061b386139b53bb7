//! An alert: what happened, how bad it is, what it is about and whom it concerns.

use std::{fmt, str::FromStr};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For the record.
    Info,
    /// Needs a look.
    Warning,
    /// Needs someone now.
    Critical,
}

/// What an alert is about, for WebSocket subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    /// Orders placed, changed, cancelled.
    Orders,
    /// Stock running low or refused.
    Stock,
    /// Conversations handed to a human.
    Support,
    /// Attacks on accounts (a burst of failed sign-ins against one).
    Security,
    /// The suite's own health (an event that could never be published).
    Ops,
    /// A customer's loyalty points earned or tier reached.
    Loyalty,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 6] = [
        Topic::Orders,
        Topic::Stock,
        Topic::Support,
        Topic::Security,
        Topic::Ops,
        Topic::Loyalty,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Stock => "stock",
            Self::Support => "support",
            Self::Security => "security",
            Self::Ops => "ops",
            Self::Loyalty => "loyalty",
        }
    }
}

impl FromStr for Topic {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "orders" => Ok(Self::Orders),
            "stock" => Ok(Self::Stock),
            "support" => Ok(Self::Support),
            "security" => Ok(Self::Security),
            "ops" => Ok(Self::Ops),
            "loyalty" => Ok(Self::Loyalty),
            other => Err(format!(
                "unknown topic {other:?}: expected orders, stock, support, security, ops, loyalty or all"
            )),
        }
    }
}

impl Severity {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "info" => Ok(Self::Info),
            "warning" => Ok(Self::Warning),
            "critical" => Ok(Self::Critical),
            other => Err(format!(
                "unknown severity {other:?}: expected info, warning or critical"
            )),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The thing an alert is about: `{type: "order", id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// `order`, `product` or `session`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// An alert as a rule makes it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// The routing key of the event it came from, e.g. `order.created`.
    pub kind: String,
    /// Its topic.
    pub topic: Topic,
    /// How urgent.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// A sentence or two.
    pub message: String,
    /// What it is about.
    pub entity: Entity,
    /// The customer it concerns, if any; that customer sees it too.
    pub customer_id: Option<String>,
}

/// A stored alert, as the API, the WebSocket, the webhook and `alert.sent` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// The alert's id (an ObjectId in hex).
    pub id: String,
    /// Its position among all alerts; replays go by it.
    pub sequence: i64,
    /// The routing key of the event it came from.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its topic.
    pub topic: Topic,
    /// How urgent.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// A sentence or two.
    pub message: String,
    /// What it is about.
    pub entity: Entity,
    /// The customer it concerns.
    pub customer_id: Option<String>,
    /// The event it was made from.
    pub event_id: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Whether an admin acknowledged it.
    pub acknowledged: bool,
    /// When (RFC 3339).
    pub acknowledged_at: Option<String>,
    /// By whom (an admin's id).
    pub acknowledged_by: Option<String>,
}

/// A time as RFC 3339 with milliseconds.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topics_the_api_checks_are_the_topics_there_are() {
        let mut names: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
        names.push("all");
        assert_eq!(names, shared::api::alerts::TOPICS);
        for severity in shared::api::alerts::SEVERITIES {
            assert!(severity.parse::<Severity>().is_ok(), "{severity}");
        }
    }
}
