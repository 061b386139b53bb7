//! `GET /ws/analytics`: the dashboard figures pushed to admins as they change, at most once a
//! second.
//!
//! One task per replica computes the figures while anybody is connected: at once after this
//! replica applied an event ([`Changes`]), and every few seconds regardless, since events may
//! be applied on another replica. It publishes through a `watch` channel, which keeps only the
//! latest value, so a slow client skips figures instead of piling them up, and no client
//! slows another.

pub mod ws;

use std::{sync::Arc, time::Duration};

use axum::{Router, routing::get};
use mongodb::Database;
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// The least time between two pushes to one client.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// How often figures are recomputed when this replica applied nothing.
const IDLE_REFRESH: Duration = Duration::from_secs(5);

/// `GET /ws/analytics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/analytics", get(ws::upgrade))
}

/// Tells the dashboard task that the read models changed. Cheap to clone.
#[derive(Clone, Default)]
pub struct Changes(Arc<Notify>);

impl Changes {
    /// The read models changed.
    pub fn touch(&self) {
        self.0.notify_one();
    }
}

/// The latest dashboard figures. Cheap to clone.
#[derive(Clone)]
pub struct Dashboard {
    tx: watch::Sender<Option<Arc<Value>>>,
}

impl Default for Dashboard {
    fn default() -> Self {
        Self {
            tx: watch::channel(None).0,
        }
    }
}

impl Dashboard {
    /// A receiver of the figures.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Value>>> {
        self.tx.subscribe()
    }

    /// Starts the task that keeps the figures current while anybody listens.
    pub fn spawn(&self, db: Database, changes: Changes, cancel: CancellationToken) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = changes.0.notified() => {}
                    () = tokio::time::sleep(IDLE_REFRESH) => {}
                }
                if tx.receiver_count() == 0 {
                    continue;
                }
                match figures(&db).await {
                    Ok(value) => {
                        tx.send_if_modified(|current| {
                            let changed = current.as_deref() != Some(&value);
                            if changed {
                                *current = Some(Arc::new(value));
                            }
                            changed
                        });
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot compute dashboard figures"),
                }
                // At most one computation per interval, however many events arrive.
                tokio::time::sleep(MIN_INTERVAL).await;
            }
        });
    }
}

/// What a dashboard shows: the all-time metrics, today's revenue, today's funnel and
/// today's loyalty figures (with customers per tier).
pub async fn figures(db: &Database) -> Result<Value, shared::ApiError> {
    use crate::reports::{self, commerce};
    let today = crate::domain::Day::today();
    let range = crate::domain::DayRange::ending(today, 1);
    let metrics = reports::dashboard_metrics(db).await?;
    let revenue = reports::daily_revenue(db, range).await?;
    let funnel = commerce::funnel_days(db, range).await?;
    let loyalty = commerce::loyalty(db, range).await?;
    Ok(json!({
        "metrics": metrics,
        "today": revenue.into_iter().next(),
        "funnel": funnel.into_iter().next().map(|(_, f)| f.report(None)),
        "loyalty": {
            "today": loyalty.days.into_iter().next(),
            "customersByTier": loyalty.customers_by_tier,
        },
    }))
}
