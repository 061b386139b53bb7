//! Return bodies (issue 17): a customer's `POST /orders/{id}/returns`, the listing's query, and
//! the note an admin may give with `POST /returns/{id}/approve|reject|receive`. What needs the
//! stored order (delivered within 30 days, no more than was bought) stays in order-service.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    orders::{MAX_LINES, OrderLine, distinct_products},
    rules,
};

/// Longest reason or note.
pub const MAX_REASON: usize = 500;

/// Every return status, as the wire spells it.
pub const STATUSES: &[&str] = &["REQUESTED", "APPROVED", "RECEIVED", "REFUNDED", "REJECTED"];

/// `POST /orders/{id}/returns`: which of the order's products to send back, how many of each,
/// and why.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnRequest {
    /// 1 to 100 lines, one per product of the order.
    #[garde(custom(rules::items(1, MAX_LINES)), custom(distinct_products), dive)]
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<OrderLine>,
    /// Why, 1 to 500 characters (trimmed).
    #[garde(custom(rules::text(1, MAX_REASON)))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// `POST /returns/{id}/approve|reject|receive` (body optional): a note kept in the return's
/// history (why it was rejected, the parcel's state).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnNote {
    /// Up to 500 characters (trimmed).
    #[garde(inner(custom(rules::text(0, MAX_REASON))))]
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// `GET /returns`: newest first; customers see only their own.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReturnFilter {
    /// Only returns in this status.
    #[garde(inner(custom(rules::one_of(STATUSES))))]
    #[param(value_type = Option<String>)]
    pub status: Option<String>,
}

/// The query of that list: its filters and its [`Paging`](super::query::Paging).
pub type ReturnQuery = super::query::Paged<ReturnFilter>;

/// Where a return stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnStatus {
    /// Asked for by the customer.
    Requested,
    /// An admin agreed; the parcel may be sent.
    Approved,
    /// The parcel arrived: stock goes back, the refund is due.
    Received,
    /// The provider refunded the amount.
    Refunded,
    /// An admin refused it; its items count as not returned.
    Rejected,
}

impl ReturnStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "REQUESTED",
            Self::Approved => "APPROVED",
            Self::Received => "RECEIVED",
            Self::Refunded => "REFUNDED",
            Self::Rejected => "REJECTED",
        }
    }

    /// The status from its wire name (checked by `shared::api::returns` before).
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Requested,
            Self::Approved,
            Self::Received,
            Self::Refunded,
            Self::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A return as the API shows it: money as numbers, times as RFC 3339, the history in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Return {
    /// Id, 24 hex digits.
    pub id: String,
    /// The order.
    pub order_id: String,
    /// The customer.
    pub customer_id: String,
    /// Where it stands.
    pub status: ReturnStatus,
    /// What goes back.
    pub items: Vec<ReturnLine>,
    /// Why.
    pub reason: String,
    /// What is (or will be) refunded.
    pub amount: crate::Money,
    /// Every step, oldest first.
    pub history: Vec<ReturnStep>,
    /// The provider's reference of the refund, once refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_ref: Option<String>,
    /// When it was asked for.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The index of the latest step.
    pub version: i64,
}

/// A returned line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnLine {
    /// The product.
    pub product_id: String,
    /// Its name on the order.
    pub name: String,
    /// Unit price on the order.
    pub price: crate::Money,
    /// Units returned.
    pub quantity: i64,
}

/// One step of a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnStep {
    /// Its index.
    pub index: i64,
    /// The status entered.
    pub status: ReturnStatus,
    /// When (RFC 3339).
    pub at: String,
    /// Reason, note or reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parse;

    #[test]
    fn a_return_names_every_bad_field() {
        let bad = br#"{"items": [{"productId": "x", "quantity": 0}], "reason": "  "}"#;
        let Err(crate::ApiError::Validation { details, .. }) = parse::<ReturnRequest>(bad) else {
            panic!("refused");
        };
        let mut fields: Vec<&String> = details.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(
            fields,
            ["items[0].productId", "items[0].quantity", "reason"],
            "{details}"
        );
    }

    #[test]
    fn a_product_may_be_returned_on_one_line_only() {
        let id = "0123456789abcdef01234567";
        let body = format!(
            r#"{{"items": [{{"productId": "{id}", "quantity": 1}}, {{"productId": "{id}", "quantity": 2}}], "reason": "broken"}}"#
        );
        assert!(parse::<ReturnRequest>(body.as_bytes()).is_err());
        let one =
            format!(r#"{{"items": [{{"productId": "{id}", "quantity": 1}}], "reason": "broken"}}"#);
        assert!(parse::<ReturnRequest>(one.as_bytes()).is_ok());
    }
}
