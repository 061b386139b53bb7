//! alert-service's live fan-out: the shared [`shared::live::Hub`] over alert filters, carrying
//! alerts and (topic `me`) the subscriber's own notifications.
//! Metrics: `alert_live_streams`, `alert_live_dropped_total` (kind `ws`).

use std::{collections::HashSet, sync::Arc};

use crate::domain::{Alert, Topic, notification::Notification};

/// What the hub carries.
#[derive(Debug, Clone)]
pub enum Live {
    /// An alert (`alert.sent`).
    Alert(Arc<Alert>),
    /// A customer's notification (`notification.created`), for that customer's `me` topic.
    Notification(Arc<Notification>),
}

/// Which alerts a subscriber wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The topics followed.
    pub topics: HashSet<Topic>,
    /// Only this customer's alerts (customers); `None` for admins.
    pub customer: Option<String>,
    /// Topic `me`: the notifications of this user (the caller themself, admin or not).
    pub me: Option<String>,
}

impl Filter {
    /// Every topic, for `customer` (or everyone's, with `None`), without `me`.
    pub fn all(customer: Option<String>) -> Self {
        Self {
            topics: Topic::ALL.into_iter().collect(),
            customer,
            me: None,
        }
    }

    /// Whether `notification` is wanted: only by its own customer, on topic `me`.
    pub fn wants_notification(&self, notification: &Notification) -> bool {
        self.me.as_deref() == Some(notification.customer_id.as_str())
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

impl shared::live::Filter for Filter {
    const STREAMS_GAUGE: &'static str = "alert_live_streams";
    const DROPPED_COUNTER: &'static str = "alert_live_dropped_total";
}

/// The fan-out of one process ([`shared::live::Hub`]). Cheap to clone.
pub type Hub = shared::live::Hub<Filter, Live>;

/// One subscriber's end ([`shared::live::Subscription`]).
pub type Subscription = shared::live::Subscription<Filter, Live>;

/// Offers `alert` to every subscriber that wants it; returns how many took it.
pub fn publish(hub: &Hub, alert: Arc<Alert>) -> usize {
    hub.publish(
        |filter| filter.matches(&alert),
        || Arc::new(Live::Alert(alert.clone())),
    )
}

/// Offers `notification` to its customer's `me` subscribers; returns how many took it.
pub fn publish_notification(hub: &Hub, notification: Arc<Notification>) -> usize {
    hub.publish(
        |filter| filter.wants_notification(&notification),
        || Arc::new(Live::Notification(notification.clone())),
    )
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
        let stock = hub.subscribe(
            "ws",
            Filter {
                topics: HashSet::from([Topic::Stock]),
                customer: None,
                me: None,
            },
        );
        let everything = hub.subscribe("ws", Filter::all(None));
        let mine = hub.subscribe("ws", Filter::all(Some("c1".to_owned())));

        assert_eq!(publish(&hub, alert(Topic::Orders, Some("c1"))), 2);
        assert_eq!(publish(&hub, alert(Topic::Stock, None)), 2);
        assert_eq!(publish(&hub, alert(Topic::Orders, Some("c2"))), 1);

        assert_eq!(stock.rx.len(), 1);
        assert_eq!(everything.rx.len(), 3);
        assert_eq!(mine.rx.len(), 1);
    }

    fn notification(customer: &str) -> Arc<Notification> {
        Arc::new(Notification {
            id: "n".to_owned(),
            customer_id: customer.to_owned(),
            kind: crate::domain::notification::Kind::OrderPlaced,
            category: crate::domain::notification::Category::Orders,
            title: "t".to_owned(),
            message: "m".to_owned(),
            order_id: None,
            details: serde_json::Map::new(),
            read: false,
            read_at: None,
            created_at: "2026-01-01T00:00:00.000Z".to_owned(),
            event_id: "e".to_owned(),
        })
    }

    #[tokio::test]
    async fn a_notification_reaches_only_its_own_customers_me_topic() {
        let hub = Hub::new(8);
        let admin_everything = hub.subscribe("ws", Filter::all(None));
        let mine_without_me = hub.subscribe("ws", Filter::all(Some("c1".to_owned())));
        let mut me = Filter::all(Some("c1".to_owned()));
        me.me = Some("c1".to_owned());
        let mine = hub.subscribe("ws", me);

        assert_eq!(publish_notification(&hub, notification("c1")), 1);
        assert_eq!(publish_notification(&hub, notification("c2")), 0);

        assert_eq!(mine.rx.len(), 1);
        assert!(admin_everything.rx.is_empty());
        assert!(mine_without_me.rx.is_empty());
    }
}
