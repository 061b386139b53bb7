//! The in-process fan-out: subscribers, each with a filter and a bounded buffer.
//!
//! Publishing never waits: an event is offered to every matching subscriber with `try_send`.
//! A subscriber whose buffer is full is too slow; it is removed at once (logged, counted in
//! `order_live_dropped_total`) and its `dropped` token fires, so its connection ends even if
//! it is stuck writing to a client that does not read. Dropping a [`Subscription`] (the
//! client went away) removes it at once. `order_live_streams` counts the open ones.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::events::StatusChanged;

/// A change as live clients receive it: the event, and its JSON message made once for all
/// the subscribers it reaches (serialising the whole order per subscriber was most of a
/// fan-out's cost at 10,000 streams). Reads as the [`StatusChanged`] it carries.
#[derive(Debug)]
pub struct LiveChange {
    /// The change.
    pub change: Arc<StatusChanged>,
    /// `{type: "order.status_changed", ...}` as text ([`super::messages::status_changed`]).
    pub message: Utf8Bytes,
}

impl LiveChange {
    /// The change with its message.
    pub fn new(change: Arc<StatusChanged>) -> Self {
        let message = Utf8Bytes::from(super::messages::status_changed(&change).to_string());
        Self { change, message }
    }
}

impl std::ops::Deref for LiveChange {
    type Target = StatusChanged;

    fn deref(&self) -> &StatusChanged {
        &self.change
    }
}

/// Which changes a subscriber wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Orders followed one by one.
    pub orders: HashSet<String>,
    /// Every order of this customer.
    pub customer: Option<String>,
    /// Every order (admins).
    pub everything: bool,
}

impl Filter {
    /// One order.
    pub fn order(id: &str) -> Self {
        Self {
            orders: HashSet::from([id.to_owned()]),
            ..Self::default()
        }
    }

    /// Whether `change` is wanted.
    pub fn matches(&self, change: &StatusChanged) -> bool {
        self.everything
            || self.orders.contains(&change.order_id)
            || self.customer.as_deref() == Some(change.customer_id.as_str())
    }
}

struct Entry {
    kind: &'static str,
    filter: Filter,
    tx: mpsc::Sender<Arc<LiveChange>>,
    dropped: CancellationToken,
}

struct Inner {
    next: AtomicU64,
    buffer: usize,
    subscribers: Mutex<HashMap<u64, Entry>>,
}

/// The fan-out of one process. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// A hub whose subscribers buffer `buffer` events each.
    pub fn new(buffer: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                next: AtomicU64::new(1),
                buffer: buffer.max(1),
                subscribers: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        // A panic while holding the lock leaves the map consistent (every operation on it is
        // a single insert, update or remove), so a poisoned lock is safe to keep using.
        self.inner
            .subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new subscriber of `kind` (`sse` or `ws`, for logs and metrics) wanting `filter`.
    pub fn subscribe(&self, kind: &'static str, filter: Filter) -> Subscription {
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
        metrics::gauge!("order_live_streams", "kind" => kind).increment(1.0);
        Subscription {
            id,
            hub: self.clone(),
            rx,
            dropped,
        }
    }

    /// Offers `change` to every matching subscriber without waiting; returns how many took it.
    pub fn publish(&self, change: Arc<StatusChanged>) -> usize {
        let mut live: Option<Arc<LiveChange>> = None;
        let mut subscribers = self.lock();
        let mut reached = 0;
        let mut gone = Vec::new();
        for (id, entry) in subscribers.iter() {
            if !entry.filter.matches(&change) {
                continue;
            }
            let live = live.get_or_insert_with(|| Arc::new(LiveChange::new(change.clone())));
            match entry.tx.try_send(live.clone()) {
                Ok(()) => reached += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(subscriber = id, kind = entry.kind, order.id = %change.order_id,
                        "live client too slow: buffer full; dropping it");
                    metrics::counter!("order_live_dropped_total", "kind" => entry.kind)
                        .increment(1);
                    entry.dropped.cancel();
                    gone.push(*id);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => gone.push(*id),
            }
        }
        for id in gone {
            if let Some(entry) = subscribers.remove(&id) {
                metrics::gauge!("order_live_streams", "kind" => entry.kind).decrement(1.0);
            }
        }
        reached
    }

    /// How many subscribers are connected.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nobody is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn update(&self, id: u64, change: impl FnOnce(&mut Filter)) {
        if let Some(entry) = self.lock().get_mut(&id) {
            change(&mut entry.filter);
        }
    }

    fn remove(&self, id: u64) {
        if let Some(entry) = self.lock().remove(&id) {
            metrics::gauge!("order_live_streams", "kind" => entry.kind).decrement(1.0);
        }
    }
}

/// One subscriber's end: its buffer, and its place in the hub until dropped.
pub struct Subscription {
    id: u64,
    hub: Hub,
    /// The changes, in the order they were published.
    pub rx: mpsc::Receiver<Arc<LiveChange>>,
    dropped: CancellationToken,
}

impl Subscription {
    /// Changes what this subscriber wants.
    pub fn update(&self, change: impl FnOnce(&mut Filter)) {
        self.hub.update(self.id, change);
    }

    /// Fires when the hub dropped this subscriber for being too slow.
    pub fn dropped(&self) -> CancellationToken {
        self.dropped.clone()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::Status;

    use super::*;

    fn change(order: &str, customer: &str) -> Arc<StatusChanged> {
        Arc::new(StatusChanged {
            order_id: order.to_owned(),
            customer_id: customer.to_owned(),
            old_status: Status::Pending,
            new_status: Status::Processing,
            at: "2026-01-01T00:00:00.000Z".to_owned(),
            index: 1,
            order: serde_json::Value::Null,
        })
    }

    #[tokio::test]
    async fn subscribers_get_only_what_their_filter_wants() {
        let hub = Hub::new(8);
        let mut one = hub.subscribe("sse", Filter::order("o1"));
        let mut mine = hub.subscribe(
            "ws",
            Filter {
                customer: Some("c1".to_owned()),
                ..Filter::default()
            },
        );
        let all = hub.subscribe(
            "ws",
            Filter {
                everything: true,
                ..Filter::default()
            },
        );

        assert_eq!(hub.publish(change("o1", "c1")), 3);
        assert_eq!(hub.publish(change("o2", "c1")), 2);
        assert_eq!(hub.publish(change("o3", "c2")), 1);

        let first = one.rx.try_recv().unwrap();
        assert_eq!(first.order_id, "o1");
        let message: serde_json::Value = serde_json::from_str(first.message.as_str()).unwrap();
        assert_eq!(message["type"], "order.status_changed");
        assert_eq!(message["orderId"], "o1");
        assert!(one.rx.try_recv().is_err());
        let theirs = mine.rx.recv().await.unwrap();
        assert_eq!(theirs.order_id, "o1");
        assert!(
            Arc::ptr_eq(&first, &theirs),
            "one message for every subscriber of a change"
        );
        assert_eq!(mine.rx.recv().await.unwrap().order_id, "o2");
        assert_eq!(all.rx.len(), 3);
    }

    #[tokio::test]
    async fn a_subscriber_that_does_not_read_is_dropped_and_the_others_still_get_everything() {
        let hub = Hub::new(2);
        let slow = hub.subscribe("ws", Filter::order("o1"));
        let mut fast = hub.subscribe("ws", Filter::order("o1"));

        for _ in 0..10 {
            hub.publish(change("o1", "c1"));
            assert!(fast.rx.recv().await.is_some());
        }

        assert!(slow.dropped().is_cancelled());
        assert_eq!(hub.len(), 1);
    }

    #[tokio::test]
    async fn a_closed_subscription_is_removed_at_once_and_filters_can_grow() {
        let hub = Hub::new(2);
        let sub = hub.subscribe("sse", Filter::default());
        assert_eq!(hub.publish(change("o9", "c9")), 0);
        sub.update(|f| {
            f.orders.insert("o9".to_owned());
        });
        assert_eq!(hub.publish(change("o9", "c9")), 1);
        drop(sub);
        assert!(hub.is_empty());
    }
}
