//! Status changes, wherever they come from (the stock saga, a cancel, an admin, the
//! fulfilment schedule): read the order, apply the change in memory, and write it guarded by
//! the previous status and version together with `order.status_changed` (and
//! `order.cancelled`, `order.expired` for a saga past its deadline, `payment.authorized` or
//! `payment.failed` for the saga's payment step) in one write. A lost race re-reads and decides again, so a redelivered
//! event or a second replica changes nothing.

use bson::{Document, oid::ObjectId};
use chrono::Utc;
use mongodb::Database;
use shared::{ApiError, outbox::Nudge};

use crate::{
    config::FulfilmentConfig,
    domain::{Change, Illegal, Order, Status, transition},
    events,
    store::orders,
};

/// How often a change is re-read and retried after losing a race before giving up.
const ATTEMPTS: usize = 8;

/// The handle every writer of orders shares. Cheap to clone.
#[derive(Clone)]
pub struct Orders {
    /// The service's database.
    pub db: Database,
    /// Wakes the outbox relay after a write.
    pub outbox: Nudge,
    /// Delays of the fulfilment schedule, stored with each change.
    pub fulfilment: FulfilmentConfig,
}

/// What became of a change.
#[derive(Debug)]
pub enum Outcome {
    /// Written: the order before and after.
    Applied {
        /// Before.
        before: Box<Order>,
        /// After.
        after: Box<Order>,
    },
    /// The order's status does not allow the change (already applied, or too late).
    Illegal {
        /// The order as it stands.
        current: Box<Order>,
        /// What was refused.
        refused: Illegal,
    },
    /// The decision was to do nothing (e.g. not due any more).
    Skipped,
    /// There is no such order.
    NotFound,
}

impl Orders {
    /// Applies `change` to order `id`.
    pub async fn change(
        &self,
        id: ObjectId,
        change: &Change,
        correlation_id: &str,
    ) -> Result<Outcome, ApiError> {
        self.advance(id, correlation_id, Document::new(), |_| {
            Some(change.clone())
        })
        .await
    }

    /// Applies the change `decide` picks for the order as it stands, guarded by the status,
    /// the version and `extra` (a further filter the stored order must match).
    pub async fn advance<F>(
        &self,
        id: ObjectId,
        correlation_id: &str,
        extra: Document,
        decide: F,
    ) -> Result<Outcome, ApiError>
    where
        F: Fn(&Order) -> Option<Change>,
    {
        self.advance_from(id, None, correlation_id, extra, decide)
            .await
    }

    /// [`Self::change`] starting from `read`, the order as the caller has just read it (with
    /// its pending events' count), instead of reading it again; a lost race re-reads.
    pub async fn change_from(
        &self,
        read: (Order, Option<i64>),
        change: &Change,
        correlation_id: &str,
    ) -> Result<Outcome, ApiError> {
        let id = read.0.id;
        self.advance_from(id, Some(read), correlation_id, Document::new(), |_| {
            Some(change.clone())
        })
        .await
    }

    /// [`Self::advance`], whose first attempt decides on `read` when given: the order as the
    /// caller read it. A stale copy costs nothing but a retry: the write is guarded by the
    /// status and version it was read with.
    #[tracing::instrument(skip(self, read, extra, decide))]
    pub async fn advance_from<F>(
        &self,
        id: ObjectId,
        mut read: Option<(Order, Option<i64>)>,
        correlation_id: &str,
        extra: Document,
        decide: F,
    ) -> Result<Outcome, ApiError>
    where
        F: Fn(&Order) -> Option<Change>,
    {
        for _ in 0..ATTEMPTS {
            let found = match read.take() {
                Some(read) => Some(read),
                None => orders::by_id_with_pending(&self.db, id).await?,
            };
            let Some((before, pending)) = found else {
                return Ok(Outcome::NotFound);
            };
            let Some(change) = decide(&before) else {
                return Ok(Outcome::Skipped);
            };
            let delay = self.fulfilment.random_delay();
            let after = match transition::apply(&before, &change, Utc::now(), delay) {
                Ok(after) => after,
                Err(refused) => {
                    return Ok(Outcome::Illegal {
                        current: Box::new(before),
                        refused,
                    });
                }
            };
            let mut staged = vec![events::status_changed(&before, &after, correlation_id)];
            if after.status == Status::Cancelled {
                staged.push(events::cancelled(&after, correlation_id));
            }
            match change {
                Change::Expire => staged.push(events::expired(&after, correlation_id)),
                Change::Authorize { .. } => {
                    staged.push(events::payment_authorized(&after, correlation_id));
                }
                Change::Decline { .. } => {
                    staged.push(events::payment_failed(&after, correlation_id))
                }
                _ => {}
            }
            let staged: Vec<_> = staged
                .into_iter()
                .map(|e| e.map_err(ApiError::internal))
                .collect::<Result<_, _>>()?;
            // With no event pending when read, the write is guarded by that too and its
            // events are handed to the relay: nothing else of the order can be waiting.
            let hand = pending == Some(0);
            let mut guard = extra.clone();
            if hand {
                guard.insert(shared::outbox::COUNT, 0);
            }
            let written =
                orders::replace_if_unchanged(&self.db, &before, &after, &staged, guard).await?;
            if let Some(keyed) = written {
                if hand {
                    self.outbox.hand(orders::COLLECTION, id, keyed);
                } else {
                    self.outbox.nudge_collection(orders::COLLECTION);
                }
                metrics::counter!("order_status_changes_total", "to" => after.status.as_str())
                    .increment(1);
                tracing::info!(order.id = %id, from = %before.status, to = %after.status, "order status changed");
                return Ok(Outcome::Applied {
                    before: Box::new(before),
                    after: Box::new(after),
                });
            }
        }
        Err(ApiError::Conflict(
            "the order kept changing; try again".to_owned(),
        ))
    }
}
