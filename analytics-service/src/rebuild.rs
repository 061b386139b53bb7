//! The rebuild: the order ledger recomputed from order-service's own admin listing
//! (`GET /orders?page=&limit=`), for when the rules change or the read models were lost.
//!
//! It runs in the background on the replica that was asked, one at a time suite-wide (a claim
//! on the job document), and records its progress there for `GET /analytics/rebuild`. Each
//! order is written like an event would write it (facts `$set`, status guarded by version),
//! so events arriving meanwhile are never undone, and running it twice changes nothing.
//! Payments are read from each order's `payment` (see [`payment`]); what the listing does not
//! show (which orders came from a cart, partial refunds) is kept from the events where the
//! ledger still has it, and lost with a lost ledger.
//! order-service wants an admin token: `ANALYTICS_SERVICE_TOKEN` when configured, otherwise
//! the bearer of the admin who asked is forwarded (so a rebuild must finish within that
//! token's lifetime, 15 minutes by default).

use std::time::Duration;

use bson::{Document, doc};
use mongodb::Database;
use serde_json::Value;
use shared::{ApiError, api::reports::RebuildStatus, retry::Policy};
use tokio_util::sync::CancellationToken;

use crate::{
    events::apply::order_facts,
    store::{jobs, orders, orders::Facts},
};

/// Orders asked for per page (order-service's maximum).
pub const PAGE_SIZE: u64 = 100;
/// Attempts per page before the rebuild fails.
const ATTEMPTS: usize = 4;
/// The waits between them.
const RETRY: Policy = Policy::new(Duration::from_millis(250), Duration::from_secs(2));

/// Where to read orders from, and how.
#[derive(Clone)]
pub struct Source {
    /// order-service.
    pub orders: shared::client::Service,
    /// The token the listing is read with.
    pub token: String,
    /// The request id of the request that started the rebuild, carried on every page.
    pub request_id: String,
}

/// Claims the rebuild and starts it; 409 when one is running.
pub async fn start(
    db: Database,
    source: Source,
    requested_by: &str,
    cancel: CancellationToken,
) -> Result<RebuildStatus, ApiError> {
    if !jobs::claim(&db, requested_by).await? {
        return Err(ApiError::Conflict(
            "a rebuild is already running".to_owned(),
        ));
    }
    tracing::info!(%requested_by, "rebuild started");
    let status = jobs::status(&db).await?;
    tokio::spawn(async move {
        let outcome = tokio::select! {
            r = run(&db, &source) => r,
            () = cancel.cancelled() => Err("interrupted by shutdown".to_owned()),
        };
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "rebuild failed");
        } else {
            tracing::info!("rebuild done");
        }
        if let Err(e) = jobs::finish(&db, outcome.err()).await {
            tracing::warn!(error = %e, "cannot record the end of the rebuild");
        }
    });
    Ok(status)
}

async fn run(db: &Database, source: &Source) -> Result<(), String> {
    let mut processed = 0i64;
    for page in 1.. {
        let (orders, total) = fetch_page(source, page).await?;
        for order in &orders {
            apply(db, order).await.map_err(|e| e.to_string())?;
        }
        processed += orders.len() as i64;
        jobs::progress(db, processed, total, page)
            .await
            .map_err(|e| e.to_string())?;
        let done = total.is_some_and(|t| processed >= t);
        if done || (orders.len() as u64) < PAGE_SIZE {
            break;
        }
    }
    Ok(())
}

/// Writes one order from the listing into the ledger.
async fn apply(db: &Database, order: &Value) -> Result<(), mongodb::error::Error> {
    let Some(facts) = order_facts(order) else {
        return Ok(());
    };
    orders::record(db, &facts).await?;
    if let Some(set) = payment(order, &facts) {
        orders::mark(db, &facts.order_id, set).await?;
    }
    let status = order.get("status").and_then(Value::as_str);
    let version = order.get("version").and_then(Value::as_i64);
    if let (Some(status), Some(version)) = (status, version) {
        orders::set_status(db, &facts.order_id, status, version).await?;
    }
    Ok(())
}

/// What the listing says was paid and given back, as the payment events would have said it:
/// an order whose payment is `authorized` was paid what it is due; one `voided` after it
/// reached `PROCESSING` (authorised, then cancelled) was paid and given it all back, recorded
/// under the key `void` (a refund seen twice, by event and here, is taken back once: see
/// [`crate::domain::ledger`]). A void before `PROCESSING` never charged anything.
fn payment(order: &Value, facts: &Facts) -> Option<Document> {
    let status = order.get("payment")?.get("status")?.as_str()?;
    let due = facts.quote.map(|q| q.due).or(facts.total)?;
    match status {
        "authorized" if facts.reached => Some(doc! { "paidCents": due }),
        "voided" if facts.reached => Some(doc! { "paidCents": due, "refunds.void": due }),
        _ => None,
    }
}

/// One page: its orders and the listing's total, retried with backoff.
async fn fetch_page(source: &Source, page: i64) -> Result<(Vec<Value>, Option<i64>), String> {
    let fetched = RETRY
        .at_most(
            ATTEMPTS,
            || try_fetch(source, page),
            |e| matches!(e, Transient(_)),
            |e, wait| tracing::warn!(page, error = %e, ?wait, "order listing failed; retrying"),
        )
        .await;
    fetched.map_err(|e| match e {
        Fatal(e) => e,
        Transient(e) => format!("order-service listing failed {ATTEMPTS} times: {e}"),
    })
}

enum Failure {
    Fatal(String),
    Transient(String),
}
use Failure::{Fatal, Transient};

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fatal(e) | Transient(e) => f.write_str(e),
        }
    }
}

async fn try_fetch(source: &Source, page: i64) -> Result<(Vec<Value>, Option<i64>), Failure> {
    use shared::client::{Call, UpstreamError};
    let params = [("page", page.to_string()), ("limit", PAGE_SIZE.to_string())];
    let call = Call::with_token(Some(&source.token), &source.request_id);
    let body = match source.orders.get_json("/orders", &params, &call).await {
        Ok(body) => body,
        Err(UpstreamError::Unavailable(_)) => {
            return Err(Transient("order-service could not be reached".to_owned()));
        }
        Err(e @ (UpstreamError::Unauthorized | UpstreamError::NotFound)) => {
            return Err(Fatal(format!("order-service refused the token ({e})")));
        }
        Err(e) => return Err(Fatal(format!("order-service refused the listing: {e}"))),
    };
    let orders = body["data"]
        .as_array()
        .cloned()
        .ok_or_else(|| Fatal("the order listing has no data array".to_owned()))?;
    Ok((orders, body["meta"]["total"].as_i64()))
}
