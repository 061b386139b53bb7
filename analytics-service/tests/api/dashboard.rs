//! `/dashboard/business-metrics` compares the right periods; `/dashboard/performance` reads
//! every service's `/metrics`.

use axum::{Router, routing::get};
use serde_json::json;

use crate::helpers::{events::created, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_business_trend_compares_the_period_with_the_one_of_the_same_length_before_it() {
    let app = spawn_app().await;
    app.publish_all(&[
        // Before the previous period: never counted.
        created("x", "c", "2026-02-21T12:00:00.000Z", &[("p", 1, 1000.0)]),
        // The previous period, 2026-02-22..28: 20.00 in two orders.
        created("a", "c", "2026-02-22T00:00:00.000Z", &[("p", 1, 5.0)]),
        created("b", "c", "2026-02-28T23:59:59.999Z", &[("p", 1, 15.0)]),
        // The period, 2026-03-01..07: 30.00 in three orders.
        created("c", "c", "2026-03-01T00:00:00.000Z", &[("p", 1, 10.0)]),
        created("d", "c", "2026-03-04T00:00:00.000Z", &[("p", 2, 5.0)]),
        created("e", "c", "2026-03-07T23:59:59.999Z", &[("p", 1, 10.0)]),
        // After the period: never counted.
        created("y", "c", "2026-03-08T00:00:00.000Z", &[("p", 1, 1000.0)]),
    ])
    .await;

    let body = app
        .data("/dashboard/business-metrics?from=2026-03-01&to=2026-03-07")
        .await;

    assert_eq!(
        body["period"],
        json!({"from": "2026-03-01", "to": "2026-03-07", "days": 7})
    );
    assert_eq!(
        body["previousPeriod"],
        json!({"from": "2026-02-22", "to": "2026-02-28", "days": 7})
    );
    assert_eq!(body["revenue"], 30.0);
    assert_eq!(body["orderCount"], 3);
    assert_eq!(body["averageOrderValue"], 10.0);
    assert_eq!(
        body["previous"],
        json!({"revenue": 20.0, "orderCount": 2, "averageOrderValue": 10.0})
    );
    assert_eq!(
        body["trend"],
        json!({"revenue": 50.0, "orderCount": 50.0, "averageOrderValue": 0.0})
    );
    let (status, body) = app
        .get("/dashboard/business-metrics?days=0", Some(&app.admin))
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["days"].is_string());

    app.stop().await;
}

const ORDER_METRICS: &str = r#"# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{service="order-service",method="POST",route="/orders",status="201",le="0.05"} 8
http_request_duration_seconds_bucket{service="order-service",method="POST",route="/orders",status="201",le="0.25"} 10
http_request_duration_seconds_bucket{service="order-service",method="POST",route="/orders",status="201",le="+Inf"} 10
http_request_duration_seconds_count{service="order-service",method="POST",route="/orders",status="201"} 10
order_live_streams{kind="ws"} 2
order_live_streams{kind="sse"} 1
"#;

#[tokio::test]
async fn performance_gathers_every_services_metrics_and_reports_the_unreachable_ones_down() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let orders = format!("http://{}", listener.local_addr().unwrap());
    let fake = Router::new().route("/metrics", get(|| async { ORDER_METRICS }));
    tokio::spawn(async move { axum::serve(listener, fake).await });
    let app = spawn_app_with(|config| {
        config.services = vec![
            ("order-service".to_owned(), orders.clone()),
            (
                "product-service".to_owned(),
                "http://127.0.0.1:9".to_owned(),
            ),
            (
                "analytics-service".to_owned(),
                "http://in-process".to_owned(),
            ),
        ];
    })
    .await;
    app.data("/analytics/dashboard-metrics").await;

    let body = app.data("/dashboard/performance").await;

    let services = body["services"].as_array().unwrap();
    let order = &services[0];
    assert_eq!(order["up"], true);
    assert_eq!(order["openStreams"], 3.0);
    let route = &order["routes"][0];
    assert_eq!(route["route"], "/orders");
    assert_eq!(route["requests"], 10);
    assert_eq!(route["errorRate"], 0.0);
    assert_eq!(route["p50Ms"], 31.25);
    assert_eq!(services[1]["up"], false);
    assert!(services[1]["error"].is_string());
    let own = &services[2];
    assert_eq!(own["up"], true);
    assert!(
        own["routes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["route"] == "/analytics/dashboard-metrics"),
        "{own}"
    );

    app.stop().await;
}
