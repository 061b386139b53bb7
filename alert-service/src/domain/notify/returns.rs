//! A customer's return (order-service's `return.requested`, `return.approved`,
//! `return.rejected` and `return.received`): the steps the customer waits on. The refund that ends a return is told once, by the
//! `payment.refunded` beside `return.refunded`, so `return.refunded` makes nothing here.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{money_text, new};
use crate::domain::notification::{Kind, NewNotification};

/// The part of a return event this reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Return {
    return_id: String,
    order_id: String,
    customer_id: String,
    #[serde(default)]
    items: Vec<Value>,
    amount: Option<Value>,
    /// The admin's note on a decision.
    #[serde(default)]
    note: Option<String>,
}

impl Return {
    fn units(&self) -> i64 {
        self.items
            .iter()
            .filter_map(|i| i.get("quantity").and_then(Value::as_i64))
            .sum()
    }
}

/// `return.requested`: the request is in and waits for the shop.
pub(super) fn requested(data: Return) -> NewNotification {
    let units = data.units();
    let id = &data.order_id;
    new(
        data.customer_id.clone(),
        Kind::ReturnRequested,
        format!("Return requested for order {id}"),
        format!(
            "We have your request to return {units} item(s) of order {id}; we will tell you \
             once it is approved."
        ),
        Some(id),
        json!({ "returnId": data.return_id, "items": units }),
    )
}

/// `return.approved`: the customer may send the parcel.
pub(super) fn approved(data: Return) -> NewNotification {
    let units = data.units();
    let id = &data.order_id;
    let note = data
        .note
        .as_deref()
        .map(|n| format!(" Note: {n}"))
        .unwrap_or_default();
    new(
        data.customer_id.clone(),
        Kind::ReturnApproved,
        format!("Return approved for order {id}"),
        format!(
            "Your return of {units} item(s) of order {id} is approved: please send the \
             parcel; we will tell you when it arrives.{note}"
        ),
        Some(id),
        json!({ "returnId": data.return_id, "items": units, "note": data.note }),
    )
}

/// `return.rejected`: the shop refused the return; its note says why.
pub(super) fn rejected(data: Return) -> NewNotification {
    let units = data.units();
    let id = &data.order_id;
    let why = data
        .note
        .as_deref()
        .map_or_else(String::new, |n| format!(" Reason: {n}"));
    new(
        data.customer_id.clone(),
        Kind::ReturnRejected,
        format!("Return declined for order {id}"),
        format!("We could not accept your return of {units} item(s) of order {id}.{why}"),
        Some(id),
        json!({ "returnId": data.return_id, "items": units, "reason": data.note }),
    )
}

/// `return.received`: the parcel is back and the refund is on its way.
pub(super) fn received(data: Return) -> NewNotification {
    let amount = data.amount.as_ref().and_then(money_text);
    let refund = amount.as_ref().map_or_else(
        || "your refund".to_owned(),
        |a| format!("your refund of {a}"),
    );
    let id = &data.order_id;
    new(
        data.customer_id.clone(),
        Kind::ReturnReceived,
        format!("Return received for order {id}"),
        format!("Your returned parcel for order {id} arrived; {refund} follows."),
        Some(id),
        json!({ "returnId": data.return_id, "items": data.units(), "amount": amount }),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::events::{Envelope, keys};

    use super::super::notification_for;
    use crate::domain::notification::Kind;

    fn kind_mailed(kind: Kind) -> bool {
        kind.mailed() && kind.category() == crate::domain::notification::Category::Orders
    }

    fn event(kind: &str) -> Envelope {
        Envelope::new(
            kind,
            "order-service",
            "r",
            json!({"returnId": "r1", "orderId": "o1", "customerId": "c1",
                   "items": [{"productId": "p1", "quantity": 2}], "amount": 21.6,
                   "status": "RECEIVED"}),
        )
    }

    #[test]
    fn a_requested_and_a_received_return_tell_their_customer_and_the_refund_event_makes_none() {
        let requested = notification_for(&event(keys::RETURN_REQUESTED))
            .unwrap()
            .unwrap();
        assert_eq!(
            (requested.kind, requested.customer_id.as_str()),
            (Kind::ReturnRequested, "c1")
        );
        assert!(
            requested.message.contains("2 item(s)"),
            "{}",
            requested.message
        );
        let received = notification_for(&event(keys::RETURN_RECEIVED))
            .unwrap()
            .unwrap();
        assert_eq!(received.kind, Kind::ReturnReceived);
        assert!(received.message.contains("21.60"), "{}", received.message);
        assert_eq!(received.details["returnId"], "r1");
        assert_eq!(
            notification_for(&event(keys::RETURN_REFUNDED)).unwrap(),
            None
        );
        let broken = Envelope::new(keys::RETURN_RECEIVED, "order-service", "r", json!({}));
        assert!(notification_for(&broken).is_err());
    }

    #[test]
    fn an_approved_and_a_rejected_return_tell_their_customer_with_the_admins_note() {
        let mut decided = event(keys::RETURN_REJECTED);
        decided.data["note"] = json!("Worn, not returnable");
        let rejected = notification_for(&decided).unwrap().unwrap();
        assert_eq!(
            (rejected.kind, rejected.customer_id.as_str()),
            (Kind::ReturnRejected, "c1")
        );
        assert!(
            rejected.message.ends_with("Reason: Worn, not returnable"),
            "{}",
            rejected.message
        );
        assert_eq!(rejected.details["reason"], "Worn, not returnable");
        let approved = notification_for(&event(keys::RETURN_APPROVED))
            .unwrap()
            .unwrap();
        assert_eq!(approved.kind, Kind::ReturnApproved);
        assert!(
            approved.message.contains("2 item(s)"),
            "{}",
            approved.message
        );
        assert!(kind_mailed(Kind::ReturnApproved) && kind_mailed(Kind::ReturnRejected));
        let broken = Envelope::new(keys::RETURN_REJECTED, "order-service", "r", json!({}));
        assert!(notification_for(&broken).is_err());
    }
}
