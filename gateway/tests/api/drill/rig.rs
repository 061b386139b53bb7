//! The drills' rig: the services (order-service on a runtime of its own, its broker link
//! through a proxy), the order load and the live subscribers.

use std::{
    future::Future,
    sync::{Arc, RwLock},
    time::Duration,
};

use eventsource_stream::Eventsource;
use futures::StreamExt;
use serde_json::{Value, json};
use shared::{
    auth::Role,
    config::{Env, ServiceConfig},
    server::StartError,
    testing::{Spawned, TcpProxy, TestNames, eventually, service_config, socket_addr_of, spawn},
};
use tokio_util::sync::CancellationToken;

/// Generous on a loaded two-core machine: each wait ends as soon as its condition holds.
pub(super) const WAIT: Duration = Duration::from_secs(60);
pub(super) const ORDERS_PER_WORKER: usize = 10;
pub(super) const WORKERS: usize = 3;
pub(super) const MAIN_STOCK: i64 = 1000;
pub(super) const SCARCE_STOCK: i64 = 3;

/// A service on a tokio runtime of its own, so that it can be killed without a goodbye.
struct Isolated {
    runtime: Option<tokio::runtime::Runtime>,
    base_url: String,
}

impl Isolated {
    fn start<F, Fut>(run: F) -> Self
    where
        F: FnOnce(tokio::net::TcpListener, CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), StartError>> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the service");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            // The token is never cancelled: the service dies with its runtime.
            let _ = run(listener, CancellationToken::new()).await;
        });
        Self {
            runtime: Some(runtime),
            base_url,
        }
    }

    /// Drops every task of the service where it stands.
    fn kill(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Isolated {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The services a drill needs, order-service's broker link through a proxy.
pub(super) struct Rig {
    pub(super) names: TestNames,
    pub(super) products: Spawned,
    pub(super) alerts: Spawned,
    pub(super) analytics: Spawned,
    pub(super) proxy: TcpProxy,
    order_config: ServiceConfig,
    orders: Isolated,
    /// order-service's current URL, for the load (it changes when it restarts).
    pub(super) orders_url: Arc<RwLock<String>>,
    pub(super) client: reqwest::Client,
    admin: String,
}

fn settings(names: &TestNames, defaults: shared::config::ServiceDefaults) -> ServiceConfig {
    let mut service = service_config(defaults, names);
    if let Some(mongo) = service.mongo.as_mut() {
        mongo.database = format!("{}_{}", names.database, defaults.name.replace('-', "_"));
    }
    service
}

fn start_orders(config: &ServiceConfig, products_url: &str) -> Isolated {
    let mut order_config = order_service::Config::from_env(&Env::from_pairs(&[
        ("PRODUCT_SERVICE_URL", products_url),
        ("FULFILMENT_ENABLED", "true"),
        ("FULFILMENT_MIN_DELAY_MS", "30"),
        ("FULFILMENT_MAX_DELAY_MS", "80"),
        ("FULFILMENT_POLL_MS", "20"),
        ("STREAM_HEARTBEAT_SECS", "1"),
    ]))
    .expect("order-service settings");
    order_config.service = config.clone();
    Isolated::start(move |l, c| order_service::run(order_config, l, c))
}

impl Rig {
    pub(super) async fn start() -> Self {
        shared::telemetry::init_for_tests("gateway");
        let names = TestNames::new();
        let product_config = product_service::Config {
            service: settings(&names, product_service::DEFAULTS),
        };
        let service = product_config.service.clone();
        let products = spawn(&service, |l, c| product_service::run(product_config, l, c)).await;

        let proxy = TcpProxy::start(socket_addr_of(&shared::testing::amqp_url(), 5672))
            .await
            .expect("a proxy to the broker");
        let mut order_config = settings(&names, order_service::DEFAULTS);
        if let Some(bus) = order_config.broker.as_mut() {
            bus.url = proxy.rewrite(&bus.url);
        }
        let orders = start_orders(&order_config, &products.base_url);

        let mut alert_config =
            alert_service::Config::from_env(&Env::from_pairs(&[("STREAM_HEARTBEAT_SECS", "1")]))
                .expect("alert-service settings");
        alert_config.service = settings(&names, alert_service::DEFAULTS);
        let service = alert_config.service.clone();
        let alerts = spawn(&service, |l, c| alert_service::run(alert_config, l, c)).await;
        let analytics_config = analytics_service::Config::for_tests(
            settings(&names, analytics_service::DEFAULTS),
            &orders.base_url,
        );
        let service = analytics_config.service.clone();
        let analytics = spawn(&service, |l, c| {
            analytics_service::run(analytics_config, l, c)
        })
        .await;
        for app in [&products, &alerts, &analytics] {
            app.wait_healthy(WAIT).await;
        }
        let rig = Self {
            admin: names.bearer("000000000000000000000001", Role::Admin),
            names,
            products,
            alerts,
            analytics,
            proxy,
            orders_url: Arc::new(RwLock::new(orders.base_url.clone())),
            orders,
            order_config,
            client: shared::http::client_builder(&shared::http::Trust::system())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client"),
        };
        rig.wait_orders_healthy().await;
        rig
    }

    pub(super) fn orders_url(&self) -> String {
        self.orders_url.read().expect("url").clone()
    }

    async fn wait_orders_healthy(&self) {
        let url = format!("{}/health", self.orders_url());
        eventually("order-service to be healthy", WAIT, || async {
            let answer = self.client.get(&url).send().await.ok()?;
            let body: Value = answer.json().await.ok()?;
            (body["data"]["status"] == "ok").then_some(())
        })
        .await;
    }

    /// Kills order-service and starts it again on the same databases and exchange.
    pub(super) async fn restart_orders(&mut self) {
        self.orders.kill();
        self.orders = start_orders(&self.order_config, &self.products.base_url);
        *self.orders_url.write().expect("url") = self.orders.base_url.clone();
        self.wait_orders_healthy().await;
    }

    pub(super) async fn product(&self, name: &str, stock: i64) -> String {
        let body = json!({ "name": name, "price": 12.5, "category": "Drill", "stock": stock,
                           "lowStockThreshold": 0 });
        let answer = self
            .client
            .post(self.products.url("/products"))
            .header("authorization", &self.admin)
            .json(&body)
            .send()
            .await
            .expect("product-service answers");
        assert_eq!(answer.status().as_u16(), 201);
        let body: Value = answer.json().await.expect("JSON");
        body["data"]["id"].as_str().expect("an id").to_owned()
    }

    pub(super) async fn admin_get(&self, base: &str, path: &str) -> Value {
        let answer = self
            .client
            .get(format!("{base}{path}"))
            .header("authorization", &self.admin)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), 200, "GET {path}");
        answer.json::<Value>().await.expect("JSON")["data"].clone()
    }

    pub(super) async fn stop(self) {
        let Self {
            products,
            alerts,
            analytics,
            mut orders,
            order_config,
            ..
        } = self;
        orders.kill();
        if let Some(mongo) = &order_config.mongo
            && let Ok(db) = shared::store::mongo(mongo, "test-cleanup").await
        {
            let _ = db.drop().await;
        }
        analytics.stop_and_clean().await;
        alerts.stop_and_clean().await;
        products.stop_and_clean().await;
    }
}

/// One customer placing orders, each with its own `Idempotency-Key`, retried with the same
/// key until order-service answers (it may be down); every third order on the scarce
/// product, every fourth cancelled at once.
pub(super) async fn customer(
    client: reqwest::Client,
    url: Arc<RwLock<String>>,
    bearer: String,
    products: (String, String),
    worker: usize,
) -> (Vec<String>, usize) {
    let mut accepted = Vec::new();
    let mut unanswered = 0;
    for n in 0..ORDERS_PER_WORKER {
        let product = if n % 3 == 2 { &products.1 } else { &products.0 };
        let body = json!({
            "items": [{ "productId": product, "quantity": 1 + n % 2 }],
            "shippingAddress": { "street": "1 Drill Lane", "city": "Faultville",
                                 "zipCode": "12345", "country": "US" },
        });
        let key = format!("drill-{worker}-{n}");
        let conflicts = std::sync::atomic::AtomicU32::new(0);
        let placed = eventually("an answer to the order", WAIT, || {
            let (client, url, bearer, body, key) = (&client, &url, &bearer, &body, &key);
            let conflicts = &conflicts;
            async move {
                let base = url.read().expect("url").clone();
                let answer = client
                    .post(format!("{base}/orders"))
                    .header("authorization", bearer)
                    .header("idempotency-key", key)
                    .json(body)
                    .send()
                    .await
                    .ok()?;
                let status = answer.status().as_u16();
                assert!(
                    status < 500 || status == 503,
                    "POST /orders answered {status}"
                );
                // The key's claim outlives a request killed with its service (it expires
                // after a minute): after a while, count the order as unanswered.
                if status == 409 {
                    let seen = conflicts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    return (seen >= 20).then_some(None);
                }
                let body: Value = answer.json().await.ok()?;
                body["data"]["id"].as_str().map(|id| Some(id.to_owned()))
            }
        })
        .await;
        let Some(id) = placed else {
            unanswered += 1;
            continue;
        };
        if n % 4 == 3 {
            let base = url.read().expect("url").clone();
            let _ = client
                .post(format!("{base}/orders/{id}/cancel"))
                .header("authorization", &bearer)
                .json(&json!({ "reason": "drill" }))
                .send()
                .await;
        }
        accepted.push(id);
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    (accepted, unanswered)
}

/// Follows one order's SSE stream, reconnecting with `Last-Event-ID` whenever it breaks;
/// returns the id of the first snapshot and the ids of the changes seen.
pub(super) async fn subscriber(
    client: reqwest::Client,
    url: Arc<RwLock<String>>,
    bearer: String,
    order: String,
) -> (i64, Vec<i64>) {
    let mut joined = None;
    let mut ids: Vec<i64> = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        let base = url.read().expect("url").clone();
        let mut request = client
            .get(format!("{base}/orders/{order}/stream"))
            .header("authorization", &bearer);
        if let Some(last) = ids.last().copied().or(joined) {
            request = request.header("last-event-id", last.to_string());
        }
        let Ok(answer) = request.send().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        // 204: the order is final and every change was seen; nothing more will come.
        if answer.status() == reqwest::StatusCode::NO_CONTENT {
            break;
        }
        let mut events = answer.bytes_stream().eventsource();
        let mut last_status = String::new();
        while let Ok(Some(Ok(event))) =
            tokio::time::timeout(Duration::from_secs(5), events.next()).await
        {
            let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
            match event.event.as_str() {
                "snapshot" if joined.is_none() => {
                    joined = event.id.parse().ok();
                    last_status = data["order"]["status"].as_str().unwrap_or("").to_owned();
                }
                "order.status_changed" => {
                    ids.extend(event.id.parse::<i64>().ok());
                    last_status = data["newStatus"].as_str().unwrap_or("").to_owned();
                }
                _ => {}
            }
        }
        if ["DELIVERED", "CANCELLED", "REJECTED"].contains(&last_status.as_str()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (joined.expect("a first snapshot"), ids)
}
