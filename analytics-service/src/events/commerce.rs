//! The checkout's events: `payment.authorized` (revenue recognised), `payment.failed`,
//! `payment.refunded` (revenue taken back), `cart.checked_out` (the funnel's first step) and
//! `loyalty.changed` (points and tiers). Each write is idempotent by itself: an amount or a
//! mark `$set` on the order, a refund under its event's id, a move inserted under its event's
//! id, a tier guarded by the event's time.

use bson::doc;
use mongodb::Database;
use serde::Deserialize;
use serde_json::Value;
use shared::events::{Envelope, HandlerError, keys};

use super::{apply::data, order::cents};
use crate::{
    domain::Day,
    store::{
        loyalty::{self, Move},
        orders,
    },
};

fn retry(e: mongodb::error::Error) -> HandlerError {
    HandlerError::from(e)
}

/// Applies one of the checkout's events; `false` when `event` is none of them.
pub async fn apply(db: &Database, event: &Envelope) -> Result<bool, HandlerError> {
    let set = match event.kind.as_str() {
        keys::PAYMENT_AUTHORIZED | keys::PAYMENT_FAILED | keys::PAYMENT_REFUNDED => {
            let p: PaymentEvent = data(event)?;
            let amount = cents(&p.amount).ok_or_else(|| {
                HandlerError::Reject(format!("{}: amount is not money", event.kind))
            })?;
            let mut set = doc! { "payment": "card" };
            if let Some(customer) = &p.customer_id {
                set.insert("customerId", customer);
            }
            match event.kind.as_str() {
                keys::PAYMENT_AUTHORIZED => set.insert("paidCents", amount),
                keys::PAYMENT_FAILED => set.insert("paymentFailed", true),
                _ => set.insert(format!("refunds.{}", event.id), amount),
            };
            (p.order_id, set)
        }
        keys::CART_CHECKED_OUT => {
            let c: CheckedOut = data(event)?;
            (c.order_id, doc! { "fromCart": true })
        }
        keys::LOYALTY_CHANGED => {
            loyalty_changed(db, event).await?;
            return Ok(true);
        }
        _ => return Ok(false),
    };
    let (order_id, set) = set;
    orders::mark(db, &order_id, set).await.map_err(retry)?;
    Ok(true)
}

async fn loyalty_changed(db: &Database, event: &Envelope) -> Result<(), HandlerError> {
    let changed: LoyaltyChanged = data(event)?;
    if let Some(tier) = &changed.tier {
        let at = event.occurred_at.timestamp_millis();
        loyalty::set_tier(db, &changed.customer_id, tier, at)
            .await
            .map_err(retry)?;
    }
    let Some(change) = changed.change else {
        return Ok(());
    };
    let day = change
        .at
        .as_deref()
        .and_then(Day::of_rfc3339)
        .unwrap_or_else(|| Day::of(event.occurred_at));
    let moved = Move {
        id: event.id.to_string(),
        day: day.text(),
        customer_id: changed.customer_id,
        reason: change.reason,
        points: change.points,
        held: change.held.unwrap_or(0),
    };
    loyalty::record_move(db, &moved).await.map_err(retry)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentEvent {
    order_id: String,
    customer_id: Option<String>,
    amount: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckedOut {
    order_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoyaltyChanged {
    customer_id: String,
    tier: Option<String>,
    change: Option<Change>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    at: Option<String>,
    #[serde(default)]
    points: i64,
    held: Option<i64>,
    #[serde(default)]
    reason: String,
}
