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
    app.assert_health_errors_and_metrics(
        &health,
        &["mongodb", "outbox-relay", "rabbitmq", "redis"],
    )
    .await;

    app.stop_and_clean().await;
}
