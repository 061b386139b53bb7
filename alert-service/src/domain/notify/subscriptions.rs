//! A customer's subscription (order-service's `subscription.paused`): order-service paused it
//! by itself, so the customer must hear why and that nothing more is ordered until they
//! resume it. A customer's own pause is not published, so it makes nothing.

use serde::Deserialize;
use serde_json::json;

use super::new;
use crate::domain::notification::{Kind, NewNotification};

/// The part of `subscription.paused` this reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Paused {
    subscription_id: String,
    customer_id: String,
    reason: Option<String>,
}

/// `subscription.paused`: why, in words, and what to do.
pub(super) fn paused(data: Paused) -> NewNotification {
    let reason = data.reason.unwrap_or_default();
    let why = if reason.starts_with("PAYMENT_DECLINED") {
        "the payment with your saved card was declined".to_owned()
    } else if let Some(refusal) = reason.strip_prefix("ORDER_REFUSED: ") {
        format!("its order could not be placed ({refusal})")
    } else if reason.is_empty() {
        "its order could not be placed".to_owned()
    } else {
        reason.clone()
    };
    let id = &data.subscription_id;
    new(
        data.customer_id.clone(),
        Kind::SubscriptionPaused,
        format!("Subscription {id} paused"),
        format!(
            "We paused your subscription {id}: {why}. Nothing more is ordered until you resume \
             it (and, for a payment, choose a card that works)."
        ),
        None,
        json!({ "subscriptionId": id, "reason": reason }),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::events::{Envelope, keys};

    use super::super::notification_for;
    use crate::domain::notification::Kind;

    #[test]
    fn a_declined_payment_pause_tells_the_customer_why_and_names_the_subscription() {
        let event = Envelope::new(
            keys::SUBSCRIPTION_PAUSED,
            "order-service",
            "test",
            json!({ "subscriptionId": "sub1", "customerId": "c1",
                    "reason": "PAYMENT_DECLINED: card_declined" }),
        );

        let made = notification_for(&event).unwrap().unwrap();

        assert_eq!(made.kind, Kind::SubscriptionPaused);
        assert_eq!(made.customer_id, "c1");
        assert!(made.message.contains("declined"), "{}", made.message);
        assert_eq!(made.details["subscriptionId"], "sub1");
        assert!(made.kind.mailed());
    }

    #[test]
    fn a_paused_event_without_a_customer_is_malformed() {
        let event = Envelope::new(
            keys::SUBSCRIPTION_PAUSED,
            "order-service",
            "test",
            json!({ "subscriptionId": "sub1" }),
        );
        assert!(notification_for(&event).is_err());
    }
}
