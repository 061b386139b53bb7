//! Events from another service reach analytics through RabbitMQ, once, and survive a broker
//! outage.

use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::{TcpProxy, TestNames, amqp_url, delete_topology, socket_addr_of},
};

use crate::helpers::{WAIT, publish, publisher, spawn_analytics, wait_logged};

fn registered(email: &str) -> Envelope {
    Envelope::new(
        keys::CUSTOMER_REGISTERED,
        "customer-service",
        "req-1",
        json!({ "customerId": uuid::Uuid::new_v4().simple().to_string(), "name": "Ada",
            "email": email, "registeredAt": "2026-01-01T10:00:00.000Z" }),
    )
}

#[tokio::test]
async fn an_event_from_another_service_is_recorded_once_even_when_delivered_twice() {
    let names = TestNames::new();
    let app = spawn_analytics(&names, None).await;
    app.wait_healthy(WAIT).await;
    let (customer_bus, cancel) = publisher(&names, "customer-service").await;
    let event = registered("ada@example.com");

    publish(&customer_bus, &event).await;
    publish(&customer_bus, &event).await;

    let entries = wait_logged(&app, event.id).await;
    assert_eq!(entries[0].get_str("type").unwrap(), "customer.registered");
    assert_eq!(entries[0].get_str("source").unwrap(), "customer-service");
    assert_eq!(
        entries[0]
            .get_document("data")
            .unwrap()
            .get_str("email")
            .unwrap(),
        "ada@example.com"
    );
    // The duplicate is consumed after the original (one queue, in order): once a later event is
    // logged, the duplicate has been processed too.
    let marker = registered("marker@example.com");
    publish(&customer_bus, &marker).await;
    wait_logged(&app, marker.id).await;
    assert_eq!(crate::helpers::logged(&app, event.id).await.len(), 1);
    let metrics = app.get_text("/metrics").await;
    let consumed = format!(
        "events_consumed_total{{queue=\"{}.analytics.events\"}} 3",
        names.exchange
    );
    assert!(metrics.contains(&consumed), "{consumed} not in\n{metrics}");

    cancel.cancel();
    delete_topology(&customer_bus).await;
    app.stop_and_clean().await;
}

#[tokio::test]
async fn losing_the_broker_degrades_health_and_its_return_loses_nothing() {
    let names = TestNames::new();
    let proxy = TcpProxy::start(socket_addr_of(&amqp_url(), 5672))
        .await
        .unwrap();
    let app = spawn_analytics(&names, Some(proxy.rewrite(&amqp_url()))).await;
    app.wait_healthy(WAIT).await;
    let (customer_bus, cancel) = publisher(&names, "customer-service").await;
    let before = registered("before@example.com");
    publish(&customer_bus, &before).await;
    wait_logged(&app, before.id).await;

    proxy.sever();
    let health = app.wait_status("degraded", WAIT).await;
    assert_eq!(health["dependencies"]["rabbitmq"], "down");
    assert_eq!(health["dependencies"]["mongodb"], "up");
    let during = registered("during@example.com");
    publish(&customer_bus, &during).await;

    proxy.restore();
    let health = app.wait_healthy(WAIT).await;
    assert_eq!(health["dependencies"]["rabbitmq"], "up");
    wait_logged(&app, during.id).await;
    let after = registered("after@example.com");
    publish(&customer_bus, &after).await;
    wait_logged(&app, after.id).await;

    cancel.cancel();
    delete_topology(&customer_bus).await;
    app.stop_and_clean().await;
}
