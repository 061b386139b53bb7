//! Fulfilment as a durable schedule (DESIGN.md, "Real time"): every change into `PROCESSING`
//! or `SHIPPED` stores when the next step is due (`nextDueAtMs`), and this poller advances due
//! orders: `PROCESSING → SHIPPED` (carrier, tracking number, estimated delivery), then
//! `SHIPPED → DELIVERED`. Each step is claimed with a write guarded by status, version and
//! `nextDueAtMs <= now`, so two replicas never advance one order twice, and since the schedule
//! lives in the orders themselves a restart resumes where it stopped. Nothing here depends on
//! anyone watching.

use bson::doc;
use chrono::Utc;
use shared::supervise::Heartbeat;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{
    domain::{Change, Order, Status},
    lifecycle::{Orders, Outcome},
    store::orders,
};

/// Orders advanced per poll at most.
const BATCH: i64 = 100;

/// Runs the poller under a supervisor until `cancel`; `/health` watches the heartbeat it
/// returns.
pub fn spawn(orders_: Orders, cancel: CancellationToken) -> (JoinHandle<()>, Heartbeat) {
    let poll = orders_.fulfilment.poll;
    crate::poller::spawn("fulfilment", poll, cancel, move || {
        let orders_ = orders_.clone();
        async move { tick(&orders_).await }
    })
}

/// The step due for `order` at `now_ms`, if any.
pub fn due_step(order: &Order, now_ms: i64) -> Option<Change> {
    if order.next_due_at_ms.is_none_or(|due| due > now_ms) {
        return None;
    }
    match order.status {
        Status::Processing => Some(Change::Ship {
            carrier: None,
            tracking_number: None,
        }),
        Status::Shipped => Some(Change::Deliver),
        _ => None,
    }
}

/// One poll: advances every order due now; returns how many this replica advanced.
pub async fn tick(orders_: &Orders) -> Result<usize, shared::ApiError> {
    let now_ms = Utc::now().timestamp_millis();
    let due = orders::due(
        &orders_.db,
        &[Status::Processing, Status::Shipped],
        now_ms,
        BATCH,
    )
    .await?;
    let mut advanced = 0;
    for orders::Due { id, read } in due {
        let correlation_id = format!("fulfilment-{}", uuid::Uuid::now_v7());
        let guard = doc! { "nextDueAtMs": { "$lte": now_ms } };
        match orders_
            .advance_from(id, read, &correlation_id, guard, |o| due_step(o, now_ms))
            .await
        {
            Ok(Outcome::Applied { after, .. }) => {
                advanced += 1;
                metrics::counter!("order_fulfilment_steps_total", "to" => after.status.as_str())
                    .increment(1);
            }
            // Another replica took it, or it was cancelled meanwhile.
            Ok(Outcome::Skipped | Outcome::Illegal { .. } | Outcome::NotFound) => {}
            // The database is gone: every other order would fail the same way.
            Err(e @ shared::ApiError::UpstreamUnavailable(_)) => return Err(e),
            // This order alone (unreadable, or contended): the others go on.
            Err(e) => {
                tracing::warn!(order.id = %id, error = %e, "cannot advance an order; skipping it this time");
                metrics::counter!("order_fulfilment_failures_total").increment(1);
            }
        }
    }
    Ok(advanced)
}
