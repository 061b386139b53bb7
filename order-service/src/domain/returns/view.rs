//! A return as the API shows it (`shared::api::returns::Return`): money as numbers, times as
//! RFC 3339, the history in order.

use chrono::DateTime;
use shared::api::returns::{Return as ReturnView, ReturnLine, ReturnStep};

use super::Return;
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
                .map(|l| ReturnLine {
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
                .map(|(index, s)| ReturnStep {
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
