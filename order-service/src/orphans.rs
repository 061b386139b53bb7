//! The sweep of orphaned coupon uses (issue 15): a checkout counts its coupon's use under its
//! token just before it inserts the order ([`crate::discounts`]); one that stops in between
//! and is never resumed (a crash, then the claimed cart deleted) leaves a use counted for no
//! order. Every `poll`, the uses counted more than `ttl` ago and not given back are looked up
//! by their token in `orders`; the ones with no order are given back.
//!
//! # Exactly once, with two replicas
//! Giving back is one conditional write on the coupon that marks the redemption returned only
//! if it is not returned yet ([`coupons::give_back`]), the same write an order's end makes:
//! two replicas sweeping at once, or a sweep racing a cancellation, uncount it once.
//!
//! # The window left
//! The order is looked for before the write, so a checkout that resumes the token in between
//! (after `ttl` of silence) could insert its order after the use was given back. A checkout
//! resuming a token counts a returned use again ([`coupons::redeem`]), so only one already
//! past its count for longer than `ttl` (an hour by default; a request gives up in seconds)
//! can slip through.
//!
//! Points held in customer-service by such checkouts are swept there (customer-service's
//! `orphans`), asking this service whether the hold's order exists.

use std::time::Duration;

use chrono::Utc;
use mongodb::Database;
use shared::{ApiError, supervise::Heartbeat};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::store::{coupons, orders};

/// The sweep's settings (`ORPHAN_COUPON_TTL_SECS`, `ORPHAN_SWEEP_POLL_SECS`).
#[derive(Debug, Clone, Copy)]
pub struct OrphanConfig {
    /// How old a counted use must be before its order's absence counts as final.
    pub ttl: Duration,
    /// How often the sweep runs.
    pub poll: Duration,
}

impl Default for OrphanConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            poll: Duration::from_secs(60),
        }
    }
}

/// One pass at `now_ms`: gives back every use counted before `now_ms - ttl` whose token has no
/// order. How many this pass gave back.
#[tracing::instrument(skip(db))]
pub async fn sweep(db: &Database, ttl: Duration, now_ms: i64) -> Result<usize, ApiError> {
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    let mut given = 0;
    for open in coupons::orphans(db, now_ms.saturating_sub(ttl_ms)).await? {
        if orders::by_request_key(db, &open.token).await?.is_some() {
            // Placed: its end (if it ends unpaid) gives the use back.
            continue;
        }
        if coupons::give_back(db, &open.code, &open.token).await? {
            given += 1;
            metrics::counter!("order_orphan_coupon_uses_returned_total").increment(1);
            tracing::warn!(coupon = %open.code, customer.id = %open.customer_id,
                "a checkout placed no order: its coupon use was given back");
        }
    }
    Ok(given)
}

/// Runs [`sweep`] every `config.poll` until `cancel`; `/health` watches the heartbeat.
pub fn spawn(
    db: Database,
    config: OrphanConfig,
    cancel: CancellationToken,
) -> (JoinHandle<()>, Heartbeat) {
    crate::poller::spawn("orphan-coupons", config.poll, cancel, move || {
        let db = db.clone();
        async move { sweep(&db, config.ttl, Utc::now().timestamp_millis()).await }
    })
}
