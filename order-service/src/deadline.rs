//! The stock saga's deadline (issue 22, "Saga and stock"): a `PENDING` order whose
//! `order.created` was dead-lettered, or whose stock answer never comes, must not wait for
//! ever. Every order is placed with its deadline in `nextDueAtMs`, and this poller moves the
//! orders past it to `REJECTED` ([`SAGA_TIMEOUT`]) through the normal guarded status change,
//! which also stages `order.expired` for product-service.
//!
//! Like fulfilment, the schedule lives in the orders and each step is claimed with a write
//! guarded by status, version and `nextDueAtMs <= now`, so two replicas never expire an order
//! twice and a restart resumes. A stock answer racing the deadline loses or wins on the same
//! guard: a reservation that wins leaves nothing to expire; one that loses (or comes late) is
//! ignored by the saga consumer, and product-service releases what it reserved on
//! `order.expired`, whichever of the two it sees first (see its `store::stock`).
//!
//! [`SAGA_TIMEOUT`]: crate::domain::transition::SAGA_TIMEOUT

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use bson::doc;
use chrono::Utc;
use shared::{ApiError, supervise::Heartbeat};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{
    config::SagaConfig,
    domain::{Change, Order, Status, transition::next_due},
    lifecycle::{Orders, Outcome},
    store::orders,
};

/// Orders expired per poll at most.
const BATCH: i64 = 100;

/// Runs the poller under a supervisor until `cancel`; `/health` watches the heartbeat it
/// returns.
pub fn spawn(
    orders_: Orders,
    saga: SagaConfig,
    cancel: CancellationToken,
) -> (JoinHandle<()>, Heartbeat) {
    // Orders placed before deadlines existed get one (a full timeout from now) once.
    let backfilled = Arc::new(AtomicBool::new(false));
    crate::poller::spawn("saga-deadline", saga.poll, cancel, move || {
        let (orders_, backfilled) = (orders_.clone(), backfilled.clone());
        async move {
            if !backfilled.load(Ordering::Relaxed) {
                let due = next_due(Status::Pending, Utc::now(), saga.timeout).unwrap_or_default();
                let given = orders::give_deadlines(&orders_.db, due).await?;
                if given > 0 {
                    tracing::info!(given, "pending orders without a saga deadline got one");
                }
                backfilled.store(true, Ordering::Relaxed);
            }
            tick(&orders_).await
        }
    })
}

/// The change due for `order` at `now_ms`: [`Change::Expire`] for a `PENDING` order past its
/// deadline, else nothing.
pub fn expiry(order: &Order, now_ms: i64) -> Option<Change> {
    let past = order.next_due_at_ms.is_some_and(|due| due <= now_ms);
    (order.status == Status::Pending && past).then_some(Change::Expire)
}

/// One poll: rejects every `PENDING` order past its deadline; returns how many this replica
/// rejected.
pub async fn tick(orders_: &Orders) -> Result<usize, ApiError> {
    let now_ms = Utc::now().timestamp_millis();
    let due = orders::due(&orders_.db, &[Status::Pending], now_ms, BATCH).await?;
    let mut expired = 0;
    for orders::Due { id, read } in due {
        let correlation_id = format!("saga-deadline-{}", uuid::Uuid::now_v7());
        let guard = doc! { "nextDueAtMs": { "$lte": now_ms } };
        match orders_
            .advance_from(id, read, &correlation_id, guard, |o| expiry(o, now_ms))
            .await
        {
            Ok(Outcome::Applied { .. }) => {
                expired += 1;
                metrics::counter!("order_saga_timeouts_total").increment(1);
                tracing::warn!(order.id = %id, "no stock answer before the saga's deadline; order rejected");
            }
            // The stock answer came first, another replica took it, or it was cancelled.
            Ok(Outcome::Skipped | Outcome::Illegal { .. } | Outcome::NotFound) => {}
            // The database is gone: every other order would fail the same way.
            Err(e @ ApiError::UpstreamUnavailable(_)) => return Err(e),
            // This order alone (unreadable, or contended): the others go on.
            Err(e) => {
                tracing::warn!(order.id = %id, error = %e, "cannot expire an order; skipping it this time");
            }
        }
    }
    Ok(expired)
}
