//! A return as the API shows it: money as numbers, times as RFC 3339, the history in order.

use chrono::DateTime;
use serde::Serialize;

use super::{Return, ReturnStatus};
use crate::domain::{Money, order::rfc3339};

impl Return {
    /// What callers see.
    pub fn view(&self) -> ReturnView {
        let at = |ms: i64| rfc3339(DateTime::from_timestamp_millis(ms).unwrap_or_default());
        ReturnView {
            id: self.id.to_hex(),
            order_id: self.order_id.clone(),
            customer_id: self.customer_id.clone(),
            status: self.status,
            items: self
                .items
                .iter()
                .map(|l| ReturnLineView {
                    product_id: l.product_id.clone(),
                    name: l.name.clone(),
                    price: Money::from_cents(l.unit_price_cents),
                    quantity: l.quantity,
                })
                .collect(),
            reason: self.reason.clone(),
            amount: Money::from_cents(self.amount_cents),
            history: self
                .history
                .iter()
                .filter_map(|(k, s)| k.parse::<i64>().ok().map(|i| (i, s)))
                .map(|(index, s)| ReturnStepView {
                    index,
                    status: s.status,
                    at: at(s.at_ms),
                    note: s.note.clone(),
                })
                .collect(),
            refund_ref: self.refund_ref.clone(),
            created_at: at(self.created_at_ms),
            updated_at: at(self.updated_at_ms),
            version: self.version,
        }
    }
}

/// A return as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnView {
    /// Id.
    pub id: String,
    /// The order.
    pub order_id: String,
    /// The customer.
    pub customer_id: String,
    /// Where it stands.
    pub status: ReturnStatus,
    /// What goes back.
    pub items: Vec<ReturnLineView>,
    /// Why.
    pub reason: String,
    /// What is (or will be) refunded.
    pub amount: Money,
    /// Every step, oldest first.
    pub history: Vec<ReturnStepView>,
    /// The provider's reference of the refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_ref: Option<String>,
    /// When it was asked for.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The index of the latest step.
    pub version: i64,
}

/// A returned line as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnLineView {
    /// The product.
    pub product_id: String,
    /// Its name on the order.
    pub name: String,
    /// Unit price on the order.
    pub price: Money,
    /// Units returned.
    pub quantity: i64,
}

/// A step as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnStepView {
    /// Its index.
    pub index: i64,
    /// The status entered.
    pub status: ReturnStatus,
    /// When.
    pub at: String,
    /// Reason, note or reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
