//! Alerts: the list's query, and an alert as `GET /alerts`, the acknowledgement, the
//! WebSocket, the webhook and `alert.sent` show it.

use std::{fmt, str::FromStr};

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// Every alert topic (`all` also names them all).
pub const TOPICS: &[&str] = &[
    "orders", "stock", "support", "security", "ops", "loyalty", "all",
];
/// Every severity.
pub const SEVERITIES: &[&str] = &["info", "warning", "critical"];

/// `GET /alerts`: newest first; customers see only their own.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertFilter {
    /// Only alerts of this type (e.g. `order.created`).
    #[serde(rename = "type")]
    #[garde(inner(custom(rules::text(1, 100))))]
    #[param(rename = "type", max_length = 100)]
    pub kind: Option<String>,
    /// Only alerts of this severity: `info`, `warning` or `critical`.
    #[garde(inner(custom(rules::one_of(SEVERITIES))))]
    pub severity: Option<String>,
    /// Only acknowledged (`true`) or unacknowledged (`false`) alerts.
    #[garde(inner(custom(rules::one_of(&["true", "false"]))))]
    #[param(value_type = Option<bool>)]
    pub acknowledged: Option<String>,
    /// Comma-separated topics: `orders`, `stock`, `support`, `security`, `ops` or `all`.
    #[garde(inner(custom(rules::some_of(TOPICS))))]
    pub topic: Option<String>,
}

/// The query of that list: its filters and its [`Paging`](super::query::Paging).
pub type AlertQuery = super::query::Paged<AlertFilter>;

/// How urgent an alert is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Entity {
    /// `order`, `product` or `session`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// A stored alert, as the API, the WebSocket, the webhook and `alert.sent` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
