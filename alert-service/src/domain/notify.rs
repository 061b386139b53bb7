//! Which event becomes which customer notification: one at most per event, read tolerantly
//! like [`super::rules`] (unknown fields ignored), because the publishers evolve on their own.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use shared::events::{Envelope, keys};

use super::notification::{Kind, NewNotification};

pub mod reports;
mod returns;
mod subscriptions;
mod wishlist;

/// The notification `event` makes: `Ok(None)` when it makes none (another status, a points
/// move without a new tier, an event without a customer), `Err` for a payload that cannot be
/// read.
pub fn notification_for(event: &Envelope) -> Result<Option<NewNotification>, String> {
    let malformed = |e: serde_json::Error| format!("malformed {}: {e}", event.kind);
    Ok(match event.kind.as_str() {
        keys::ORDER_CREATED => Some(placed(event.data_as().map_err(malformed)?)),
        keys::ORDER_STATUS_CHANGED => status_changed(event.data_as().map_err(malformed)?),
        keys::PAYMENT_FAILED => Some(declined(event.data_as().map_err(malformed)?)),
        keys::PAYMENT_REFUNDED => Some(refunded(event.data_as().map_err(malformed)?)),
        keys::LOYALTY_CHANGED => tier(event.data_as().map_err(malformed)?),
        keys::RETURN_REQUESTED => Some(returns::requested(event.data_as().map_err(malformed)?)),
        keys::RETURN_RECEIVED => Some(returns::received(event.data_as().map_err(malformed)?)),
        keys::RETURN_APPROVED => Some(returns::approved(event.data_as().map_err(malformed)?)),
        keys::RETURN_REJECTED => Some(returns::rejected(event.data_as().map_err(malformed)?)),
        keys::WISHLIST_BACK_IN_STOCK => {
            Some(wishlist::back_in_stock(event.data_as().map_err(malformed)?))
        }
        keys::WISHLIST_PRICE_DROPPED => {
            Some(wishlist::price_dropped(event.data_as().map_err(malformed)?))
        }
        keys::SUBSCRIPTION_PAUSED => {
            Some(subscriptions::paused(event.data_as().map_err(malformed)?))
        }
        _ => None,
    })
}

fn new(
    customer_id: String,
    kind: Kind,
    title: String,
    message: String,
    order_id: Option<&str>,
    details: Value,
) -> NewNotification {
    NewNotification {
        customer_id,
        kind,
        title,
        message,
        order_id: order_id.map(str::to_owned),
        details: match details {
            Value::Object(map) => map,
            _ => Map::new(),
        },
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Placed {
    order_id: String,
    customer_id: String,
    #[serde(default)]
    items: Vec<Value>,
    total: Option<Value>,
}

fn placed(data: Placed) -> NewNotification {
    let units: i64 = data
        .items
        .iter()
        .filter_map(|i| i.get("quantity").and_then(Value::as_i64))
        .sum();
    let total = data.total.as_ref().and_then(money_text);
    let of = total
        .as_ref()
        .map_or_else(String::new, |t| format!(" for {t}"));
    new(
        data.customer_id,
        Kind::OrderPlaced,
        format!("Order {} placed", data.order_id),
        format!(
            "Thank you: we have your order {} of {units} item(s){of}.",
            data.order_id
        ),
        Some(&data.order_id),
        json!({ "items": units, "total": total }),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusChanged {
    order_id: String,
    customer_id: Option<String>,
    new_status: String,
    #[serde(default)]
    order: Value,
}

fn status_changed(data: StatusChanged) -> Option<NewNotification> {
    let text = |field: &str| data.order.get(field).and_then(Value::as_str);
    let customer = data
        .customer_id
        .clone()
        .or_else(|| text("customerId").map(str::to_owned))?;
    let id = data.order_id.as_str();
    let (kind, title, message, details) = match data.new_status.as_str() {
        "SHIPPED" => {
            let carrier = text("carrier").unwrap_or("the carrier");
            let tracking = text("trackingNumber");
            let with = tracking.map_or_else(String::new, |t| format!(", tracking number {t}"));
            (
                Kind::OrderShipped,
                format!("Order {id} shipped"),
                format!("Your order {id} is on its way with {carrier}{with}."),
                json!({ "carrier": text("carrier"), "trackingNumber": tracking }),
            )
        }
        "DELIVERED" => (
            Kind::OrderDelivered,
            format!("Order {id} delivered"),
            format!("Your order {id} was delivered. Enjoy!"),
            json!({}),
        ),
        "REJECTED" => {
            let reason = text("rejectionReason").unwrap_or("it could not be fulfilled");
            let why = if reason.starts_with("PAYMENT_DECLINED") {
                "the payment was declined"
            } else {
                reason
            };
            (
                Kind::OrderRejected,
                format!("Order {id} rejected"),
                format!("We could not take your order {id}: {why}."),
                json!({ "reason": reason }),
            )
        }
        "CANCELLED" => {
            let reason = text("cancellationReason").filter(|r| !r.trim().is_empty());
            let why = reason.map_or_else(String::new, |r| format!(" ({r})"));
            (
                Kind::OrderCancelled,
                format!("Order {id} cancelled"),
                format!("Your order {id} was cancelled{why}."),
                json!({ "reason": reason }),
            )
        }
        _ => return None,
    };
    Some(new(customer, kind, title, message, Some(id), details))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payment {
    order_id: String,
    customer_id: String,
    amount: Option<Value>,
    reason: Option<String>,
}

fn declined(data: Payment) -> NewNotification {
    let amount = data.amount.as_ref().and_then(money_text);
    let of = amount
        .as_ref()
        .map_or_else(String::new, |a| format!(" of {a}"));
    let id = &data.order_id;
    new(
        data.customer_id.clone(),
        Kind::PaymentDeclined,
        format!("Payment declined for order {id}"),
        format!(
            "Your card was declined for the payment{of} of order {id}, so the order was not \
             placed. Please try another card."
        ),
        Some(id),
        json!({ "amount": amount, "reason": data.reason }),
    )
}

fn refunded(data: Payment) -> NewNotification {
    let amount = data.amount.as_ref().and_then(money_text);
    let what = amount
        .as_ref()
        .map_or_else(|| "A refund".to_owned(), |a| format!("A refund of {a}"));
    let id = &data.order_id;
    new(
        data.customer_id.clone(),
        Kind::RefundIssued,
        format!("Refund issued for order {id}"),
        format!("{what} for order {id} is on its way back to your card."),
        Some(id),
        json!({ "amount": amount }),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Loyalty {
    customer_id: String,
    points: i64,
    tier: String,
    previous_tier: Option<String>,
}

fn tier(data: Loyalty) -> Option<NewNotification> {
    let before = data.previous_tier.as_deref().filter(|b| *b != data.tier)?;
    Some(new(
        data.customer_id.clone(),
        Kind::TierReached,
        format!("You reached the {} tier", data.tier),
        format!(
            "Your loyalty tier is now {} (it was {before}); you have {} points.",
            data.tier, data.points
        ),
        None,
        json!({ "tier": data.tier, "previousTier": before, "points": data.points }),
    ))
}

/// A JSON money number as text with two decimals, read from its text so nothing is rounded.
fn money_text(value: &Value) -> Option<String> {
    let text = value.as_number()?.to_string();
    if text.contains(['e', 'E', '-']) {
        return Some(text);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    Some(format!("{whole}.{fraction:0<2}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, data: Value) -> Envelope {
        Envelope::new(kind, "order-service", "r", data)
    }

    #[test]
    fn a_shipment_names_carrier_and_tracking_and_other_statuses_make_nothing() {
        let shipped = event(
            keys::ORDER_STATUS_CHANGED,
            json!({"orderId": "o1", "customerId": "c1", "oldStatus": "PROCESSING",
                   "newStatus": "SHIPPED", "order": {"carrier": "DHL", "trackingNumber": "TN1"}}),
        );
        let made = notification_for(&shipped).unwrap().unwrap();
        assert_eq!(
            (made.kind, made.customer_id.as_str()),
            (Kind::OrderShipped, "c1")
        );
        assert!(
            made.message.contains("DHL") && made.message.contains("TN1"),
            "{}",
            made.message
        );
        assert_eq!(made.details["trackingNumber"], "TN1");
        let processing = event(
            keys::ORDER_STATUS_CHANGED,
            json!({"orderId": "o1", "customerId": "c1", "oldStatus": "PENDING",
                   "newStatus": "PROCESSING", "order": {}}),
        );
        assert_eq!(notification_for(&processing).unwrap(), None);
    }

    #[test]
    fn a_declined_payment_rejection_says_so_and_points_without_a_new_tier_make_nothing() {
        let rejected = event(
            keys::ORDER_STATUS_CHANGED,
            json!({"orderId": "o1", "customerId": "c1", "oldStatus": "PENDING",
                   "newStatus": "REJECTED", "order": {"rejectionReason": "PAYMENT_DECLINED: card_declined"}}),
        );
        let made = notification_for(&rejected).unwrap().unwrap();
        assert!(
            made.message.contains("payment was declined"),
            "{}",
            made.message
        );
        let points = event(
            keys::LOYALTY_CHANGED,
            json!({"customerId": "c1", "points": 10, "tier": "BRONZE", "previousTier": "BRONZE"}),
        );
        assert_eq!(notification_for(&points).unwrap(), None);
        let refund = event(
            keys::PAYMENT_REFUNDED,
            json!({"orderId": "o1", "customerId": "c1", "amount": 12.5, "providerRef": "r"}),
        );
        assert!(
            notification_for(&refund)
                .unwrap()
                .unwrap()
                .message
                .contains("12.50")
        );
        assert!(notification_for(&event(keys::PAYMENT_FAILED, json!({"orderId": 1}))).is_err());
    }
}
