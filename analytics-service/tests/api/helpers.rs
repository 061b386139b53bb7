//! Spawning analytics-service, a publisher standing in for another service, and reading the
//! event log.

use std::time::Duration;

use analytics_service::{Config, DEFAULTS};
use bson::{Document, doc};
use shared::{
    events::{Bus, BusError, Envelope},
    testing::{Spawned, TestNames, bus_config, eventually, service_config, spawn},
};
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(30);

/// analytics-service on a random port; `amqp_url` replaces the broker URL when given.
pub async fn spawn_analytics(names: &TestNames, amqp_url: Option<String>) -> Spawned {
    let mut service = service_config(DEFAULTS, names);
    if let (Some(url), Some(broker)) = (amqp_url, service.broker.as_mut()) {
        broker.url = url;
    }
    let config = Config::for_tests(service.clone(), "http://127.0.0.1:9");
    spawn(&service, |listener, cancel| {
        analytics_service::run(config, listener, cancel)
    })
    .await
}

/// Another service's bus on the same exchange.
pub async fn publisher(names: &TestNames, source: &str) -> (Bus, CancellationToken) {
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(names), source, cancel.clone());
    assert!(bus.wait_connected(WAIT).await, "the publisher connected");
    (bus, cancel)
}

/// Publishes, retrying while no queue is bound yet (the consumer may still be subscribing).
pub async fn publish(bus: &Bus, event: &Envelope) {
    eventually("the event to be routed", WAIT, || async {
        match bus.publish(event).await {
            Ok(()) => Some(()),
            Err(BusError::Unroutable(_) | BusError::Unavailable) => None,
            Err(e) => panic!("publish failed: {e}"),
        }
    })
    .await;
}

/// The event log entries with `_id` = `id`.
pub async fn logged(app: &Spawned, id: uuid::Uuid) -> Vec<Document> {
    let mongo = app.config.mongo.as_ref().expect("analytics has a database");
    let db = shared::store::mongo(mongo, "test").await.expect("database");
    let mut cursor = db
        .collection::<Document>(analytics_service::events::EVENT_LOG)
        .find(doc! { "_id": id.to_string() })
        .await
        .expect("query the event log");
    let mut found = Vec::new();
    while cursor.advance().await.expect("cursor") {
        found.push(cursor.deserialize_current().expect("document"));
    }
    found
}

/// Waits until the event is in the log, and returns its entries.
pub async fn wait_logged(app: &Spawned, id: uuid::Uuid) -> Vec<Document> {
    eventually("the event in the log", WAIT, || async {
        let found = logged(app, id).await;
        (!found.is_empty()).then_some(found)
    })
    .await
}
