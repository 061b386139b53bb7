//! The relay: publishes the pending events of some collections, in order per document, fairly
//! and oldest first, and keeps going whatever one event or one document does.
//!
//! - A pass takes, in each collection, the documents whose events are due, the one that has
//!   waited longest first ([`scan`]), the collections dealt out in turn; it publishes them in
//!   rounds, the next event of every document with the confirms in flight together, at most
//!   [`publish::PER_DOCUMENT`] events of a document per pass ([`publish`]); and it marks what
//!   the broker took sent with one write per collection ([`mark`]).
//! - An event that can never be published (unreadable, a name too long for AMQP, or a publish
//!   that panicked) is moved to the [`PARKED`] collection with the reason, counted in
//!   `outbox_parked_total`, and the document's later events go on ([`park`]).
//! - An event the broker refuses (negative confirm, unroutable) stops its document's later
//!   events and is retried with a growing delay for its document alone (its due time is moved
//!   on, in the database, so every relay and a restarted one leave it be until then); other
//!   documents, and new writes (nudges), are not held up.
//! - When the broker itself is in trouble (down, slow, a broken channel) the pass stops and the
//!   whole relay backs off: every other publish would fail the same way.
//! - Each finished pass beats a [`Heartbeat`] that `/health` watches, and the relay runs under
//!   [`crate::supervise::spawn`], so a relay that died or hangs is seen and restarted.

mod mark;
mod park;
mod publish;
mod scan;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use bson::{Document, doc};
use mongodb::{Collection, Database};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{COUNT, DUE, FIELD, Nudge, Nudged, now_millis, remove_published};
use crate::{
    events::Bus,
    retry::{Backoff, Policy},
    supervise::Heartbeat,
};
use publish::{End, Work};

/// The collection, in the same database, where events that can never be published are kept,
/// one document per event: `{_id: "<collection>:<key>", collection, documentId, key, event,
/// reason, parkedAt}`.
pub const PARKED: &str = "outbox_parked";

/// How long a pass may take before the relay counts as stalled in `/health`.
const PASS_DEADLINE: Duration = Duration::from_secs(60);
/// The longest wait before a refused event of one document is tried again.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// The longest wait after a pass the broker or the database cut short.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often `/health`'s backlog (documents holding unpublished events) is counted.
const COUNT_EVERY: Duration = Duration::from_secs(5);

/// What the next pass reads: only the collections `named` by nudges when a nudge woke it
/// (`nudged`, and no more due at once) and a pass over every collection ran `recently`
/// (within a poll); every collection otherwise. So documents due to retry and events staged
/// without a nudge go out within a poll however busy the writers keep the relay.
fn next_scope(named: Nudged, nudged: bool, recently: bool) -> Nudged {
    if nudged && recently {
        named
    } else {
        Nudged::All
    }
}

/// Whether a pass over `scope` reads `name`, one of the relay's `collections`: every one
/// unless only some were nudged, and every one when a nudge named a collection the relay
/// does not know (a mistake that must not leave events to the next poll).
fn reads(scope: &Nudged, collections: &[String], name: &str) -> bool {
    match scope {
        Nudged::All => true,
        Nudged::Only(names) => {
            names.contains(name) || names.iter().any(|n| !collections.contains(n))
        }
    }
}

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
    /// Documents whose next event the broker refused, by `<collection>/<id>`: how long the
    /// next wait is. (When they are due again is in the database.)
    retries: Mutex<HashMap<String, Refused>>,
    /// Documents read per collection and pass at most.
    batch: i64,
    /// When the backlog was last counted.
    counted: std::sync::Mutex<Option<Instant>>,
    /// What the last pass read (see [`scan::handed`]).
    last_read: Mutex<Option<scan::Read>>,
}

/// A document whose next event the broker refused.
struct Refused {
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
    /// More is due already (a full page, or a document past its share): go again at once.
    more: bool,
    /// The earliest time a refused document may be tried again.
    next_retry: Option<Instant>,
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
                counted: std::sync::Mutex::default(),
                last_read: Mutex::default(),
            }),
        }
    }

    /// At most `batch` documents read per collection and pass (500 unless set), the longest
    /// waiting first. Documents waiting to retry a refused event are not due, so they are left
    /// out of the read: however many there are, the others still go out.
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
        let mut scope = Nudged::All;
        let mut last_full = Instant::now();
        loop {
            if scope == Nudged::All {
                last_full = Instant::now();
            }
            let pass = self.drain(&scope).await;
            inner.heartbeat.beat();
            let wait = if pass.troubled {
                backoff.next_delay()
            } else if pass.more {
                backoff.reset();
                Duration::ZERO
            } else {
                backoff.reset();
                let until_retry = pass.next_retry.map_or(inner.poll, |at| {
                    at.saturating_duration_since(Instant::now())
                });
                until_retry.min(inner.poll)
            };
            let nudged = tokio::select! {
                () = cancel.cancelled() => break,
                // New events need not wait for a refused one; a broker in trouble they do.
                () = inner.nudge.notified(), if !pass.troubled => true,
                () = tokio::time::sleep(wait) => false,
            };
            scope = next_scope(
                inner.nudge.take(),
                nudged && !pass.more,
                last_full.elapsed() < inner.poll,
            );
        }
        if !self.drain(&Nudged::All).await.clean {
            tracing::warn!("events still pending at shutdown; they go out after the next start");
        }
    }

    async fn ensure_indexes(&self) {
        for name in &self.inner.collections {
            let index = mongodb::IndexModel::builder()
                .keys(doc! { COUNT: 1, DUE: 1 })
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

    /// Counts, at most every [`COUNT_EVERY`], the documents of each collection holding
    /// unpublished events (due or waiting to retry), for `/health`'s backlog. A count that
    /// fails keeps the last figure.
    async fn count_pending(&self) {
        {
            let Ok(mut last) = self.inner.counted.lock() else {
                return;
            };
            if last.is_some_and(|at| at.elapsed() < COUNT_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        for (index, name) in self.inner.collections.iter().enumerate() {
            match scan::pending(&self.collection(index)).await {
                Ok(pending) => self
                    .inner
                    .heartbeat
                    .set_backlog(name, |b| b.pending = pending),
                Err(e) => tracing::debug!(collection = %name, error = %e, "outbox count failed"),
            }
        }
    }

    /// One pass: the documents handed over, and the collections of `scope`.
    async fn drain(&self, scope: &Nudged) -> Pass {
        let mut pass = Pass::default();
        let handed = self.inner.nudge.take_handed();
        let now = now_millis();
        let mut pages = Vec::with_capacity(self.inner.collections.len());
        for (index, name) in self.inner.collections.iter().enumerate() {
            if !reads(scope, &self.inner.collections, name) {
                continue;
            }
            match scan::due(&self.collection(index), index, now, self.inner.batch).await {
                Ok(page) => {
                    let oldest = scan::oldest_seconds(&page);
                    self.inner
                        .heartbeat
                        .set_backlog(name, |b| b.oldest_seconds = oldest);
                    pass.more |= i64::try_from(page.len()).unwrap_or(i64::MAX) >= self.inner.batch;
                    pages.push(page);
                }
                Err(e) => {
                    tracing::warn!(collection = %name, error = %e, "outbox scan failed");
                    pass.troubled = true;
                    return pass;
                }
            }
        }
        self.count_pending().await;
        let read = scan::Read::of(&pages);
        let previous = self
            .inner
            .last_read
            .lock()
            .ok()
            .and_then(|mut last| last.take());
        let handed = scan::handed(handed, &self.inner.collections, &read, previous.as_ref());
        if let Ok(mut last) = self.inner.last_read.lock() {
            *last = Some(read);
        }
        let mut works: Vec<Work> = handed
            .into_iter()
            .chain(scan::interleave(pages))
            .map(Work::new)
            .collect();
        let published = self.rounds(&mut works).await;
        // What the broker took is marked sent even when the pass was cut short.
        let marked = self.mark(&works).await;
        for work in &works {
            match work.end {
                End::AllSent => self.forget(&work.due),
                End::Quota => {
                    self.forget(&work.due);
                    pass.more = true;
                }
                End::Open | End::Refused(_) | End::Stopped => {}
            }
        }
        match (published, marked) {
            (Ok(troubled), Ok(())) => pass.troubled = troubled,
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "outbox pass cut short by the database");
                pass.troubled = true;
            }
        }
        pass.clean = !pass.troubled && !pass.more && works.iter().all(|w| w.end == End::AllSent);
        pass.next_retry = self
            .inner
            .retries
            .lock()
            .ok()
            .and_then(|r| r.values().map(|refused| refused.next).min());
        pass
    }

    fn collection(&self, index: usize) -> Collection<Document> {
        self.inner
            .db
            .collection::<Document>(&self.inner.collections[index])
    }

    fn retry_key(&self, due: &scan::Due) -> String {
        format!("{}/{}", self.inner.collections[due.collection], due.id)
    }

    /// Notes that the broker refused the next event of `due`; when it is due again (ms since
    /// the epoch).
    fn refused(&self, due: &scan::Due) -> i64 {
        let key = self.retry_key(due);
        let Ok(mut retries) = self.inner.retries.lock() else {
            return now_millis();
        };
        let mut backoff = retries.remove(&key).map_or_else(
            || self.policy(MAX_RETRY_DELAY).backoff(),
            |refused| refused.backoff,
        );
        let delay = backoff.next_delay();
        retries.insert(
            key,
            Refused {
                backoff,
                next: Instant::now() + delay,
            },
        );
        now_millis().saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX))
    }

    /// Forgets the refusals of `due`, whose events went out.
    fn forget(&self, due: &scan::Due) {
        if let Ok(mut retries) = self.inner.retries.lock()
            && !retries.is_empty()
        {
            retries.remove(&self.retry_key(due));
        }
    }

    /// Waits from twice the poll interval up to `cap`.
    fn policy(&self, cap: Duration) -> Policy {
        Policy::new(self.inner.poll.saturating_mul(2).min(cap), cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(names: &[&str]) -> Nudged {
        Nudged::Only(names.iter().map(|n| (*n).to_owned()).collect())
    }

    #[test]
    fn a_nudged_pass_reads_only_what_was_named_while_a_full_pass_ran_within_a_poll() {
        assert_eq!(next_scope(only(&["orders"]), true, true), only(&["orders"]));
        assert_eq!(next_scope(Nudged::All, true, true), Nudged::All);
        // A wait ended it, more was due, or no full pass for a poll: every collection.
        assert_eq!(next_scope(only(&["orders"]), false, true), Nudged::All);
        assert_eq!(next_scope(only(&["orders"]), true, false), Nudged::All);
    }

    #[test]
    fn a_collection_is_read_when_named_or_when_a_name_is_unknown() {
        let known = vec!["orders".to_owned(), "returns".to_owned()];
        assert!(reads(&Nudged::All, &known, "returns"));
        assert!(reads(&only(&["orders"]), &known, "orders"));
        assert!(!reads(&only(&["orders"]), &known, "returns"));
        assert!(reads(&only(&["orders", "typo"]), &known, "returns"));
    }
}
