//! The payment an order carries (issue 15): the card as the provider tokenised it (brand, last
//! four, expiry and the opaque token; never the number or the cvc), where the payment stands,
//! and the provider's reference once there is one.
//!
//! An order without a payment is an invoiced API order (`POST /orders` without a card): the
//! saga moves it to `PROCESSING` on `stock.reserved` alone, as before payments existed.

use serde::{Deserialize, Serialize};

/// The code that starts the `rejectionReason` of an order whose payment was declined, followed
/// by the provider's reason (`PAYMENT_DECLINED: card_declined`).
pub const PAYMENT_DECLINED: &str = "PAYMENT_DECLINED";

/// Where an order's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    /// Not asked yet, or the provider could not be reached (retried).
    Pending,
    /// The provider authorised the order's total.
    Authorized,
    /// The provider refused it; the order is `REJECTED`.
    Declined,
    /// The authorisation was voided after the order was cancelled.
    Voided,
}

impl From<PaymentStatus> for shared::api::orders::PaymentStatus {
    fn from(status: PaymentStatus) -> Self {
        match status {
            PaymentStatus::Pending => Self::Pending,
            PaymentStatus::Authorized => Self::Authorized,
            PaymentStatus::Declined => Self::Declined,
            PaymentStatus::Voided => Self::Voided,
        }
    }
}

impl PaymentStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Declined => "declined",
            Self::Voided => "voided",
        }
    }
}

/// The card an order is paid with, and the payment's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// The provider's name (`test`).
    pub provider: String,
    /// Card brand (`visa`, ...).
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry month, 1..=12.
    pub exp_month: i32,
    /// Expiry year.
    pub exp_year: i32,
    /// The provider's opaque token for the card; never shown.
    pub token: String,
    /// Where it stands.
    pub status: PaymentStatus,
    /// The provider's reference of the authorisation (and of the void, once voided).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// The provider's decline code (`card_declined`, `insufficient_funds`) once declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<String>,
    /// When product-service reserved the stock (epoch milliseconds): from then on the order
    /// waits only for the provider, and the saga's deadline no longer applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock_reserved_at_ms: Option<i64>,
    /// The void's reference, once the authorisation was given back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_ref: Option<String>,
}

/// The payment as the API shows it (the contract's `OrderPayment`): no token.
pub use shared::api::orders::OrderPayment as PaymentView;

impl Payment {
    /// A payment not asked for yet, with the card as tokenised.
    pub fn pending(
        provider: &str,
        brand: &str,
        last4: &str,
        exp_month: i32,
        exp_year: i32,
        token: &str,
    ) -> Self {
        Self {
            provider: provider.to_owned(),
            brand: brand.to_owned(),
            last4: last4.to_owned(),
            exp_month,
            exp_year,
            token: token.to_owned(),
            status: PaymentStatus::Pending,
            provider_ref: None,
            decline_reason: None,
            stock_reserved_at_ms: None,
            refund_ref: None,
        }
    }

    /// What callers see.
    pub fn view(&self) -> PaymentView {
        PaymentView {
            provider: self.provider.clone(),
            brand: self.brand.clone(),
            last4: self.last4.clone(),
            exp_month: self.exp_month,
            exp_year: self.exp_year,
            status: self.status.into(),
            provider_ref: self.provider_ref.clone(),
            decline_reason: self.decline_reason.clone(),
        }
    }
}

/// The rejection reason of a declined payment: `PAYMENT_DECLINED: <code>`.
pub fn declined_reason(code: &str) -> String {
    format!("{PAYMENT_DECLINED}: {code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_never_shows_the_token() {
        let payment = Payment::pending("test", "visa", "4242", 12, 2030, "tok_test_secret");
        let view = serde_json::to_value(payment.view()).unwrap();
        assert!(!view.to_string().contains("tok_test_secret"), "{view}");
        assert_eq!(view["status"], "pending");
        assert_eq!(view["last4"], "4242");
    }

    #[test]
    fn a_decline_reason_starts_with_its_code() {
        assert_eq!(
            declined_reason("insufficient_funds"),
            "PAYMENT_DECLINED: insufficient_funds"
        );
    }
}
