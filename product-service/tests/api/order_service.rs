//! A bus on the test's exchange standing in for order-service: it publishes order events and
//! watches what product-service answers.

use std::sync::{Arc, Mutex};

use bson::oid::ObjectId;
use serde_json::{Value, json};
use shared::{
    events::{Bus, BusError, ConsumerSpec, Consuming, Envelope, keys},
    testing::{TestNames, bus_config, delete_topology, eventually},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::WAIT;

/// A bus on the test's exchange standing in for order-service, which also records every
/// event matching its patterns on a queue of its own.
pub struct OrderService {
    /// The bus.
    pub bus: Bus,
    cancel: CancellationToken,
    seen: Arc<Mutex<Vec<Envelope>>>,
    _consuming: Consuming,
}

impl OrderService {
    /// Connects and starts watching `patterns` (waiting until the watch queue is consumed).
    pub async fn start(names: &TestNames, patterns: &[&str]) -> Self {
        let cancel = CancellationToken::new();
        let bus = Bus::start(bus_config(names), "order-service", cancel.clone());
        assert!(bus.wait_connected(WAIT).await, "the test bus connected");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let consuming = bus.consume(ConsumerSpec::new("test.observer", patterns), move |event| {
            sink.lock().unwrap().push(event);
            std::future::ready(Ok(()))
        });
        assert!(
            consuming.wait_subscribed(WAIT).await,
            "the observer subscribed"
        );
        Self {
            bus,
            cancel,
            seen,
            _consuming: consuming,
        }
    }

    /// Publishes, retrying while the broker is not reachable yet.
    pub async fn publish(&self, event: &Envelope) {
        eventually("the event to be published", WAIT, || async {
            match self.bus.publish(event).await {
                Ok(()) => Some(()),
                Err(BusError::Unroutable(_) | BusError::Unavailable) => None,
                Err(e) => panic!("publish failed: {e}"),
            }
        })
        .await;
    }

    /// Every event seen so far of type `kind`.
    pub fn seen(&self, kind: &str) -> Vec<Envelope> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    /// Every event seen so far of type `kind` about the order `order_id`.
    pub fn seen_for(&self, kind: &str, order_id: &str) -> Vec<Envelope> {
        self.seen(kind)
            .into_iter()
            .filter(|e| e.data["orderId"] == order_id)
            .collect()
    }

    /// Waits for the first event of type `kind` that `matches`.
    pub async fn wait_for(&self, kind: &str, matches: impl Fn(&Value) -> bool) -> Envelope {
        eventually(&format!("a {kind} event"), WAIT, || async {
            self.seen(kind).into_iter().find(|e| matches(&e.data))
        })
        .await
    }

    /// Waits until at least `n` events of type `kind` were seen.
    pub async fn wait_count(&self, kind: &str, n: usize) {
        eventually(&format!("{n} {kind} events"), WAIT, || async {
            (self.seen(kind).len() >= n).then_some(())
        })
        .await;
    }

    /// Stops and deletes what the test declared on the broker.
    pub async fn stop(self) {
        self.cancel.cancel();
        delete_topology(&self.bus).await;
    }
}

/// An `order.created` event for one order.
pub fn order_created(order_id: &str, items: &[(&str, i64)]) -> Envelope {
    let items: Vec<Value> = items
        .iter()
        .map(|(product, quantity)| json!({ "productId": product, "quantity": quantity }))
        .collect();
    Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        format!("req-{order_id}"),
        json!({ "orderId": order_id, "customerId": "customer-1", "items": items }),
    )
}

/// An `order.cancelled` event for one order.
pub fn order_cancelled(order_id: &str) -> Envelope {
    Envelope::new(
        keys::ORDER_CANCELLED,
        "order-service",
        format!("req-cancel-{order_id}"),
        json!({ "orderId": order_id }),
    )
}

/// A fresh order id.
pub fn new_order_id() -> String {
    ObjectId::new().to_hex()
}

/// Publishes an order for one unit of `product` and waits for its `stock.reserved`: every
/// order event published before it has been handled, and every answer to them published.
pub async fn marker(orders: &OrderService, product: &str) {
    let order_id = new_order_id();
    orders
        .publish(&order_created(&order_id, &[(product, 1)]))
        .await;
    orders
        .wait_for(keys::STOCK_RESERVED, |d| d["orderId"] == order_id.as_str())
        .await;
}
