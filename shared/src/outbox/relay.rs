//! The relay: publishes the pending events of some collections, in order per document, and
//! keeps going whatever one event or one document does.
//!
//! - An event that can never be published (unreadable, a name too long for AMQP, or a publish
//!   that panicked) is moved to the [`PARKED`] collection with the reason, counted in
//!   `outbox_parked_total`, and the document's later events go on.
//! - An event the broker refuses (negative confirm, unroutable) is retried with a growing delay
//!   for its document alone; other documents, and new writes (nudges), are not held up.
//! - When the broker itself is in trouble (down, slow, a broken channel) the pass stops and the
//!   whole relay backs off: every other publish would fail the same way.
//! - Each finished pass beats a [`Heartbeat`] that `/health` watches, and the relay runs under
//!   [`crate::supervise::spawn`], so a relay that died or hangs is seen and restarted.

use std::{
    collections::HashMap,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex},
    time::Duration,
};

use bson::{Bson, Document, doc};
use futures::{FutureExt, StreamExt, TryStreamExt};
use mongodb::{Collection, Database};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{COUNT, FIELD, Nudge, remove_published};
use crate::{
    events::{Bus, Envelope},
    retry::{Backoff, Policy},
    supervise::Heartbeat,
};

/// The collection, in the same database, where events that can never be published are kept,
/// one document per event: `{_id: "<collection>:<key>", collection, documentId, key, event,
/// reason, parkedAt}`.
pub const PARKED: &str = "outbox_parked";

/// How long a pass may take before the relay counts as stalled in `/health`.
const PASS_DEADLINE: Duration = Duration::from_secs(60);
/// Documents whose events are published at the same time.
const CONCURRENT_DOCUMENTS: usize = 16;
/// The longest wait before a refused event of one document is tried again.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// The longest wait after a pass the broker or the database cut short.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Publishes pending events of some collections. Cheap to clone; clones share their state.
#[derive(Clone)]
pub struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    collections: Vec<String>,
    bus: Bus,
    nudge: Nudge,
    poll: Duration,
    heartbeat: Heartbeat,
    /// Documents whose next event the broker refused, by `<collection>/<id>`.
    retries: Mutex<HashMap<String, Refused>>,
    /// Documents read per collection and pass at most.
    batch: i64,
}

/// A document whose next event the broker refused.
struct Refused {
    collection: String,
    id: Bson,
    /// The waits between this document's attempts.
    backoff: Backoff,
    next: Instant,
}

/// How a pass ended.
#[derive(Debug, Default)]
struct Pass {
    /// Nothing is left pending.
    clean: bool,
    /// The broker or the database cut the pass short.
    troubled: bool,
    /// The earliest time a refused document may be tried again.
    next_retry: Option<Instant>,
}

/// What happened to one document.
enum Published {
    /// Every event went out.
    All,
    /// Some event is still pending (refused, or not due for another try yet).
    Pending,
    /// The broker is in trouble: stop the pass.
    BrokerTrouble,
}

impl Relay {
    /// A relay over `collections` of `db`, polling every `poll` when not nudged.
    pub fn new(db: Database, collections: &[&str], bus: Bus, poll: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                // The parked events' own collection, whose notices (`outbox.parked`) go out
                // like any other event.
                collections: collections
                    .iter()
                    .map(|c| (*c).to_owned())
                    .chain((!collections.contains(&PARKED)).then(|| PARKED.to_owned()))
                    .collect(),
                bus,
                nudge: Nudge::default(),
                poll,
                heartbeat: Heartbeat::new("outbox-relay", PASS_DEADLINE),
                retries: Mutex::default(),
                batch: 500,
            }),
        }
    }

    /// At most `batch` documents read per collection and pass (500 unless set). Documents
    /// waiting to retry a refused event are left out of the read, so however many there are,
    /// the others still go out.
    pub fn with_batch(mut self, batch: i64) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.batch = batch.max(1);
        }
        self
    }

    /// The handle writers use to wake this relay.
    pub fn nudge(&self) -> Nudge {
        self.inner.nudge.clone()
    }

    /// Beaten after every pass; give it to [`crate::health::Health::watch`].
    pub fn heartbeat(&self) -> Heartbeat {
        self.inner.heartbeat.clone()
    }

    /// Runs under a supervisor until `cancel`; then makes one last attempt to flush what is
    /// pending.
    pub fn spawn(self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        let stop = cancel.clone();
        crate::supervise::spawn("outbox-relay", cancel, move || {
            self.clone().run(stop.clone())
        })
    }

    async fn run(self, cancel: CancellationToken) {
        self.ensure_indexes().await;
        let inner = &self.inner;
        let mut backoff = self.policy(MAX_BACKOFF).backoff();
        loop {
            let pass = self.drain_all().await;
            inner.heartbeat.beat();
            let wait = if pass.troubled {
                backoff.next_delay()
            } else {
                backoff.reset();
                let until_retry = pass.next_retry.map_or(inner.poll, |at| {
                    at.saturating_duration_since(Instant::now())
                });
                until_retry.min(inner.poll)
            };
            tokio::select! {
                () = cancel.cancelled() => break,
                // New events need not wait for a refused one; a broker in trouble they do.
                () = inner.nudge.0.notified(), if !pass.troubled => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        if !self.drain_all().await.clean {
            tracing::warn!("events still pending at shutdown; they go out after the next start");
        }
    }

    async fn ensure_indexes(&self) {
        for name in &self.inner.collections {
            let index = mongodb::IndexModel::builder()
                .keys(doc! { COUNT: 1 })
                .build();
            if let Err(e) = self
                .inner
                .db
                .collection::<Document>(name)
                .create_index(index)
                .await
            {
                tracing::debug!(collection = %name, error = %e, "outbox index not created yet");
            }
        }
    }

    /// One pass over every collection.
    async fn drain_all(&self) -> Pass {
        let mut pass = Pass {
            clean: true,
            ..Pass::default()
        };
        for name in &self.inner.collections {
            let collection = self.inner.db.collection::<Document>(name);
            if let Err(e) = self.drain(&collection, &mut pass).await {
                tracing::warn!(collection = %name, error = %e, "outbox scan failed");
                pass.clean = false;
                pass.troubled = true;
            }
            if pass.troubled {
                break;
            }
        }
        pass
    }

    async fn drain(
        &self,
        collection: &Collection<Document>,
        pass: &mut Pass,
    ) -> Result<(), mongodb::error::Error> {
        let mut filter = doc! { COUNT: { "$gt": 0 } };
        let waiting = self.waiting(collection.name());
        if !waiting.is_empty() {
            filter.insert("_id", doc! { "$nin": waiting });
        }
        let pending: Vec<Document> = collection
            .find(filter)
            .projection(doc! { FIELD: 1 })
            .limit(self.inner.batch)
            .await?
            .try_collect()
            .await?;
        let backlog: usize = pending
            .iter()
            .map(|d| d.get_document(FIELD).map_or(0, Document::len))
            .sum();
        let labels = [("collection", collection.name().to_owned())];
        metrics::gauge!("outbox_backlog", &labels).set(backlog as f64);
        metrics::gauge!("outbox_oldest_age_seconds", &labels).set(oldest_age(&pending));
        // Documents side by side (their confirms overlap on the channel), each document's
        // events one after the other, in order. Serially, a confirm's round trip per event was
        // the suite's ceiling (issue 22: about 200 events/s).
        let mut outcomes = futures::stream::iter(pending)
            .map(|document| async move { self.publish_document(collection, &document).await })
            .buffer_unordered(CONCURRENT_DOCUMENTS);
        while let Some(outcome) = outcomes.next().await {
            match outcome? {
                Published::All => {}
                Published::Pending => pass.clean = false,
                Published::BrokerTrouble => {
                    pass.clean = false;
                    pass.troubled = true;
                }
            }
        }
        let retries = self
            .inner
            .retries
            .lock()
            .map(|r| r.values().map(|refused| refused.next).min());
        pass.next_retry = retries.ok().flatten();
        Ok(())
    }

    /// Publishes one document's events in order, stopping at the first the broker refuses,
    /// parking any that can never go, then removes the ones the broker took.
    async fn publish_document(
        &self,
        collection: &Collection<Document>,
        document: &Document,
    ) -> Result<Published, mongodb::error::Error> {
        let Some(id) = document.get("_id") else {
            return Ok(Published::All);
        };
        let retry_key = format!("{}/{id}", collection.name());
        let mut events: Vec<(&String, &Bson)> = document
            .get_document(FIELD)
            .map(|d| d.iter().collect())
            .unwrap_or_default();
        events.sort_by(|a, b| a.0.cmp(b.0));
        let mut published = Vec::with_capacity(events.len());
        let mut outcome = Published::All;
        for (key, raw) in events {
            let text = match raw {
                Bson::String(text) => text.clone(),
                other => other.to_string(),
            };
            let event: Envelope = match serde_json::from_str(&text) {
                Ok(event) => event,
                Err(e) => {
                    self.park(collection, id, key, &text, &format!("unreadable: {e}"))
                        .await?;
                    continue;
                }
            };
            match AssertUnwindSafe(self.inner.bus.publish(&event))
                .catch_unwind()
                .await
            {
                Ok(Ok(())) => published.push(format!("{FIELD}.{key}")),
                Ok(Err(e)) if e.is_permanent() => {
                    self.park(collection, id, key, &text, &e.to_string())
                        .await?;
                }
                Ok(Err(e)) => {
                    tracing::warn!(event.id = %event.id, error = %e, "publish failed; will retry");
                    outcome = if e.is_broker_trouble() {
                        Published::BrokerTrouble
                    } else {
                        self.refused(collection.name(), id, &retry_key);
                        Published::Pending
                    };
                    break;
                }
                Err(_) => {
                    self.park(collection, id, key, &text, "publishing panicked")
                        .await?;
                }
            }
        }
        remove_published(collection, id, &published).await?;
        if matches!(outcome, Published::All)
            && let Ok(mut retries) = self.inner.retries.lock()
        {
            retries.remove(&retry_key);
        }
        Ok(outcome)
    }

    /// The ids of `collection`'s documents that are waiting to retry, not to be read now.
    fn waiting(&self, collection: &str) -> Vec<Bson> {
        let now = Instant::now();
        self.inner.retries.lock().map_or_else(
            |_| Vec::new(),
            |r| {
                r.values()
                    .filter(|refused| refused.collection == collection && refused.next > now)
                    .map(|refused| refused.id.clone())
                    .collect()
            },
        )
    }

    /// Notes that the broker refused the next event of the document `id` (`key`).
    fn refused(&self, collection: &str, id: &Bson, key: &str) {
        if let Ok(mut retries) = self.inner.retries.lock() {
            let mut backoff = retries.remove(key).map_or_else(
                || self.policy(MAX_RETRY_DELAY).backoff(),
                |refused| refused.backoff,
            );
            let next = Instant::now() + backoff.next_delay();
            retries.insert(
                key.to_owned(),
                Refused {
                    collection: collection.to_owned(),
                    id: id.clone(),
                    backoff,
                    next,
                },
            );
        }
    }

    /// Waits from twice the poll interval up to `cap`.
    fn policy(&self, cap: Duration) -> Policy {
        Policy::new(self.inner.poll.saturating_mul(2).min(cap), cap)
    }

    /// Moves one event that can never be published out of the way, keeping it and the reason.
    async fn park(
        &self,
        collection: &Collection<Document>,
        id: &Bson,
        key: &str,
        text: &str,
        reason: &str,
    ) -> Result<(), mongodb::error::Error> {
        tracing::error!(
            collection = collection.name(),
            %key,
            reason,
            "outbox event can never be published; parked in {PARKED}"
        );
        let mut record = doc! {
            "_id": format!("{}:{key}", collection.name()),
            "collection": collection.name(),
            "documentId": id.clone(),
            "key": key,
            "event": text,
            "reason": reason,
            "parkedAt": bson::DateTime::now(),
        };
        // Ops learn of it through an alert: a notice, pending in the parked record itself, goes
        // out through this relay with confirms and retries like any event. (Not for a notice
        // that could not go: that would park forever.)
        if collection.name() != PARKED {
            let notice = parked_notice(collection.name(), id, text, reason);
            if let Ok(pending) = super::initial(&[notice]) {
                record.extend(pending);
            }
        }
        match self
            .inner
            .db
            .collection::<Document>(PARKED)
            .insert_one(record)
            .await
        {
            Ok(_) => {}
            // Parked already by another relay, or by this one before a failed removal.
            Err(e) if crate::store::is_duplicate_key(&e) => {}
            Err(e) => return Err(e),
        }
        remove_published(collection, id, &[format!("{FIELD}.{key}")]).await?;
        metrics::counter!("outbox_parked_total", "collection" => collection.name().to_owned())
            .increment(1);
        Ok(())
    }
}

/// The `outbox.parked` event telling of a parked event (whose text may not even be readable).
fn parked_notice(collection: &str, id: &Bson, text: &str, reason: &str) -> Envelope {
    let original: Option<Envelope> = serde_json::from_str(text).ok();
    let source = original.as_ref().map_or("outbox", |e| e.source.as_str());
    let correlation = original
        .as_ref()
        .map(|e| e.correlation_id.clone())
        .unwrap_or_default();
    Envelope::new(
        crate::events::keys::OUTBOX_PARKED,
        source,
        correlation,
        serde_json::json!({
            "collection": collection,
            "documentId": match id {
                Bson::ObjectId(oid) => oid.to_hex(),
                Bson::String(s) => s.clone(),
                other => other.to_string(),
            },
            "eventType": original.as_ref().map(|e| e.kind.clone()),
            "eventId": original.as_ref().map(|e| e.id.to_string()),
            "reason": reason,
        }),
    )
}

/// Seconds since the oldest pending event was created (its UUID v7 carries the time).
fn oldest_age(pending: &[Document]) -> f64 {
    let oldest = pending
        .iter()
        .filter_map(|d| d.get_document(FIELD).ok())
        .flat_map(|events| events.keys())
        .filter_map(|k| super::id_in_key(k))
        .filter_map(|id| id.get_timestamp())
        .map(|ts| ts.to_unix())
        .min();
    match oldest {
        Some((secs, nanos)) => {
            let created = Duration::new(secs, nanos);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            now.saturating_sub(created).as_secs_f64()
        }
        None => 0.0,
    }
}
