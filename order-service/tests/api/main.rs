//! order-service against the real MongoDB, RabbitMQ and Redis.

mod binary;

use std::time::Duration;

use order_service::{Config, DEFAULTS};
use shared::testing::{TestNames, service_config, spawn};

#[tokio::test]
async fn health_reports_every_dependency_up_and_metrics_count_requests() {
    let names = TestNames::new();
    let config = Config {
        service: service_config(DEFAULTS, &names),
    };
    let app = spawn(&config.service.clone(), |listener, cancel| {
        order_service::run(config, listener, cancel)
    })
    .await;

    let health = app.wait_healthy(Duration::from_secs(30)).await;
    assert_eq!(health["service"], "order-service");
    let deps: Vec<&str> = health["dependencies"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(deps, ["mongodb", "rabbitmq", "redis"]);

    let (status, body) = app.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let metrics = app.get_text("/metrics").await;
    assert!(
        metrics.contains("http_requests_total{service=\"order-service\""),
        "{metrics}"
    );

    app.stop_and_clean().await;
}
