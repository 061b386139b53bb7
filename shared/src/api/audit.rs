//! The audit log of what staff did (`GET /admin/audit`, the super admin only): one entry per
//! change an admin's request made, as customer-service read it from the change's event.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rules;

/// One thing a staff member did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditEntry {
    /// The event's id (UUID): an entry is kept once however often its event comes.
    pub id: String,
    /// When it happened (RFC 3339).
    pub at: String,
    /// Who did it: the account's id.
    pub actor_id: String,
    /// Their role then: `admin` or `super_admin`.
    pub actor_role: crate::auth::Role,
    /// What was done: the event's type, e.g. `product.updated`, `order.status_changed`,
    /// `customer.role_changed`.
    pub action: String,
    /// What it was done to: `product`, `order`, `return`, `customer` or `loyalty`.
    pub target_kind: String,
    /// Its id.
    pub target_id: String,
    /// One line for people, e.g. `price 12.50, stock 5` or `PROCESSING → SHIPPED`.
    pub summary: String,
    /// The service that made the change.
    pub source: String,
    /// The request that made it.
    pub correlation_id: String,
}

/// `GET /admin/audit`'s filters.
#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only what this account did (24 hex digits).
    #[garde(inner(custom(rules::object_id)))]
    pub actor_id: Option<String>,
    /// Only this kind of change, e.g. `product.updated`.
    #[garde(inner(custom(rules::text(1, 100))))]
    #[param(max_length = 100)]
    pub action: Option<String>,
    /// Only changes to this record (its id).
    #[garde(inner(custom(rules::text(1, 100))))]
    #[param(max_length = 100)]
    pub target_id: Option<String>,
}

/// `GET /admin/audit`'s query: the filters and the page.
pub type AuditQuery = super::query::Paged<AuditFilter>;
