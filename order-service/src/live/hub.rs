//! order-service's live fan-out: the shared [`shared::live::Hub`] over order filters, its
//! messages made once per change ([`LiveChange`]). Metrics: `order_live_streams`,
//! `order_live_dropped_total` (by `kind`, `sse` or `ws`).

use std::{collections::HashSet, sync::Arc};

use axum::extract::ws::Utf8Bytes;

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

impl shared::live::Filter for Filter {
    const STREAMS_GAUGE: &'static str = "order_live_streams";
    const DROPPED_COUNTER: &'static str = "order_live_dropped_total";
}

/// The fan-out of one process ([`shared::live::Hub`]). Cheap to clone.
pub type Hub = shared::live::Hub<Filter, LiveChange>;

/// One subscriber's end ([`shared::live::Subscription`]).
pub type Subscription = shared::live::Subscription<Filter, LiveChange>;

/// Offers `change` to every subscriber that follows it; returns how many took it.
pub fn publish(hub: &Hub, change: Arc<StatusChanged>) -> usize {
    hub.publish(
        |filter| filter.matches(&change),
        || Arc::new(LiveChange::new(change.clone())),
    )
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

        assert_eq!(publish(&hub, change("o1", "c1")), 3);
        assert_eq!(publish(&hub, change("o2", "c1")), 2);
        assert_eq!(publish(&hub, change("o3", "c2")), 1);

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
    async fn a_closed_subscription_is_removed_at_once_and_filters_can_grow() {
        let hub = Hub::new(2);
        let sub = hub.subscribe("sse", Filter::default());
        assert_eq!(publish(&hub, change("o9", "c9")), 0);
        sub.update(|f| {
            f.orders.insert("o9".to_owned());
        });
        assert_eq!(publish(&hub, change("o9", "c9")), 1);
        drop(sub);
        assert!(hub.is_empty());
    }
}
