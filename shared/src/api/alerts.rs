//! Alert queries: the list of alerts.

use garde::Validate;
use serde::Deserialize;

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
pub struct AlertQuery {
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
    /// 1-based page number (default 1).
    #[garde(inner(custom(rules::int(1, super::query::MAX_PAGE))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[garde(inner(custom(rules::int(1, 100))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}
