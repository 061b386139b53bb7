//! Replicas proven safe (issue 18): two order-services and two product-services on one
//! database and exchange, behind two gateways that are each given both URLs of each; and the
//! quotas, per gateway unless `RATE_LIMIT_REDIS` shares them.

use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    auth::KeySource,
    config::{Env, ServiceConfig, ServiceDefaults},
    testing::{Spawned, TestNames, eventually, service_config, spawn},
};

use crate::{
    helpers::{closed_port_url, spawn_gateway_named_with},
    suite_helpers::{SseStream, WAIT, data, next_event, transition},
};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "admin-replica-password";

/// One customer-service, two product- and two order-service replicas, two gateways.
struct Replicated {
    customers: Spawned,
    products: [Spawned; 2],
    orders: [Spawned; 2],
    gateways: [Spawned; 2],
    streaming: reqwest::Client,
    admin: String,
}

fn settings(defaults: ServiceDefaults, names: &TestNames) -> ServiceConfig {
    let mut service = service_config(defaults, names);
    if let Some(mongo) = service.mongo.as_mut() {
        mongo.database = format!("{}_{}", names.database, defaults.name.replace('-', "_"));
    }
    service
}

async fn spawn_products(names: &TestNames) -> Spawned {
    let config = product_service::Config {
        service: settings(product_service::DEFAULTS, names),
        embedding_model_dir: None,
    };
    let service = config.service.clone();
    spawn(&service, |l, c| product_service::run(config, l, c)).await
}

async fn spawn_orders(names: &TestNames, products: &str, customers: &str) -> Spawned {
    let mut config = order_service::Config::from_env(&Env::from_pairs(&[
        ("PRODUCT_SERVICE_URL", products),
        ("CUSTOMER_SERVICE_URL", customers),
        ("FULFILMENT_ENABLED", "false"),
        ("STREAM_HEARTBEAT_SECS", "1"),
    ]))
    .expect("order-service settings");
    config.service = settings(order_service::DEFAULTS, names);
    let service = config.service.clone();
    spawn(&service, |l, c| order_service::run(config, l, c)).await
}

async fn spawn_gateway(
    names: &TestNames,
    customers: &str,
    products: &str,
    orders: &str,
) -> Spawned {
    let closed = closed_port_url();
    let pairs = [
        ("CUSTOMER_SERVICE_URL", customers),
        ("PRODUCT_SERVICE_URL", products),
        ("ORDER_SERVICE_URL", orders),
        ("ALERT_SERVICE_URL", closed.as_str()),
        ("ANALYTICS_SERVICE_URL", closed.as_str()),
        ("ASSISTANT_SERVICE_URL", closed.as_str()),
        ("RATE_LIMIT_AUTH_PER_MIN", "100000"),
        ("RATE_LIMIT_CATALOG_PER_MIN", "100000"),
        ("RATE_LIMIT_DEFAULT_PER_MIN", "100000"),
        ("METRICS_ADDR", "off"),
    ];
    let mut config = gateway::Config::from_env(&Env::from_pairs(&pairs)).expect("gateway settings");
    config.service = service_config(gateway::DEFAULTS, names);
    config.service.auth = KeySource::Jwks(format!("{customers}/.well-known/jwks.json"));
    let service = config.service.clone();
    spawn(&service, |l, c| gateway::run(config, l, c)).await
}

impl Replicated {
    async fn start() -> Self {
        shared::telemetry::init_for_tests("gateway");
        let names = TestNames::new();
        let mut customer_config = customer_service::Config::from_env(&Env::from_pairs(&[
            ("APP_ENV", "development"),
            ("ADMIN_EMAIL", ADMIN_EMAIL),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("LOGIN_MAX_PER_CLIENT", "100000"),
            ("LOGIN_MAX_FAILURES", "100000"),
        ]))
        .expect("customer-service settings");
        customer_config.service = settings(customer_service::DEFAULTS, &names);
        customer_config.signer = names.signer.clone();
        let service = customer_config.service.clone();
        let customers = spawn(&service, |l, c| {
            customer_service::run(customer_config, l, c)
        })
        .await;
        let products = [spawn_products(&names).await, spawn_products(&names).await];
        let orders = [
            spawn_orders(&names, &products[0].base_url, &customers.base_url).await,
            spawn_orders(&names, &products[1].base_url, &customers.base_url).await,
        ];
        let both = |s: &[Spawned; 2]| format!("{},{}", s[0].base_url, s[1].base_url);
        let (product_urls, order_urls) = (both(&products), both(&orders));
        let gateways = [
            spawn_gateway(&names, &customers.base_url, &product_urls, &order_urls).await,
            spawn_gateway(&names, &customers.base_url, &product_urls, &order_urls).await,
        ];
        for app in [&customers]
            .into_iter()
            .chain(&products)
            .chain(&orders)
            .chain(&gateways)
        {
            app.wait_healthy(WAIT).await;
        }
        let streaming = shared::http::client_builder(&shared::http::Trust::system())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("a streaming client");
        let mut shop = Self {
            customers,
            products,
            orders,
            gateways,
            streaming,
            admin: String::new(),
        };
        shop.admin = eventually("the admin account to be ready", WAIT, || async {
            let body = json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD });
            let (status, answer) = shop
                .call(0, Method::POST, "/api/auth/login", Some(&body), None)
                .await;
            let token = answer["data"]["accessToken"].as_str();
            (status == 200).then(|| format!("Bearer {}", token.expect("a token")))
        })
        .await;
        shop
    }

    /// `method path` through gateway `g`.
    async fn call(
        &self,
        g: usize,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> (u16, Value) {
        let gateway = &self.gateways[g];
        let mut request = gateway.client.request(method, gateway.url(path));
        if let Some(bearer) = bearer {
            request = request.header("authorization", bearer);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn place(&self, g: usize, bearer: &str, product: &str) -> String {
        let body = json!({ "items": [{ "productId": product, "quantity": 1 }] });
        let (status, answer) = self
            .call(g, Method::POST, "/api/orders", Some(&body), Some(bearer))
            .await;
        assert_eq!(status, 201, "through gateway {g}: {answer}");
        answer["data"]["id"].as_str().expect("an id").to_owned()
    }

    async fn wait_processing(&self, bearer: &str, order: &str) {
        eventually(&format!("order {order} to be PROCESSING"), WAIT, || async {
            let (_, answer) = self
                .call(
                    0,
                    Method::GET,
                    &format!("/api/orders/{order}"),
                    None,
                    Some(bearer),
                )
                .await;
            (answer["data"]["status"] == "PROCESSING").then_some(())
        })
        .await;
    }

    /// An SSE client on order-service replica `r` itself.
    async fn stream_on(&self, r: usize, order: &str, bearer: &str) -> SseStream {
        let response = self
            .streaming
            .get(self.orders[r].url(&format!("/orders/{order}/stream")))
            .header("authorization", bearer)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("a stream");
        assert_eq!(response.status(), 200);
        use eventsource_stream::Eventsource;
        response
            .bytes_stream()
            .eventsource()
            .filter_map(|r| async move { r.ok() })
            .boxed()
    }

    async fn stop(self) {
        for app in self.gateways {
            app.stop_and_clean().await;
        }
        for app in self.orders.into_iter().chain(self.products) {
            app.stop_and_clean().await;
        }
        self.customers.stop_and_clean().await;
    }
}

/// Cancels a replica and waits until its port refuses connections (the process is gone).
async fn kill(replica: &Spawned) {
    replica.cancel.cancel();
    let addr = replica.base_url.trim_start_matches("http://").to_owned();
    eventually("the killed replica to refuse connections", WAIT, || async {
        tokio::net::TcpStream::connect(&addr)
            .await
            .is_err()
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn two_gateways_over_two_replicas_of_each_service_lose_and_double_nothing() {
    let shop = Replicated::start().await;
    let body = json!({
        "name": "Replica Lamp", "description": "A lamp for two.", "price": 20.0,
        "category": "Home", "tags": ["light"], "stock": 10,
    });
    let (status, lamp) = shop
        .call(
            1,
            Method::POST,
            "/api/products",
            Some(&body),
            Some(&shop.admin),
        )
        .await;
    assert_eq!(status, 201, "{lamp}");
    let lamp = lamp["data"]["id"].as_str().unwrap().to_owned();
    let register = json!({
        "name": "Rita Replica", "email": "rita@example.com", "password": "correct horse battery",
        "address": { "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" }
    });
    let (status, rita) = shop
        .call(0, Method::POST, "/api/auth/register", Some(&register), None)
        .await;
    assert_eq!(status, 201, "{rita}");
    let rita = format!("Bearer {}", rita["data"]["accessToken"].as_str().unwrap());

    // Orders through either gateway (each spreading them over both order-services) move on.
    let mut placed = Vec::new();
    for g in [0, 1, 0, 1] {
        placed.push(shop.place(g, &rita, &lamp).await);
    }
    for order in &placed {
        shop.wait_processing(&rita, order).await;
    }

    // A live client on each order-service replica sees every change, whichever made it.
    let watched = placed[0].clone();
    let mut streams = [
        shop.stream_on(0, &watched, &rita).await,
        shop.stream_on(1, &watched, &rita).await,
    ];
    for stream in &mut streams {
        let snapshot = next_event(stream).await.expect("a snapshot");
        assert_eq!(data(&snapshot)["order"]["status"], "PROCESSING");
    }
    let changes = [
        (
            0,
            json!({ "status": "SHIPPED", "carrier": "DHL", "trackingNumber": "JD014600006281230704" }),
        ),
        (1, json!({ "status": "DELIVERED" })),
    ];
    for (g, change) in &changes {
        let path = format!("/api/orders/{watched}/status");
        let (status, answer) = shop
            .call(*g, Method::PATCH, &path, Some(change), Some(&shop.admin))
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    for stream in &mut streams {
        let mut seen = Vec::new();
        while seen.len() < changes.len() {
            let event = next_event(stream).await.expect("a change");
            assert_eq!(event.event, "order.status_changed", "{event:?}");
            seen.push(transition(&data(&event)).1);
        }
        assert_eq!(seen, ["SHIPPED", "DELIVERED"]);
    }

    // /api/health lists each replica.
    let (_, health) = shop.call(0, Method::GET, "/api/health", None, None).await;
    let replicas = health["data"]["services"]["order-service"]["replicas"].clone();
    assert_eq!(replicas.as_array().map(Vec::len), Some(2), "{health}");
    assert!(
        replicas
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "ok"),
        "{health}"
    );

    // One replica of each service killed: later requests through both gateways still succeed.
    kill(&shop.orders[1]).await;
    kill(&shop.products[1]).await;
    for g in [0, 1, 0, 1, 0, 1] {
        placed.push(shop.place(g, &rita, &lamp).await);
        let (status, answer) = shop
            .call(g, Method::GET, &format!("/api/products/{lamp}"), None, None)
            .await;
        assert_eq!(
            status, 200,
            "catalog reads pass the dead replica over: {answer}"
        );
    }
    for order in &placed[4..] {
        shop.wait_processing(&rita, order).await;
    }
    let (_, health) = shop.call(1, Method::GET, "/api/health", None, None).await;
    let orders = &health["data"]["services"]["order-service"];
    assert_eq!(orders["status"], "degraded", "{health}");
    let down: Vec<&Value> = orders["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "down")
        .collect();
    assert_eq!(down.len(), 1, "{health}");
    assert_eq!(down[0]["url"], shop.orders[1].base_url.as_str());

    // Nothing doubled: every order once, each reservation once.
    let (status, mine) = shop
        .call(0, Method::GET, "/api/orders?limit=100", None, Some(&rita))
        .await;
    assert_eq!(status, 200, "{mine}");
    let mut ids: Vec<String> = mine["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut expected = placed.clone();
    expected.sort();
    assert_eq!(ids, expected, "every order placed is there, once");
    let (_, product) = shop
        .call(1, Method::GET, &format!("/api/products/{lamp}"), None, None)
        .await;
    assert_eq!(
        product["data"]["stock"],
        10 - placed.len() as i64,
        "one reservation per order: {product}"
    );
    shop.stop().await;
}

/// `GET /api/orders` without a token, through gateway `g`: counted against the address.
async fn knock(gateways: &[crate::helpers::TestGateway; 2], g: usize) -> u16 {
    let app = &gateways[g].app;
    app.client
        .get(app.url("/api/orders"))
        .send()
        .await
        .expect("an answer")
        .status()
        .as_u16()
}

async fn two_gateways(extra: &[(&str, &str)]) -> [crate::helpers::TestGateway; 2] {
    let names = TestNames::new();
    let mut settings = vec![("RATE_LIMIT_DEFAULT_PER_MIN", "4"), ("METRICS_ADDR", "off")];
    settings.extend_from_slice(extra);
    [
        spawn_gateway_named_with(names.clone(), &[], &settings).await,
        spawn_gateway_named_with(names, &[], &settings).await,
    ]
}

#[tokio::test]
async fn with_rate_limit_redis_a_quota_holds_across_both_gateways() {
    let gateways = two_gateways(&[("RATE_LIMIT_REDIS", "true")]).await;
    let mut statuses = Vec::new();
    for g in [0, 1, 0, 1, 0] {
        statuses.push(knock(&gateways, g).await);
    }
    assert!(statuses[..4].iter().all(|s| *s != 429), "{statuses:?}");
    assert_eq!(
        statuses[4], 429,
        "the fifth request over both gateways: {statuses:?}"
    );
    assert_eq!(
        knock(&gateways, 1).await,
        429,
        "refused on the other gateway too"
    );
    for g in gateways {
        g.stop().await;
    }
}

#[tokio::test]
async fn without_rate_limit_redis_each_gateway_keeps_its_own_quota() {
    let gateways = two_gateways(&[]).await;
    let mut statuses = Vec::new();
    for g in [0, 1, 0, 1, 0, 1, 0, 1] {
        statuses.push(knock(&gateways, g).await);
    }
    assert!(
        statuses.iter().all(|s| *s != 429),
        "four each: {statuses:?}"
    );
    assert_eq!(knock(&gateways, 0).await, 429);
    assert_eq!(knock(&gateways, 1).await, 429);
    for g in gateways {
        g.stop().await;
    }
}

#[tokio::test]
async fn with_rate_limit_redis_unreachable_each_gateway_counts_alone_and_answers_promptly() {
    let unreachable = closed_port_url().replacen("http://", "redis://", 1);
    let gateways = two_gateways(&[("RATE_LIMIT_REDIS", unreachable.as_str())]).await;
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    for g in [0, 1, 0, 1, 0, 1, 0, 1] {
        statuses.push(knock(&gateways, g).await);
    }
    assert!(
        statuses.iter().all(|s| *s != 429),
        "nothing refused for Redis being away: {statuses:?}"
    );
    assert_eq!(
        knock(&gateways, 0).await,
        429,
        "the local quota still holds"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no request waited on Redis"
    );
    let metrics = reqwest::get(&gateways[0].metrics_url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("gateway_rate_limit_fallback_total"),
        "{metrics}"
    );
    for g in gateways {
        g.stop().await;
    }
}
