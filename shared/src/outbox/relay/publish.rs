//! A pass's publishing, in rounds: each round takes the next event of every document still
//! going and publishes them all with their confirms in flight together
//! ([`crate::events::Bus::publish_all`]). A document's next event is only published in the
//! round after its previous one was confirmed, so a refusal of event k stops k+1.. of that
//! document (they stay pending, in order) while the other documents go on.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use super::{FIELD, Relay, scan::Due};
use crate::events::{BusError, Envelope};

/// Events of one document published in one pass at most; a document with more goes to the
/// back of the queue for the rest, so that it cannot hold up the others.
pub(super) const PER_DOCUMENT: usize = 16;

/// Where one document of the pass stands.
pub(super) struct Work {
    pub due: Due,
    /// The index of its next event.
    pub next: usize,
    /// The paths (`outbox.<key>`) of the events the broker took.
    pub published: Vec<String>,
    pub end: End,
}

/// How a document's part of the pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// Still going.
    Open,
    /// Every event it had when read went out (or was parked).
    AllSent,
    /// It used its share of the pass; the rest waits for the next.
    Quota,
    /// The broker refused its next event; it is tried again at this time (ms since the epoch).
    Refused(i64),
    /// The broker is in trouble; it stays as it is.
    Stopped,
}

impl Work {
    pub(super) fn new(due: Due) -> Self {
        Self {
            due,
            next: 0,
            published: Vec::new(),
            end: End::Open,
        }
    }
}

impl Relay {
    /// Publishes the works' events in rounds until each document is sent, refused, out of its
    /// share, or the broker is in trouble (the answer, `true`). A database error (while
    /// parking) stops the rounds; what was published stays recorded in the works either way.
    pub(super) async fn rounds(&self, works: &mut [Work]) -> Result<bool, mongodb::error::Error> {
        loop {
            let mut batch: Vec<(usize, Envelope)> = Vec::new();
            for (w, work) in works.iter_mut().enumerate() {
                if let Some(event) = self.next_event(work).await? {
                    batch.push((w, event));
                }
            }
            if batch.is_empty() {
                return Ok(false);
            }
            let results = self.publish_batch(&batch).await;
            let mut troubled = false;
            for ((w, event), result) in batch.iter().zip(results) {
                let work = &mut works[*w];
                let key = work.due.events[work.next].0.clone();
                match result {
                    Ok(()) => {
                        work.published.push(format!("{FIELD}.{key}"));
                        work.next += 1;
                    }
                    Err(Failure::Panicked) => {
                        self.park_in_pass(work, "publishing panicked").await?;
                    }
                    Err(Failure::Bus(e)) if e.is_permanent() => {
                        self.park_in_pass(work, &e.to_string()).await?;
                    }
                    Err(Failure::Bus(e)) => {
                        tracing::warn!(event.id = %event.id, error = %e, "publish failed; will retry");
                        if e.is_broker_trouble() {
                            work.end = End::Stopped;
                            troubled = true;
                        } else {
                            work.end = End::Refused(self.refused(&work.due));
                        }
                    }
                }
            }
            if troubled {
                for work in works.iter_mut().filter(|w| w.end == End::Open) {
                    work.end = End::Stopped;
                }
                return Ok(true);
            }
        }
    }

    /// The work's next event to publish, parking any unreadable one on the way; `None` when
    /// the document is done for this pass (and why, in its `end`).
    async fn next_event(&self, work: &mut Work) -> Result<Option<Envelope>, mongodb::error::Error> {
        while work.end == End::Open {
            if work.next == work.due.events.len() {
                work.end = End::AllSent;
            } else if work.next >= PER_DOCUMENT {
                work.end = End::Quota;
            } else {
                match serde_json::from_str::<Envelope>(&work.due.events[work.next].1) {
                    Ok(event) => return Ok(Some(event)),
                    Err(e) => self.park_in_pass(work, &format!("unreadable: {e}")).await?,
                }
            }
        }
        Ok(None)
    }

    /// Parks the work's next event and moves past it.
    async fn park_in_pass(
        &self,
        work: &mut Work,
        reason: &str,
    ) -> Result<(), mongodb::error::Error> {
        let collection = self.collection(work.due.collection);
        let (key, text) = &work.due.events[work.next];
        self.park(&collection, &work.due.id, key, text, reason)
            .await?;
        work.next += 1;
        Ok(())
    }

    /// One round's events, confirms in flight together. Should publishing panic, each event
    /// is published alone, so that only the one that panics is parked.
    async fn publish_batch(&self, batch: &[(usize, Envelope)]) -> Vec<Result<(), Failure>> {
        let events: Vec<&Envelope> = batch.iter().map(|(_, event)| event).collect();
        if let Ok(results) = AssertUnwindSafe(self.inner.bus.publish_all(&events))
            .catch_unwind()
            .await
        {
            return results
                .into_iter()
                .map(|r| r.map_err(Failure::Bus))
                .collect();
        }
        let mut results = Vec::with_capacity(events.len());
        for event in events {
            results.push(
                match AssertUnwindSafe(self.inner.bus.publish(event))
                    .catch_unwind()
                    .await
                {
                    Ok(result) => result.map_err(Failure::Bus),
                    Err(_) => Err(Failure::Panicked),
                },
            );
        }
        results
    }
}

/// Why an event of a round did not go.
enum Failure {
    Bus(BusError),
    Panicked,
}
