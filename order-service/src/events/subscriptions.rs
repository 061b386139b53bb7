//! What subscriptions publish (issue 17), staged in the subscription's own outbox in the same
//! write as the change: `subscription.created` (`{subscriptionId, customerId, intervalDays,
//! items}`), `subscription.paused` when order-service paused one by itself (`{subscriptionId,
//! customerId, reason}`; alert-service tells the customer) and `subscription.cancelled`
//! (`{subscriptionId, customerId}`).

use serde_json::json;
use shared::events::{Envelope, keys};

use crate::{DEFAULTS, domain::subscription::Subscription};

fn envelope(
    kind: &str,
    correlation_id: &str,
    data: serde_json::Value,
) -> Result<Envelope, serde_json::Error> {
    Envelope::new(kind, DEFAULTS.name, correlation_id, data).to_value()
}

/// `subscription.created`.
pub fn created(sub: &Subscription, correlation_id: &str) -> Result<Envelope, serde_json::Error> {
    let items: Vec<_> = sub
        .items
        .iter()
        .map(|l| json!({ "productId": l.product_id.to_hex(), "quantity": l.quantity }))
        .collect();
    envelope(
        keys::SUBSCRIPTION_CREATED,
        correlation_id,
        json!({
            "subscriptionId": sub.id.to_hex(),
            "customerId": sub.customer_id,
            "intervalDays": sub.interval_days,
            "items": items,
        }),
    )
}

/// `subscription.paused`, paused by order-service for `reason`.
pub fn paused(
    sub: &Subscription,
    reason: &str,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    envelope(
        keys::SUBSCRIPTION_PAUSED,
        correlation_id,
        json!({
            "subscriptionId": sub.id.to_hex(),
            "customerId": sub.customer_id,
            "reason": reason,
        }),
    )
}

/// `subscription.cancelled`.
pub fn cancelled(sub: &Subscription, correlation_id: &str) -> Result<Envelope, serde_json::Error> {
    envelope(
        keys::SUBSCRIPTION_CANCELLED,
        correlation_id,
        json!({ "subscriptionId": sub.id.to_hex(), "customerId": sub.customer_id }),
    )
}
