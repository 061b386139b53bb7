//! analytics-service against the real MongoDB and RabbitMQ.

mod access;
mod aftersales;
mod clickstream;
mod dashboard;
mod dead_letters;
mod events;
mod gaps;
mod helpers;
mod live;
mod read_models;
mod rebuild;
mod reports;
mod revenue;
mod sales_report;
mod weekly;

use std::time::Duration;

use analytics_service::{Config, DEFAULTS};
use shared::testing::{TestNames, service_config, spawn};

#[tokio::test]
async fn health_reports_every_dependency_up_and_metrics_count_requests() {
    let names = TestNames::new();
    let config = Config::for_tests(service_config(DEFAULTS, &names), "http://127.0.0.1:9");
    let app = spawn(&config.service.clone(), |listener, cancel| {
        analytics_service::run(config, listener, cancel)
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
