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
    assert_eq!(health["service"], "product-service");
    let deps: Vec<&str> = health["dependencies"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(deps, ["mongodb", "outbox-relay", "rabbitmq", "redis"]);

    let (status, body) = app.app.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let metrics = app.app.get_text("/metrics").await;
    assert!(
        metrics.contains("http_requests_total{service=\"product-service\""),
        "{metrics}"
    );

    app.stop().await;
}
