//! The return events (issue 17): `return.requested`, `return.approved`, `return.rejected`,
//! `return.received` and `return.refunded`, each `{returnId, orderId, customerId, items:
//! [{productId, quantity}], amount, status, reason}` (`providerRef` on `return.refunded`, the
//! admin's `note` on `return.approved` and `return.rejected` when one was given), and the
//! refund's `payment.refunded` with the
//! return's amount. product-service restocks on `return.received`; this service refunds on it
//! ([`crate::refunds`]).

use serde::{Deserialize, Serialize};
use shared::events::{Envelope, keys};

use super::{PaymentEvent, payloads::ReservedLine};
use crate::{
    DEFAULTS,
    domain::{Money, returns::Return},
};

/// The payload of every return event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnEvent {
    /// The return.
    pub return_id: String,
    /// Its order.
    pub order_id: String,
    /// The customer.
    pub customer_id: String,
    /// What goes back.
    pub items: Vec<ReservedLine>,
    /// What is refunded.
    pub amount: f64,
    /// The return's status after the change.
    pub status: String,
    /// Why the customer sends it back (analytics counts returns by reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The provider's reference of the refund (on `return.refunded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// The admin's note on a decision (on `return.approved` and `return.rejected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ReturnEvent {
    /// The payload for `ret` as it stands.
    pub fn of(ret: &Return) -> Self {
        Self {
            return_id: ret.id.to_hex(),
            order_id: ret.order_id.clone(),
            customer_id: ret.customer_id.clone(),
            items: ret
                .items
                .iter()
                .map(|l| ReservedLine {
                    product_id: l.product_id.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            amount: Money::from_cents(ret.amount_cents).to_json_number(),
            status: ret.status.as_str().to_owned(),
            reason: Some(ret.reason.clone()),
            provider_ref: ret.refund_ref.clone(),
            note: None,
        }
    }
}

/// `kind` (one of the return keys) for `ret` as it stands.
pub fn return_event(
    kind: &str,
    ret: &Return,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    let mut data = ReturnEvent::of(ret);
    if kind == keys::RETURN_APPROVED || kind == keys::RETURN_REJECTED {
        // The decision is the latest step; its note is what the admin wrote.
        data.note = ret
            .history
            .values()
            .next_back()
            .and_then(|s| s.note.clone());
    }
    Envelope::new(kind, DEFAULTS.name, correlation_id, data).to_value()
}

/// `payment.refunded` for a refunded return: its amount, and the refund's reference (which
/// customer-service keys the points it takes back by, once per refund).
pub fn return_refunded_payment(
    ret: &Return,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    let data = PaymentEvent {
        order_id: ret.order_id.clone(),
        customer_id: ret.customer_id.clone(),
        amount: Money::from_cents(ret.amount_cents).to_json_number(),
        provider_ref: ret.refund_ref.clone(),
        reason: None,
    };
    Envelope::new(keys::PAYMENT_REFUNDED, DEFAULTS.name, correlation_id, data).to_value()
}
