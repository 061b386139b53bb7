//! The sweep of orphaned points holds (issue 15): a checkout holds points here under its token
//! just before order-service inserts the order ([`crate::routes::holds`]); a checkout that
//! stops in between (a crash, an order-service that died, a claimed cart deleted after it)
//! leaves a hold no order will ever spend or release. Every `poll`, the sweep looks at the
//! holds still `HELD` that are older than `ttl`, asks order-service whether the hold's order
//! exists, and expires the ones whose order does not (their points come back, with a
//! `loyalty.changed`).
//!
//! # Exactly once, with two replicas
//! The expiry is one version-guarded write of the account ([`loyalty::change`]) that moves the
//! hold from `HELD` to `EXPIRED` only while it is `HELD`: a second replica sweeping at the same
//! time re-reads, finds it expired, and writes nothing. An order that exists is left to its
//! events (paid: spent; rejected or cancelled: released). order-service down or refusing the
//! sweep's token: nothing is expired this pass (a hold is never given back on a guess).
//!
//! # The window left
//! The order's existence is asked before the write, so a checkout that resumes its token in
//! between (after `ttl` of silence) could place its order after the hold expired. That
//! checkout asks for its hold again first (same token) and the account holds the points again
//! ([`crate::domain::loyalty::Account::hold`] re-holds an `EXPIRED` hold under its order id) or
//! refuses for too few points; so only a checkout already past its hold call for longer than
//! `ttl` (an hour by default; calls time out in seconds) can slip through.

use std::time::Duration;

use bson::{Document, doc, oid::ObjectId};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::Database;
use shared::{
    ApiError,
    auth::{Role, Signer},
    client::{Call, Service, UpstreamError},
    outbox::Nudge,
    supervise::Heartbeat,
};
use tokio_util::sync::CancellationToken;

use crate::{
    domain::loyalty::Account,
    store::{
        customers::COLLECTION,
        loyalty::{self, Change},
    },
};

/// The sweep's settings (`ORDER_SERVICE_URL`, `ORPHAN_HOLD_TTL_SECS`, `ORPHAN_SWEEP_POLL_SECS`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// order-service's base URL; empty: no sweep runs in this process.
    pub order_service_url: String,
    /// How old a hold must be before its order's absence counts as final.
    pub ttl: Duration,
    /// How often the sweep runs.
    pub poll: Duration,
}

impl Default for Settings {
    /// Off (tests turn it on where they need it).
    fn default() -> Self {
        Self {
            order_service_url: String::new(),
            ttl: Duration::from_secs(3600),
            poll: Duration::from_secs(60),
        }
    }
}

/// What order-service says of a hold's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It exists: its events move the hold.
    Placed,
    /// order-service has no such order.
    Missing,
    /// order-service refused this one question (a 4xx other than 404): the hold is left
    /// alone, and the pass goes on with the others.
    Unknown,
}

/// Asks order-service about orders, as an admin of the suite's own making (this service signs
/// tokens, so the sweep signs one for itself per pass).
#[derive(Clone)]
pub struct Orders {
    service: Service,
    signer: Signer,
}

impl Orders {
    /// order-service at `base`, over a pooled client trusting `tls`.
    pub fn new(base: &str, tls: &shared::http::Trust, signer: Signer) -> Result<Self, String> {
        let client =
            shared::client::pooled(tls, Duration::from_secs(5)).map_err(|e| e.to_string())?;
        Ok(Self {
            service: Service::new("order-service", base, client),
            signer,
        })
    }

    /// The fate of order `id`; an error when order-service cannot say.
    pub async fn fate(&self, id: &str, token: &str) -> Result<Fate, ApiError> {
        let request_id = format!("orphan-sweep-{}", uuid::Uuid::now_v7());
        let call = Call::with_token(Some(token), &request_id);
        match self
            .service
            .get_json(&format!("/orders/{id}"), &[], &call)
            .await
        {
            Ok(_) => Ok(Fate::Placed),
            Err(UpstreamError::NotFound) => Ok(Fate::Missing),
            Err(UpstreamError::Rejected(why)) => {
                tracing::warn!(
                    order.id = id,
                    why = %why,
                    "order-service refused to say whether an order exists"
                );
                Ok(Fate::Unknown)
            }
            // Down, or refusing the sweep's token: every other question fails alike.
            Err(e) => Err(ApiError::UpstreamUnavailable(format!("order-service: {e}"))),
        }
    }

    fn token(&self) -> Result<String, ApiError> {
        // A subject of no customer: the sweep is nobody's request.
        let (token, _) = self
            .signer
            .sign(&ObjectId::from_bytes([0; 12]).to_hex(), Role::Admin)?;
        Ok(token)
    }
}

/// One pass at `now`: expires every hold still `HELD` made more than `ttl` before `now` whose
/// order does not exist. How many this pass expired.
#[tracing::instrument(skip_all)]
pub async fn sweep(
    db: &Database,
    orders: &Orders,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let cutoff = now - chrono::Duration::from_std(ttl).map_err(ApiError::internal)?;
    // Only accounts with points on hold; `held` is kept with every hold's move.
    let holding: Vec<Document> = db
        .collection::<Document>(COLLECTION)
        .find(doc! { "loyalty.held": { "$gt": 0_i64 } })
        .projection(doc! { "loyalty": 1 })
        .await?
        .try_collect()
        .await?;
    let token = orders.token()?;
    let mut expired = 0;
    for found in holding {
        let Ok(customer) = found.get_object_id("_id") else {
            continue;
        };
        let Ok(account) = found.get_document("loyalty") else {
            continue;
        };
        let account: Account = bson::from_document(account.clone()).map_err(ApiError::internal)?;
        for hold in account.held_before(cutoff) {
            if orders.fate(&hold.order_id, &token).await? != Fate::Missing {
                continue;
            }
            let correlation_id = format!("orphan-sweep-{}", uuid::Uuid::now_v7());
            let changed = loyalty::change(db, customer, &correlation_id, |account| {
                Ok(if account.expire(&hold.key, now) {
                    Change::Write(())
                } else {
                    Change::Keep(())
                })
            })
            .await?;
            if let Some((_, Change::Write(()))) = changed {
                expired += 1;
                metrics::counter!("loyalty_orphan_holds_expired_total").increment(1);
                tracing::warn!(customer.id = %customer, order.id = %hold.order_id, points = hold.points,
                    "a checkout placed no order: its points hold expired");
            }
        }
    }
    Ok(expired)
}

/// Runs [`sweep`] every `settings.poll` until `cancel`, nudging `outbox` after each expiry;
/// `/health` watches the heartbeat it returns.
pub fn spawn(
    db: Database,
    orders: Orders,
    settings: &Settings,
    outbox: Nudge,
    cancel: CancellationToken,
) -> Heartbeat {
    let (ttl, poll) = (settings.ttl, settings.poll);
    let heartbeat = Heartbeat::new("orphan-holds", Duration::from_secs(60) + poll);
    let beat = heartbeat.clone();
    let stop = cancel.clone();
    shared::supervise::spawn("orphan-holds", cancel, move || {
        let (db, orders, outbox, beat, cancel) = (
            db.clone(),
            orders.clone(),
            outbox.clone(),
            beat.clone(),
            stop.clone(),
        );
        async move {
            loop {
                match sweep(&db, &orders, ttl, Utc::now()).await {
                    Ok(0) => {}
                    Ok(_) => outbox.nudge(),
                    Err(e) => tracing::warn!(error = %e, "orphan hold sweep failed; retrying"),
                }
                beat.beat();
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        }
    });
    heartbeat
}
