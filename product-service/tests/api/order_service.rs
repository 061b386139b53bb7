//! A bus on the test's exchange standing in for order-service: it watches what
//! product-service publishes.

use std::sync::{Arc, Mutex};

use serde_json::Value;
use shared::{
    events::{Bus, ConsumerSpec, Consuming, Envelope},
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

    /// Waits for the first event of type `kind` that `matches`.
    pub async fn wait_for(&self, kind: &str, matches: impl Fn(&Value) -> bool) -> Envelope {
        eventually(&format!("a {kind} event"), WAIT, || async {
            self.seen(kind).into_iter().find(|e| matches(&e.data))
        })
        .await
    }

    /// Stops and deletes what the test declared on the broker.
    pub async fn stop(self) {
        self.cancel.cancel();
        delete_topology(&self.bus).await;
    }
}
