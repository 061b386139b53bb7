//! After-sales events (issue 15): `return.requested`, `return.received`, `return.refunded`
//! (order-service), `review.created` (product-service) and `notification.created`
//! and `notification.mailed|mail_failed` (alert-service), into [`crate::store::aftersales`]. Refunds themselves reach revenue
//! through `payment.refunded` ([`super::commerce`]).

use bson::doc;
use mongodb::Database;
use serde::Deserialize;
use serde_json::Value;
use shared::events::{Envelope, HandlerError, keys};

use super::{apply::data, order::cents};
use crate::{
    domain::Day,
    store::aftersales::{self, MAIL_ATTEMPTS, NOTIFICATIONS, REVIEWS},
};

fn retry(e: mongodb::error::Error) -> HandlerError {
    HandlerError::from(e)
}

/// Applies one after-sales event; `false` when `event` is none of them.
pub async fn apply(db: &Database, event: &Envelope) -> Result<bool, HandlerError> {
    let day = Day::of(event.occurred_at).text();
    match event.kind.as_str() {
        keys::RETURN_REQUESTED | keys::RETURN_RECEIVED | keys::RETURN_REFUNDED => {
            let r: ReturnEvent = data(event)?;
            let mut set = doc! { "orderId": &r.order_id };
            if let Some(amount) = r.amount.as_ref().and_then(cents) {
                set.insert("amountCents", amount);
            }
            match event.kind.as_str() {
                keys::RETURN_REQUESTED => {
                    // The day it was asked for is the return's day.
                    set.insert("requested", true);
                    set.insert("day", day);
                    set.insert("reason", r.reason.unwrap_or_else(|| "unknown".to_owned()));
                }
                keys::RETURN_RECEIVED => {
                    set.insert("received", true);
                }
                _ => {
                    set.insert("received", true);
                    set.insert("refunded", true);
                }
            }
            aftersales::mark_return(db, &r.return_id, set)
                .await
                .map_err(retry)?;
        }
        keys::REVIEW_CREATED => {
            let r: ReviewCreated = data(event)?;
            let document = doc! { "_id": r.review_id, "day": day, "productId": r.product_id,
            "rating": r.rating };
            aftersales::record(db, REVIEWS, document)
                .await
                .map_err(retry)?;
        }
        keys::NOTIFICATION_CREATED => {
            let n: NotificationCreated = data(event)?;
            let day = n
                .created_at
                .as_deref()
                .and_then(Day::of_rfc3339)
                .map_or(day, Day::text);
            let text = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_owned));
            let document = doc! { "_id": n.id, "day": day, "kind": text(n.kind),
            "category": text(n.category) };
            aftersales::record(db, NOTIFICATIONS, document)
                .await
                .map_err(retry)?;
        }
        keys::NOTIFICATION_MAILED | keys::NOTIFICATION_MAIL_FAILED => {
            let m: MailDelivery = data(event)?;
            let day = Day::of_rfc3339(&m.at).map_or(day, Day::text);
            // One `sent` per notification, however often it was announced; one document per
            // failed attempt.
            let id = match m.outcome.as_str() {
                "sent" => format!("{}:sent", m.notification_id),
                _ => format!("{}:{}", m.notification_id, m.attempt),
            };
            let document = doc! { "_id": id, "day": day, "kind": m.kind,
            "notificationId": m.notification_id, "outcome": m.outcome, "waitedMs": m.waited_ms };
            aftersales::record(db, MAIL_ATTEMPTS, document)
                .await
                .map_err(retry)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReturnEvent {
    return_id: String,
    order_id: String,
    amount: Option<Value>,
    /// On `return.requested` (order-service since this slice; older events lack it).
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewCreated {
    review_id: String,
    product_id: Option<String>,
    rating: i64,
}

/// `shared::api::notifications::MailDelivery`, read tolerantly: only what is counted.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MailDelivery {
    notification_id: String,
    #[serde(default = "unknown")]
    kind: String,
    outcome: String,
    #[serde(default)]
    attempt: u32,
    at: String,
    #[serde(default)]
    waited_ms: i64,
}

fn unknown() -> String {
    "unknown".to_owned()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationCreated {
    id: String,
    kind: Option<Value>,
    category: Option<Value>,
    created_at: Option<String>,
}
