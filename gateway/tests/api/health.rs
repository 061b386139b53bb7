//! `/api/health` aggregates every service.

use std::time::Duration;

use shared::testing::{Spawned, TestNames, service_config, spawn};

use crate::helpers::{closed_port_url, spawn_gateway};

macro_rules! spawn_service {
    ($krate:ident, $names:expr) => {{
        let mut config = $krate::Config::from_env(&shared::config::Env::from_pairs(&[(
            "APP_ENV",
            "development",
        )]))
        .expect("defaults");
        config.service = service_config($krate::DEFAULTS, $names);
        let service = config.service.clone();
        spawn(&service, |listener, cancel| {
            $krate::run(config, listener, cancel)
        })
        .await
    }};
}

#[tokio::test]
async fn api_health_is_ok_when_every_service_is_up() {
    let names = TestNames::new();
    let services: Vec<(&str, Spawned)> = vec![
        (
            "CUSTOMER_SERVICE_URL",
            spawn_service!(customer_service, &names),
        ),
        (
            "PRODUCT_SERVICE_URL",
            spawn_service!(product_service, &names),
        ),
        ("ORDER_SERVICE_URL", spawn_service!(order_service, &names)),
        ("ALERT_SERVICE_URL", spawn_service!(alert_service, &names)),
        (
            "ANALYTICS_SERVICE_URL",
            spawn_service!(analytics_service, &names),
        ),
        (
            "ASSISTANT_SERVICE_URL",
            spawn_service!(assistant_service, &names),
        ),
    ];
    let upstreams: Vec<(&str, String)> = services
        .iter()
        .map(|(v, s)| (*v, s.base_url.clone()))
        .collect();
    let gw = spawn_gateway(&upstreams).await;
    let gateway = &gw.app;

    let health =
        shared::testing::eventually("every service ok", Duration::from_secs(30), || async {
            let (status, body) = gateway.get("/api/health").await;
            assert_eq!(status, 200);
            (body["data"]["status"] == "ok").then_some(body["data"].clone())
        })
        .await;

    let reported: Vec<&String> = health["services"].as_object().unwrap().keys().collect();
    assert_eq!(reported.len(), 6, "{health}");
    for (name, report) in health["services"].as_object().unwrap() {
        assert_eq!(report["service"], name.as_str(), "{health}");
        assert_eq!(report["status"], "ok", "{health}");
    }
    assert_eq!(health["gateway"]["dependencies"]["redis"], "up");

    gw.stop().await;
    for (_, service) in services {
        service.stop_and_clean().await;
    }
}

#[tokio::test]
async fn an_unreachable_service_answers_503_at_once_and_shows_down() {
    let gw = spawn_gateway(&[("ORDER_SERVICE_URL", closed_port_url())]).await;
    let gateway = &gw.app;

    let started = std::time::Instant::now();
    let res = gateway
        .client
        .get(gateway.url("/api/orders/65a1b2c3d4e5f60718293a4b"))
        .header("authorization", gw.bearer(shared::auth::Role::Customer))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["code"], "UPSTREAM_UNAVAILABLE");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );

    let (status, body) = gateway.get("/api/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["status"], "degraded");
    assert_eq!(body["data"]["services"]["order-service"]["status"], "down");

    gw.stop().await;
}

#[tokio::test]
async fn a_service_that_hangs_answers_503_within_the_timeout_while_others_keep_working() {
    let hanging = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hanging_url = format!("http://{}", hanging.local_addr().unwrap());
    // Accepts connections and never answers.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hanging.accept().await {
            held.push(socket);
        }
    });
    let echo = crate::helpers::spawn_echo().await;
    let gw = crate::helpers::spawn_gateway_with(
        &[
            ("ORDER_SERVICE_URL", hanging_url),
            ("PRODUCT_SERVICE_URL", echo.url.clone()),
        ],
        &[("UPSTREAM_TIMEOUT_MS", "300")],
    )
    .await;
    let customer = gw.bearer(shared::auth::Role::Customer);

    let started = std::time::Instant::now();
    let hung = gw
        .app
        .client
        .get(gw.app.url("/api/orders/65a1b2c3d4e5f60718293a4b"))
        .header("authorization", &customer)
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    let (other, _) = gw.app.get("/api/products/65a1b2c3d4e5f60718293a4b").await;

    assert_eq!(hung.status(), 503);
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    assert_eq!(other, 200, "another service's routes keep working");
    gw.stop().await;
}
