//! Returns (issue 17): asking for one, and an admin's approve, reject and receive. Each change
//! is one write of the return guarded by its status and version, with its events staged in
//! the same write (`return.requested` on the request, `return.received` on receipt); the
//! refund that follows the receipt is [`crate::refunds`].
//!
//! Never more returned than bought, even when requests race: a new return is decided on the
//! order's earlier returns and stored under the order's next `seq`, which is unique (see
//! [`crate::store::returns`]); a request that loses the race decides again on what the winner
//! stored, and is refused if nothing is left.

use bson::oid::ObjectId;
use chrono::Utc;
use shared::{ApiError, api::returns::ReturnRequest, events::keys};

use crate::{
    domain::{
        Order,
        returns::{Action, Return, plan},
    },
    events::returns::return_event,
    lifecycle::Orders,
    store::returns as store,
};

/// How often a request or a change decides again after losing a race before answering 409.
const ATTEMPTS: usize = 16;

/// Asks for the return of `body.items` from `order` (the caller's, checked by the route).
#[tracing::instrument(skip_all, fields(order.id = %order.id))]
pub async fn request(
    orders: &Orders,
    order: &Order,
    body: &ReturnRequest,
    correlation_id: &str,
) -> Result<Return, ApiError> {
    let wanted: Vec<(String, i64)> = body
        .items
        .iter()
        .map(|l| (l.product_id.clone(), l.quantity))
        .collect();
    let order_id = order.id.to_hex();
    for _ in 0..ATTEMPTS {
        let earlier = store::of_order(&orders.db, &order_id).await?;
        let planned = plan(order, &earlier, &wanted, Utc::now())?;
        let seq = earlier.iter().map(|r| r.seq + 1).max().unwrap_or(0);
        let now_ms = Utc::now().timestamp_millis();
        let ret = Return::requested(order, seq, planned, &body.reason, now_ms);
        let requested = return_event(keys::RETURN_REQUESTED, &ret, correlation_id)
            .map_err(ApiError::internal)?;
        if store::insert(&orders.db, &ret, &[requested]).await? {
            orders.outbox.nudge();
            metrics::counter!("order_returns_total", "status" => "REQUESTED").increment(1);
            tracing::info!(return.id = %ret.id, amount = ret.amount_cents, "return requested");
            return Ok(ret);
        }
        // Another return of this order was stored meanwhile: decide again on it.
    }
    Err(ApiError::Conflict(
        "the order's returns kept changing; try again".to_owned(),
    ))
}

/// What became of a change.
#[derive(Debug)]
pub enum Changed {
    /// Written: the return after it.
    Applied(Box<Return>),
    /// Its status does not allow it: the return as it stands.
    Illegal(Box<Return>),
    /// No such return.
    NotFound,
}

/// Applies `action` to return `id` with `note`; `refund_ref` goes with [`Action::Refund`].
/// The events of the change are staged in the same write.
#[tracing::instrument(skip(orders, note, refund_ref))]
pub async fn change(
    orders: &Orders,
    id: ObjectId,
    action: Action,
    note: Option<String>,
    refund_ref: Option<String>,
    correlation_id: &str,
) -> Result<Changed, ApiError> {
    for _ in 0..ATTEMPTS {
        let Some(before) = store::by_id(&orders.db, id).await? else {
            return Ok(Changed::NotFound);
        };
        let now_ms = Utc::now().timestamp_millis();
        let Some(mut after) = before.after(action, note.clone(), now_ms) else {
            return Ok(Changed::Illegal(Box::new(before)));
        };
        after.refund_ref.clone_from(&refund_ref);
        let events = events_of(action, &after, correlation_id).map_err(ApiError::internal)?;
        if store::replace_if_unchanged(&orders.db, &before, &after, &events).await? {
            orders.outbox.nudge();
            metrics::counter!("order_returns_total", "status" => after.status.as_str())
                .increment(1);
            tracing::info!(return.id = %id, from = before.status.as_str(), to = after.status.as_str(), "return changed");
            return Ok(Changed::Applied(Box::new(after)));
        }
    }
    Err(ApiError::Conflict(
        "the return kept changing; try again".to_owned(),
    ))
}

/// The events a change stages: `return.approved` or `return.rejected` on the decision (so
/// that the customer is told), `return.received` on receipt; on the refund
/// `payment.refunded` (when something was refunded) and `return.refunded`.
fn events_of(
    action: Action,
    after: &Return,
    correlation_id: &str,
) -> Result<Vec<shared::events::Envelope>, serde_json::Error> {
    use crate::events::returns::return_refunded_payment;
    Ok(match action {
        Action::Receive => vec![return_event(keys::RETURN_RECEIVED, after, correlation_id)?],
        Action::Refund if after.amount_cents > 0 => vec![
            return_refunded_payment(after, correlation_id)?,
            return_event(keys::RETURN_REFUNDED, after, correlation_id)?,
        ],
        Action::Refund => vec![return_event(keys::RETURN_REFUNDED, after, correlation_id)?],
        Action::Approve => vec![return_event(keys::RETURN_APPROVED, after, correlation_id)?],
        Action::Reject => vec![return_event(keys::RETURN_REJECTED, after, correlation_id)?],
    })
}
