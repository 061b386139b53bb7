//! The in-process fan-out: subscribers, each with a filter and a bounded buffer.
//!
//! Publishing never waits: an alert is offered to every matching subscriber with `try_send`.
//! A subscriber whose buffer is full is too slow; it is removed at once (logged, counted in
//! `alert_live_dropped_total`) and its `dropped` token fires, so its connection ends even if
//! it is stuck writing to a client that does not read. Dropping a [`Subscription`] removes it
//! at once. `alert_live_streams` counts the open ones.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::domain::{Alert, Topic};

/// Which alerts a subscriber wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The topics followed.
    pub topics: HashSet<Topic>,
    /// Only this customer's alerts (customers); `None` for admins.
    pub customer: Option<String>,
}

impl Filter {
    /// Every topic, for `customer` (or everyone's, with `None`).
    pub fn all(customer: Option<String>) -> Self {
        Self {
            topics: Topic::ALL.into_iter().collect(),
            customer,
        }
    }

    /// Whether `alert` is wanted.
    pub fn matches(&self, alert: &Alert) -> bool {
        self.topics.contains(&alert.topic)
            && self
                .customer
                .as_ref()
                .is_none_or(|c| alert.customer_id.as_ref() == Some(c))
    }

    /// The same filter for stored alerts.
    pub fn to_store(&self) -> crate::store::alerts::Filter {
        let mut topics: Vec<Topic> = self.topics.iter().copied().collect();
        topics.sort();
        crate::store::alerts::Filter {
            customer_id: self.customer.clone(),
            topics: Some(topics),
            ..Default::default()
        }
    }
}

struct Entry {
    filter: Filter,
    tx: mpsc::Sender<Arc<Alert>>,
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
    /// A hub whose subscribers buffer `buffer` alerts each.
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
        // Every operation on the map is a single insert, update or remove, so a poisoned
        // lock still guards a consistent map.
        self.inner
            .subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new subscriber wanting `filter`.
    pub fn subscribe(&self, filter: Filter) -> Subscription {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.inner.buffer);
        let dropped = CancellationToken::new();
        self.lock().insert(
            id,
            Entry {
                filter,
                tx,
                dropped: dropped.clone(),
            },
        );
        metrics::gauge!("alert_live_streams", "kind" => "ws").increment(1.0);
        Subscription {
            id,
            hub: self.clone(),
            rx,
            dropped,
        }
    }

    /// Offers `alert` to every matching subscriber without waiting; returns how many took it.
    pub fn publish(&self, alert: Arc<Alert>) -> usize {
        let mut subscribers = self.lock();
        let mut reached = 0;
        let mut gone = Vec::new();
        for (id, entry) in subscribers.iter() {
            if !entry.filter.matches(&alert) {
                continue;
            }
            match entry.tx.try_send(alert.clone()) {
                Ok(()) => reached += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(subscriber = id, alert.id = %alert.id,
                        "alert client too slow: buffer full; dropping it");
                    metrics::counter!("alert_live_dropped_total", "kind" => "ws").increment(1);
                    entry.dropped.cancel();
                    gone.push(*id);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => gone.push(*id),
            }
        }
        for id in gone {
            if subscribers.remove(&id).is_some() {
                metrics::gauge!("alert_live_streams", "kind" => "ws").decrement(1.0);
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
        if self.lock().remove(&id).is_some() {
            metrics::gauge!("alert_live_streams", "kind" => "ws").decrement(1.0);
        }
    }
}

/// One subscriber's end: its buffer, and its place in the hub until dropped.
pub struct Subscription {
    id: u64,
    hub: Hub,
    /// The alerts, in the order they were published.
    pub rx: mpsc::Receiver<Arc<Alert>>,
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
    use super::*;
    use crate::domain::{Entity, Severity};

    fn alert(topic: Topic, customer: Option<&str>) -> Arc<Alert> {
        Arc::new(Alert {
            id: "a".to_owned(),
            sequence: 1,
            kind: "order.created".to_owned(),
            topic,
            severity: Severity::Info,
            title: "t".to_owned(),
            message: "m".to_owned(),
            entity: Entity {
                kind: "order".to_owned(),
                id: "o".to_owned(),
            },
            customer_id: customer.map(str::to_owned),
            event_id: "e".to_owned(),
            created_at: "2026-01-01T00:00:00.000Z".to_owned(),
            acknowledged: false,
            acknowledged_at: None,
            acknowledged_by: None,
        })
    }

    #[tokio::test]
    async fn admins_get_their_topics_and_customers_only_their_own_alerts() {
        let hub = Hub::new(8);
        let stock = hub.subscribe(Filter {
            topics: HashSet::from([Topic::Stock]),
            customer: None,
        });
        let everything = hub.subscribe(Filter::all(None));
        let mine = hub.subscribe(Filter::all(Some("c1".to_owned())));

        assert_eq!(hub.publish(alert(Topic::Orders, Some("c1"))), 2);
        assert_eq!(hub.publish(alert(Topic::Stock, None)), 2);
        assert_eq!(hub.publish(alert(Topic::Orders, Some("c2"))), 1);

        assert_eq!(stock.rx.len(), 1);
        assert_eq!(everything.rx.len(), 3);
        assert_eq!(mine.rx.len(), 1);
    }

    #[tokio::test]
    async fn a_subscriber_that_does_not_read_is_dropped_and_the_others_still_get_everything() {
        let hub = Hub::new(2);
        let slow = hub.subscribe(Filter::all(None));
        let mut fast = hub.subscribe(Filter::all(None));

        for _ in 0..10 {
            hub.publish(alert(Topic::Orders, None));
            assert!(fast.rx.recv().await.is_some());
        }

        assert!(slow.dropped().is_cancelled());
        assert_eq!(hub.len(), 1);
    }
}
