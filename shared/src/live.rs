//! The in-process fan-out behind every live stream (order updates, alerts): subscribers, each
//! with a filter and a bounded buffer.
//!
//! Publishing never waits: a message is offered to every subscriber whose filter wants it with
//! `try_send`. A subscriber whose buffer is full is too slow; it is removed at once (logged,
//! counted in the filter's [`Filter::DROPPED_COUNTER`]) and its `dropped` token fires, so its
//! connection ends even if it is stuck writing to a client that does not read. Dropping a
//! [`Subscription`] (the client went away) removes it at once; [`Filter::STREAMS_GAUGE`]
//! counts the open ones. The message is made once, for the first subscriber that wants it,
//! and shared by all.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What a subscriber wants; its type names the service's metrics.
pub trait Filter: Send + 'static {
    /// The gauge of open streams (labelled by `kind`).
    const STREAMS_GAUGE: &'static str;
    /// The counter of subscribers dropped for reading too slowly (labelled by `kind`).
    const DROPPED_COUNTER: &'static str;
}

struct Entry<F, M> {
    kind: &'static str,
    filter: F,
    tx: mpsc::Sender<Arc<M>>,
    dropped: CancellationToken,
}

struct Inner<F, M> {
    next: AtomicU64,
    buffer: usize,
    subscribers: Mutex<HashMap<u64, Entry<F, M>>>,
}

/// The fan-out of one process: filters `F`, messages `M`. Cheap to clone.
pub struct Hub<F, M> {
    inner: Arc<Inner<F, M>>,
}

impl<F, M> Clone for Hub<F, M> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<F: Filter, M: Send + Sync + 'static> Hub<F, M> {
    /// A hub whose subscribers buffer `buffer` messages each.
    pub fn new(buffer: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                next: AtomicU64::new(1),
                buffer: buffer.max(1),
                subscribers: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry<F, M>>> {
        // Every operation on the map is a single insert, update or remove, so a poisoned lock
        // still guards a consistent map.
        self.inner
            .subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new subscriber of `kind` (`sse` or `ws`, for logs and metrics) wanting `filter`.
    pub fn subscribe(&self, kind: &'static str, filter: F) -> Subscription<F, M> {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.inner.buffer);
        let dropped = CancellationToken::new();
        self.lock().insert(
            id,
            Entry {
                kind,
                filter,
                tx,
                dropped: dropped.clone(),
            },
        );
        metrics::gauge!(F::STREAMS_GAUGE, "kind" => kind).increment(1.0);
        Subscription {
            id,
            hub: self.clone(),
            rx,
            dropped,
        }
    }

    /// Offers a message to every subscriber whose filter `wants` it, without waiting; the
    /// message is made by `message`, once, only if someone wants it. Returns how many took it.
    pub fn publish(&self, wants: impl Fn(&F) -> bool, message: impl FnOnce() -> Arc<M>) -> usize {
        // The last hop of a trace: the change handed to the live clients that follow it (a
        // child of the consumed event's span).
        let span = tracing::info_span!(
            "live.fanout",
            otel.name = "live fan-out",
            reached = tracing::field::Empty,
        );
        let _entered = span.enter();
        let reached = self.offer(wants, message);
        span.record("reached", reached);
        reached
    }

    fn offer(&self, wants: impl Fn(&F) -> bool, message: impl FnOnce() -> Arc<M>) -> usize {
        let mut message = Some(message);
        let mut made: Option<Arc<M>> = None;
        let mut subscribers = self.lock();
        let mut reached = 0;
        let mut gone = Vec::new();
        for (id, entry) in subscribers.iter() {
            if !wants(&entry.filter) {
                continue;
            }
            let shared = made.get_or_insert_with(|| (message.take().expect("made once"))());
            match entry.tx.try_send(shared.clone()) {
                Ok(()) => reached += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(
                        subscriber = id,
                        kind = entry.kind,
                        "live client too slow: buffer full; dropping it"
                    );
                    metrics::counter!(F::DROPPED_COUNTER, "kind" => entry.kind).increment(1);
                    entry.dropped.cancel();
                    gone.push(*id);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => gone.push(*id),
            }
        }
        for id in gone {
            if let Some(entry) = subscribers.remove(&id) {
                metrics::gauge!(F::STREAMS_GAUGE, "kind" => entry.kind).decrement(1.0);
            }
        }
        reached
    }

    /// Whether some subscriber's filter `wants` a message (so that a message costly to make,
    /// such as one read from a database, is made only when someone will take it).
    pub fn wants_any(&self, wants: impl Fn(&F) -> bool) -> bool {
        self.lock().values().any(|entry| wants(&entry.filter))
    }

    /// How many subscribers are connected.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nobody is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut F)) {
        if let Some(entry) = self.lock().get_mut(&id) {
            change(&mut entry.filter);
        }
    }

    fn remove(&self, id: u64) {
        if let Some(entry) = self.lock().remove(&id) {
            metrics::gauge!(F::STREAMS_GAUGE, "kind" => entry.kind).decrement(1.0);
        }
    }
}

/// One subscriber's end: its buffer, and its place in the hub until dropped.
pub struct Subscription<F: Filter, M: Send + Sync + 'static> {
    id: u64,
    hub: Hub<F, M>,
    /// The messages, in the order they were published.
    pub rx: mpsc::Receiver<Arc<M>>,
    dropped: CancellationToken,
}

impl<F: Filter, M: Send + Sync + 'static> Subscription<F, M> {
    /// Changes what this subscriber wants.
    pub fn update(&self, change: impl FnOnce(&mut F)) {
        self.hub.update(self.id, change);
    }

    /// Fires when the hub dropped this subscriber for being too slow.
    pub fn dropped(&self) -> CancellationToken {
        self.dropped.clone()
    }
}

impl<F: Filter, M: Send + Sync + 'static> Drop for Subscription<F, M> {
    fn drop(&mut self) {
        self.hub.remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Words(Vec<&'static str>);

    impl Filter for Words {
        const STREAMS_GAUGE: &'static str = "test_live_streams";
        const DROPPED_COUNTER: &'static str = "test_live_dropped_total";
    }

    fn publish(hub: &Hub<Words, String>, word: &'static str) -> usize {
        hub.publish(|f| f.0.contains(&word), || Arc::new(word.to_owned()))
    }

    #[tokio::test]
    async fn subscribers_get_only_what_they_want_and_share_one_message() {
        let hub = Hub::new(8);
        let mut a = hub.subscribe("sse", Words(vec!["x"]));
        let mut b = hub.subscribe("ws", Words(vec!["x", "y"]));

        assert_eq!(publish(&hub, "x"), 2);
        assert_eq!(publish(&hub, "y"), 1);
        assert_eq!(publish(&hub, "z"), 0);

        let first = a.rx.try_recv().unwrap();
        assert_eq!(first.as_str(), "x");
        assert!(a.rx.try_recv().is_err());
        assert!(Arc::ptr_eq(&first, &b.rx.recv().await.unwrap()));
        assert_eq!(b.rx.recv().await.unwrap().as_str(), "y");
    }

    #[tokio::test]
    async fn nothing_is_made_when_nobody_wants_it() {
        let hub: Hub<Words, String> = Hub::new(8);
        let _a = hub.subscribe("sse", Words(vec!["x"]));
        let reached = hub.publish(|_| false, || panic!("made for nobody"));
        assert_eq!(reached, 0);
    }

    #[tokio::test]
    async fn a_subscriber_that_does_not_read_is_dropped_and_the_others_still_get_everything() {
        let hub = Hub::new(2);
        let slow = hub.subscribe("ws", Words(vec!["x"]));
        let mut fast = hub.subscribe("ws", Words(vec!["x"]));

        for _ in 0..10 {
            publish(&hub, "x");
            assert!(fast.rx.recv().await.is_some());
        }

        assert!(slow.dropped().is_cancelled());
        assert_eq!(hub.len(), 1);
    }

    #[tokio::test]
    async fn a_closed_subscription_is_removed_at_once_and_filters_can_grow() {
        let hub = Hub::new(2);
        let sub = hub.subscribe("sse", Words::default());
        assert_eq!(publish(&hub, "x"), 0);
        sub.update(|f| f.0.push("x"));
        assert_eq!(publish(&hub, "x"), 1);
        drop(sub);
        assert!(hub.is_empty());
    }
}
