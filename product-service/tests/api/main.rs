//! product-service against the real MongoDB (or its stand-in), RabbitMQ and Redis.

mod cache;
mod categories;
mod crud;
mod events;
mod gaps;
mod handed;
mod helpers;
mod holds;
mod images;
mod listing;
mod live_stock;
mod locations;
mod order_service;
mod recovery;
mod releases;
mod replicas;
mod restock;
mod reviews;
mod semantic;
mod stock;
mod variants;

use std::time::Duration;

use helpers::spawn_app;

#[tokio::test]
async fn health_reports_every_dependency_up_and_metrics_count_requests() {
    let app = spawn_app().await;

    let health = app.app.wait_healthy(Duration::from_secs(30)).await;
    app.app
        .assert_health_errors_and_metrics(
            &health,
            &["mongodb", "outbox-relay", "rabbitmq", "redis"],
        )
        .await;

    app.stop().await;
}
