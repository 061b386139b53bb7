//! Subscriptions as a durable schedule (issue 17, like [`crate::fulfilment`]): each
//! subscription stores when its next run is due (`nextRunAtMs`), and this poller, one pass
//! every `SUBSCRIPTION_POLL_MS`, does three things:
//!
//! 1. **Finish** runs that were claimed but whose order was never recorded (the replica that
//!    claimed them stopped, or the order could not be placed yet: a service was down). Only
//!    runs claimed at least [`STALE_MS`] ago, so that a live replica's run is left to it.
//! 2. **Claim** each due run with one conditional write (status `ACTIVE`, version,
//!    `nextRunAtMs <= now`, no run pending) that advances `nextRunAtMs` by `intervalDays` and
//!    marks the run pending; of two replicas one wins. Then **place** its order through the
//!    same pricing, insert and saga as checkout ([`crate::placing`]; the saved card and
//!    address the subscription took from customer-service when it was made, the tier it had
//!    then) under the request key `sub:<id>:<n>`: the unique request-key index makes a retried
//!    run (step 1 after a crash) find the same order, never place a second. Then **record**
//!    the order on the run.
//! 3. **Settle** the last run's payment: once its order has left `PENDING`, an order
//!    `REJECTED` with `PAYMENT_DECLINED` pauses the subscription with that reason and
//!    `subscription.paused` in the same write; anything else just clears the watch.
//!
//! A run whose order is refused (a product no longer sold, too little stock) is recorded with
//! the reason and pauses the subscription (`ORDER_REFUSED: ...`, with `subscription.paused`),
//! so that the customer hears of it. A run claimed before a pause or cancel is still placed.
//! Runs are placed with no caller: nothing is asked of customer-service then.
//!
//! So a restart neither skips a run (the schedule and any pending run are in the database) nor
//! doubles one (one claim per run, one order per request key).

use bson::oid::ObjectId;
use chrono::Utc;
use shared::{ApiError, supervise::Heartbeat};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{
    domain::{
        Discounts, Line, Order, Status,
        payment::PAYMENT_DECLINED,
        pricing::Percent,
        subscription::{Subscription, SubscriptionStatus, next_run_after, run_field, run_key},
    },
    events::subscriptions as events,
    placing,
    state::AppState,
    store::{
        orders,
        subscriptions::{self as store, SystemPause},
    },
};

/// Subscriptions handled per step and pass at most.
const BATCH: i64 = 100;

/// How long a claimed run is left to the replica that claimed it before another finishes it.
pub const STALE_MS: i64 = 10_000;

/// Why a run whose order was refused paused its subscription (followed by the refusal).
pub const ORDER_REFUSED: &str = "ORDER_REFUSED";

/// Runs the poller under a supervisor until `cancel`; `/health` watches the heartbeat it
/// returns.
pub fn spawn(state: AppState, cancel: CancellationToken) -> (JoinHandle<()>, Heartbeat) {
    let poll = state.config.subscriptions.poll;
    crate::poller::spawn("subscriptions", poll, cancel, move || {
        let state = state.clone();
        async move { tick(&state).await }
    })
}

/// One pass; how many subscriptions it changed.
pub async fn tick(state: &AppState) -> Result<usize, ApiError> {
    // Only the unique request-key index makes one order per run hold.
    if !state.indexes.is_ready() {
        return Ok(0);
    }
    let db = state.infra.db();
    let mut changed = 0;
    let now_ms = Utc::now().timestamp_millis();
    for id in store::pending(db, BATCH).await? {
        changed += usize::from(guarded(id, finish_stale(state, id, now_ms).await)?);
    }
    for id in store::due(db, now_ms, BATCH).await? {
        changed += usize::from(guarded(id, claim_and_place(state, id, now_ms).await)?);
    }
    for id in store::awaiting(db, BATCH).await? {
        changed += usize::from(guarded(id, settle(state, id).await)?);
    }
    Ok(changed)
}

/// The database gone stops the pass; anything else concerns this subscription alone.
fn guarded(id: ObjectId, done: Result<bool, ApiError>) -> Result<bool, ApiError> {
    match done {
        Ok(changed) => Ok(changed),
        Err(e @ ApiError::UpstreamUnavailable(_)) => Err(e),
        Err(e) => {
            tracing::warn!(subscription.id = %id, error = %e, "cannot run a subscription; retrying later");
            metrics::counter!("order_subscription_failures_total").increment(1);
            Ok(false)
        }
    }
}

fn correlation_id() -> String {
    format!("subscription-{}", uuid::Uuid::now_v7())
}

/// Step 1 for `id`, when its pending run is stale.
async fn finish_stale(state: &AppState, id: ObjectId, now_ms: i64) -> Result<bool, ApiError> {
    let Some(sub) = store::by_id(state.infra.db(), id).await? else {
        return Ok(false);
    };
    let Some(n) = sub.pending_run else {
        return Ok(false);
    };
    let claimed_at = sub.runs.get(&run_field(n)).map_or(0, |r| r.at_ms);
    if claimed_at > now_ms - STALE_MS {
        return Ok(false);
    }
    tracing::info!(subscription.id = %id, run = n, "finishing a run claimed earlier");
    place_and_record(state, sub, n).await
}

/// Step 2 for `id`.
async fn claim_and_place(state: &AppState, id: ObjectId, now_ms: i64) -> Result<bool, ApiError> {
    let db = state.infra.db();
    let Some(sub) = store::by_id(db, id).await? else {
        return Ok(false);
    };
    let interval_ms = sub
        .interval_days
        .saturating_mul(state.config.subscriptions.day_ms);
    let next = next_run_after(sub.next_run_at_ms, now_ms, interval_ms);
    let Some(n) = store::claim(db, &sub, now_ms, next).await? else {
        // Another replica claimed it, or the customer changed it meanwhile.
        return Ok(false);
    };
    metrics::counter!("order_subscription_runs_total").increment(1);
    let Some(claimed) = store::by_id(db, id).await? else {
        return Ok(false);
    };
    place_and_record(state, claimed, n).await
}

/// Places run `n`'s order (or finds it placed) and records it; a refusal pauses.
async fn place_and_record(state: &AppState, sub: Subscription, n: i64) -> Result<bool, ApiError> {
    let correlation_id = correlation_id();
    let placed = match orders::by_request_key(state.infra.db(), &run_key(sub.id, n)).await? {
        Some(order) => Ok(order),
        None => place(state, &sub, n, &correlation_id).await,
    };
    match placed {
        Ok(order) => {
            let order_id = order.id.to_hex();
            tracing::info!(subscription.id = %sub.id, run = n, order.id = %order_id, "subscription run placed its order");
            store::record(state.infra.db(), &sub, n, Some(&order_id), None, None).await
        }
        Err(e) if e.status().is_client_error() => {
            let why = e.to_string();
            tracing::info!(subscription.id = %sub.id, run = n, error = %why, "a subscription run was refused");
            record_refusal(state, sub, n, &why, &correlation_id).await
        }
        // A service or the database is down: the run stays pending and step 1 retries it.
        Err(e) => Err(e),
    }
}

/// Records run `n` as refused for `why`, pausing the subscription if it is still active.
async fn record_refusal(
    state: &AppState,
    mut sub: Subscription,
    n: i64,
    why: &str,
    correlation_id: &str,
) -> Result<bool, ApiError> {
    let db = state.infra.db();
    let reason = format!("{ORDER_REFUSED}: {why}");
    for _ in 0..3 {
        let done = if sub.status == SubscriptionStatus::Active {
            let paused =
                [events::paused(&sub, &reason, correlation_id).map_err(ApiError::internal)?];
            let pause = SystemPause {
                reason: &reason,
                events: &paused,
            };
            store::record(db, &sub, n, None, Some(why), Some(pause)).await?
        } else {
            store::record(db, &sub, n, None, Some(why), None).await?
        };
        if done {
            state.orders.outbox.nudge();
            return Ok(true);
        }
        // Changed meanwhile (a customer's pause, another replica's record): decide again.
        match store::by_id(db, sub.id).await? {
            Some(fresh) if fresh.pending_run == Some(n) => sub = fresh,
            _ => return Ok(false),
        }
    }
    Err(ApiError::Conflict(
        "the subscription keeps changing".to_owned(),
    ))
}

/// The order of run `n`, priced now, paid with the subscription's card.
async fn place(
    state: &AppState,
    sub: &Subscription,
    n: i64,
    correlation_id: &str,
) -> Result<Order, ApiError> {
    let ids: Vec<ObjectId> = sub.items.iter().map(|l| l.product_id).collect();
    let call = shared::client::Call::with_token(None, correlation_id);
    let products = state.upstream.products(&ids, &call).await?;
    let mut refused = Vec::new();
    let mut lines = Vec::with_capacity(ids.len());
    for (wanted, product) in sub.items.iter().zip(products) {
        let Some(product) = product else {
            refused.push(format!("{} is no longer sold", wanted.product_id));
            continue;
        };
        if let Some(why) = product.variant_required() {
            refused.push(why);
            continue;
        }
        if product.stock < wanted.quantity {
            refused.push(format!(
                "{} ({}): {} wanted, {} in stock",
                product.name, wanted.product_id, wanted.quantity, product.stock
            ));
            continue;
        }
        let sku = product.sku.clone();
        let priced = u32::try_from(wanted.quantity).ok().and_then(|units| {
            Line::priced(
                wanted.product_id.to_hex(),
                product.name,
                product.price,
                units,
            )
        });
        lines.extend(priced.map(|l| l.with_sku(sku)));
    }
    if !refused.is_empty() {
        return Err(ApiError::Unprocessable(refused.join("; ")));
    }
    let discounts = Discounts {
        tier: Percent::basis_points(sub.tier_basis_points),
        ..Discounts::NONE
    };
    let quote = placing::quote(&lines, &discounts)
        .filter(|_| lines.len() == ids.len())
        .ok_or_else(|| ApiError::Unprocessable("the order's total is too large".to_owned()))?;
    let mut order = placing::order(
        state,
        &sub.customer_id,
        lines,
        quote,
        sub.shipping_address.clone(),
        Some(run_key(sub.id, n)),
    );
    order.payment = Some(sub.card.clone());
    placing::store(state, order, correlation_id, Vec::new()).await
}

/// Step 3 for `id`.
async fn settle(state: &AppState, id: ObjectId) -> Result<bool, ApiError> {
    let db = state.infra.db();
    let Some(mut sub) = store::by_id(db, id).await? else {
        return Ok(false);
    };
    for _ in 0..3 {
        let Some(order_id) = sub.awaiting_order.clone() else {
            return Ok(false);
        };
        let order = match ObjectId::parse_str(&order_id) {
            Ok(oid) => orders::by_id(db, oid).await?,
            Err(_) => None,
        };
        if order.as_ref().is_some_and(|o| o.status == Status::Pending) {
            return Ok(false);
        }
        let declined = order
            .as_ref()
            .filter(|o| o.status == Status::Rejected)
            .and_then(|o| o.rejection_reason.clone())
            .filter(|r| r.starts_with(PAYMENT_DECLINED));
        let done = match declined {
            Some(reason) if sub.status == SubscriptionStatus::Active => {
                let correlation_id = correlation_id();
                let paused = [
                    events::paused(&sub, &reason, &correlation_id).map_err(ApiError::internal)?
                ];
                let pause = SystemPause {
                    reason: &reason,
                    events: &paused,
                };
                let done = store::settle(db, &sub, &order_id, Some(pause)).await?;
                if done {
                    tracing::info!(subscription.id = %id, order.id = %order_id, %reason, "a declined payment paused a subscription");
                    metrics::counter!("order_subscription_pauses_total").increment(1);
                    state.orders.outbox.nudge();
                }
                done
            }
            _ => store::settle(db, &sub, &order_id, None).await?,
        };
        if done {
            return Ok(true);
        }
        match store::by_id(db, id).await? {
            Some(fresh) => sub = fresh,
            None => return Ok(false),
        }
    }
    Ok(false)
}
