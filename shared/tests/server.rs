//! Serving a service: start-up without dependencies, graceful shutdown, and answers in the
//! envelope for bad input and panics.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    routing::{get, post},
};
use serde_json::Value;
use shared::{
    config::ServiceDefaults,
    extract::AppJson,
    server::run_service,
    testing::{TestNames, service_config, spawn},
};
use tokio::sync::Notify;

const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "test-service",
    port: 0,
    database: Some("unused"),
    uses_broker: true,
    uses_redis: true,
};

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Item {
    quantity: u32,
}

async fn panics() -> &'static str {
    panic!("boom: secret detail")
}

fn routes(entered: Arc<Notify>, release: Arc<Notify>) -> Router {
    Router::new()
        .route(
            "/slow",
            get(move || async move {
                entered.notify_one();
                release.notified().await;
                "finished"
            }),
        )
        .route("/panic", get(panics))
        .route(
            "/items",
            post(|AppJson(item): AppJson<Item>| async move { item.quantity.to_string() }),
        )
}

#[tokio::test]
async fn a_service_starts_and_reports_every_dependency_down_when_none_is_reachable() {
    let mut config = service_config(DEFAULTS, &TestNames::new());
    config.mongo.as_mut().unwrap().uri = format!("mongodb://127.0.0.1:{}", closed_port());
    config.broker.as_mut().unwrap().url =
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", closed_port());
    config.redis.as_mut().unwrap().url = format!("redis://127.0.0.1:{}", closed_port());
    let run_config = config.clone();
    let app = spawn(&config, |listener, cancel| async move {
        run_service(&run_config, listener, cancel, |_| Router::new()).await
    })
    .await;

    let started = std::time::Instant::now();
    let health = app.health().await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "health took {:?}",
        started.elapsed()
    );
    assert_eq!(health["status"], "degraded");
    for dependency in ["mongodb", "rabbitmq", "redis"] {
        assert_eq!(health["dependencies"][dependency], "down", "{health}");
    }
    app.stop_and_clean().await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish_and_then_stops_listening() {
    let config = service_config(
        ServiceDefaults {
            database: None,
            uses_broker: false,
            uses_redis: false,
            ..DEFAULTS
        },
        &TestNames::new(),
    );
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let router = routes(entered.clone(), release.clone());
    let run_config = config.clone();
    let app = spawn(&config, |listener, cancel| async move {
        run_service(&run_config, listener, cancel, |_| router).await
    })
    .await;
    let in_flight = tokio::spawn({
        let (client, url) = (app.client.clone(), app.url("/slow"));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    });
    tokio::time::timeout(Duration::from_secs(10), entered.notified())
        .await
        .expect("the request is in flight");

    app.cancel.cancel();
    release.notify_one();

    assert_eq!(in_flight.await.unwrap(), "finished");
    let url = app.url("/health");
    shared::testing::eventually("the listener to close", Duration::from_secs(10), || async {
        // A new client each time: a pooled connection could outlive the listener.
        shared::http::client_builder(&shared::http::Trust::system())
            .build()
            .expect("a client")
            .get(&url)
            .send()
            .await
            .is_err()
            .then_some(())
    })
    .await;
    app.stop_and_clean().await;
}

#[tokio::test]
async fn bad_input_and_panics_answer_in_the_envelope() {
    let config = service_config(
        ServiceDefaults {
            database: None,
            uses_broker: false,
            uses_redis: false,
            ..DEFAULTS
        },
        &TestNames::new(),
    );
    let router = routes(Arc::new(Notify::new()), Arc::new(Notify::new()));
    let run_config = config.clone();
    let app = spawn(&config, |listener, cancel| async move {
        run_service(&run_config, listener, cancel, |_| router).await
    })
    .await;
    let post = |body: &'static str, content_type: &'static str| {
        let request = app
            .client
            .post(app.url("/items"))
            .header("content-type", content_type)
            .body(body);
        async move {
            let res = request.send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    let (status, body) = post(r#"{"quantity": -2}"#, "application/json").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert!(body["error"]["details"]["quantity"].is_string(), "{body}");

    let (status, body) = post(r#"{"quantity": 2"#, "application/json").await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["body"].is_string(), "{body}");

    let (status, body) = post(r#"{"quantity": 2}"#, "text/plain").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["details"]["content-type"].is_string(),
        "{body}"
    );

    let (status, body) = post(r#"{"quantity": 2}"#, "application/json").await;
    assert_eq!((status, body), (200, Value::from(2)));

    let (status, body) = app.get("/panic").await;
    assert_eq!(status, 500);
    assert_eq!(body["error"]["code"], "INTERNAL");
    assert!(!body.to_string().contains("secret detail"), "{body}");

    let (status, body) = app.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    app.stop_and_clean().await;
}
