//! alert-service against the real MongoDB and RabbitMQ.

mod backlog;
mod delivery;
mod erasure;
mod events;
mod gaps;
mod helpers;
mod live;
mod lookup;
mod mail;
mod notifications;
mod routes;
mod smtp;
mod subscriptions;
mod webhook;
mod wishlist;

use std::time::Duration;

use alert_service::{Config, DEFAULTS};
use shared::testing::{TestNames, service_config, spawn};

#[tokio::test]
async fn health_reports_every_dependency_up_and_metrics_count_requests() {
    let names = TestNames::new();
    let config = Config {
        service: service_config(DEFAULTS, &names),
        streams: Default::default(),
        webhook: None,
        mail: None,
        customers: None,
    };
    let app = spawn(&config.service.clone(), |listener, cancel| {
        alert_service::run(config, listener, cancel)
    })
    .await;

    let health = app.wait_healthy(Duration::from_secs(30)).await;
    assert_eq!(health["service"], "alert-service");
    let deps: Vec<&str> = health["dependencies"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(deps, ["mongodb", "outbox-relay", "rabbitmq", "redis"]);

    let (status, body) = app.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let metrics = app.get_text("/metrics").await;
    assert!(
        metrics.contains("http_requests_total{service=\"alert-service\""),
        "{metrics}"
    );

    app.stop_and_clean().await;
}
