//! The fault drills, short and always on (`cargo xtask drill` runs the long ones against the
//! whole suite): order-service cut off the broker at a [`TcpProxy`], and order-service
//! killed abruptly mid-load and started again on the same databases. Afterwards every
//! accepted order is final, stock is the initial stock minus what confirmed orders hold,
//! analytics counts each order and its units once, alert-service holds one alert per event,
//! and live SSE subscribers that reconnect with `Last-Event-ID` saw every change once.
//!
//! The services are called directly with tokens signed by the test's key (no gateway or
//! customer-service: the orders carry their shipping address). The killed service runs on
//! a tokio runtime of its own, and "kill" drops that runtime without cancelling anything:
//! no graceful shutdown, no outbox flush, in-flight deliveries unacked, sockets closed as the
//! kernel closes them after a SIGKILL — the nearest an in-process test gets to one.

use std::{
    collections::{BTreeMap, BTreeSet},
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
const WAIT: Duration = Duration::from_secs(60);
const ORDERS_PER_WORKER: usize = 10;
const WORKERS: usize = 3;
const MAIN_STOCK: i64 = 1000;
const SCARCE_STOCK: i64 = 3;

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
struct Rig {
    names: TestNames,
    products: Spawned,
    alerts: Spawned,
    analytics: Spawned,
    proxy: TcpProxy,
    order_config: ServiceConfig,
    orders: Isolated,
    /// order-service's current URL, for the load (it changes when it restarts).
    orders_url: Arc<RwLock<String>>,
    client: reqwest::Client,
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
    async fn start() -> Self {
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
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client"),
        };
        rig.wait_orders_healthy().await;
        rig
    }

    fn orders_url(&self) -> String {
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
    async fn restart_orders(&mut self) {
        self.orders.kill();
        self.orders = start_orders(&self.order_config, &self.products.base_url);
        *self.orders_url.write().expect("url") = self.orders.base_url.clone();
        self.wait_orders_healthy().await;
    }

    async fn product(&self, name: &str, stock: i64) -> String {
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

    async fn admin_get(&self, base: &str, path: &str) -> Value {
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

    async fn stop(self) {
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
async fn customer(
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
async fn subscriber(
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

/// The fault a drill injects while the load runs.
enum Fault {
    /// order-service's broker connection severed for a while.
    Network,
    /// order-service killed and started again.
    Kill,
}

async fn drill(fault: Fault) {
    let mut rig = Rig::start().await;
    let products = (
        rig.product("Drill staple", MAIN_STOCK).await,
        rig.product("Drill rarity", SCARCE_STOCK).await,
    );
    let customers: Vec<String> = (0..WORKERS)
        .map(|i| {
            rig.names
                .bearer(&format!("00000000000000000000010{i}"), Role::Customer)
        })
        .collect();
    let load: Vec<_> = customers
        .iter()
        .enumerate()
        .map(|(worker, bearer)| {
            tokio::spawn(customer(
                rig.client.clone(),
                rig.orders_url.clone(),
                bearer.clone(),
                products.clone(),
                worker,
            ))
        })
        .collect();
    // Subscribers on the first orders, so that they live through the fault.
    let first: Vec<(String, String)> = eventually("the first orders", WAIT, || async {
        let mut found = Vec::new();
        for bearer in &customers {
            let answer = rig
                .client
                .get(format!("{}/orders", rig.orders_url()))
                .header("authorization", bearer)
                .send()
                .await
                .ok()?;
            let body: Value = answer.json().await.ok()?;
            let id = body["data"].as_array()?.last()?["id"].as_str()?.to_owned();
            found.push((bearer.clone(), id));
        }
        Some(found)
    })
    .await;
    let subscribers: Vec<_> = first
        .iter()
        .map(|(bearer, order)| {
            let task = subscriber(
                rig.client.clone(),
                rig.orders_url.clone(),
                bearer.clone(),
                order.clone(),
            );
            (order.clone(), tokio::spawn(task))
        })
        .collect();

    match fault {
        Fault::Network => {
            rig.proxy.sever();
            tokio::time::sleep(Duration::from_secs(3)).await;
            rig.proxy.restore();
        }
        Fault::Kill => rig.restart_orders().await,
    }
    let (mut accepted, mut unanswered) = (Vec::new(), 0);
    for worker in load {
        let (ids, lost) = worker.await.expect("the load ran");
        accepted.extend(ids);
        unanswered += lost;
    }
    assert_eq!(accepted.len() + unanswered, WORKERS * ORDERS_PER_WORKER);
    let accepted: BTreeSet<String> = accepted.into_iter().collect();
    assert_eq!(
        accepted.len() + unanswered,
        WORKERS * ORDERS_PER_WORKER,
        "one order per key"
    );

    // Every accepted order final, and no order beyond them.
    let orders: BTreeMap<String, Value> = eventually("every order to be final", WAIT, || async {
        let list = rig.admin_get(&rig.orders_url(), "/orders?limit=100").await;
        let orders: BTreeMap<String, Value> = list
            .as_array()?
            .iter()
            .map(|o| (o["id"].as_str().unwrap_or("").to_owned(), o.clone()))
            .collect();
        let done = orders.values().all(|o| {
            ["DELIVERED", "CANCELLED", "REJECTED"].contains(&o["status"].as_str().unwrap_or(""))
        });
        (done && orders.len() >= accepted.len()).then_some(orders)
    })
    .await;
    let listed: BTreeSet<String> = orders.keys().cloned().collect();
    assert!(listed.is_superset(&accepted), "every accepted order exists");
    assert!(
        listed.len() <= accepted.len() + unanswered,
        "no order beyond the accepted ones and the {unanswered} unanswered: {} listed",
        listed.len()
    );
    let held = |product: &str| -> i64 {
        orders
            .values()
            .filter(|o| o["items"][0]["productId"] == product)
            .filter(|o| {
                ["PROCESSING", "SHIPPED", "DELIVERED"].contains(&o["status"].as_str().unwrap_or(""))
            })
            .map(|o| o["items"][0]["quantity"].as_i64().unwrap_or(0))
            .sum()
    };

    // Stock: the initial stock minus what confirmed orders hold.
    for (product, initial) in [(&products.0, MAIN_STOCK), (&products.1, SCARCE_STOCK)] {
        let expected = initial - held(product);
        eventually("stock to match the confirmed orders", WAIT, || async {
            let data = rig
                .admin_get(&rig.products.base_url, &format!("/products/{product}"))
                .await;
            (data["stock"] == expected).then_some(())
        })
        .await;
    }

    // Analytics: each order once, each unit once.
    let analytics = rig.analytics.base_url.clone();
    let by_status = |data: &Value| -> BTreeMap<String, i64> {
        data["ordersByStatus"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut expected_status: BTreeMap<String, i64> = BTreeMap::new();
    for order in orders.values() {
        *expected_status
            .entry(order["status"].as_str().unwrap_or("").to_owned())
            .or_default() += 1;
    }
    eventually("analytics to count every order once", WAIT, || async {
        let data = rig
            .admin_get(&analytics, "/analytics/dashboard-metrics")
            .await;
        (by_status(&data) == expected_status).then_some(())
    })
    .await;
    let top = rig
        .admin_get(&analytics, "/analytics/top-products?limit=100")
        .await;
    for product in [&products.0, &products.1] {
        let units = top
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["productId"] == product.as_str()))
            .map_or(0, |r| r["units"].as_i64().unwrap_or(0));
        assert_eq!(units, held(product), "units of {product} counted once");
    }

    // Alerts: one per event, every event of every order.
    let expected_alerts = |order: &Value| {
        let version = order["version"].as_i64().unwrap_or(-1);
        (1, version, i64::from(order["status"] == "CANCELLED"))
    };
    let alerts = rig.alerts.base_url.clone();
    let per_order = eventually("one alert per event", WAIT, || async {
        let mut events = BTreeSet::new();
        let mut per_order: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
        for page in 1..=20 {
            let list = rig
                .admin_get(&alerts, &format!("/alerts?limit=100&page={page}"))
                .await;
            let list = list.as_array().cloned().unwrap_or_default();
            for alert in &list {
                let Some(order) = alert["entity"]["id"]
                    .as_str()
                    .filter(|o| orders.contains_key(*o))
                else {
                    continue;
                };
                assert!(
                    events.insert(alert["eventId"].as_str().unwrap_or("").to_owned()),
                    "two alerts for one event: {alert}"
                );
                let counts = per_order.entry(order.to_owned()).or_default();
                match alert["type"].as_str() {
                    Some("order.created") => counts.0 += 1,
                    Some("order.status_changed") => counts.1 += 1,
                    Some("order.cancelled") => counts.2 += 1,
                    _ => {}
                }
            }
            if list.len() < 100 {
                break;
            }
        }
        let complete = orders
            .iter()
            .all(|(id, o)| per_order.get(id).copied().unwrap_or_default() == expected_alerts(o));
        complete.then_some(per_order)
    })
    .await;
    assert_eq!(per_order.len(), orders.len());

    // Live subscribers caught up: every change after joining, once, in order.
    for (order, task) in subscribers {
        let (joined, ids) = task.await.expect("the subscriber ran");
        let version = orders[&order]["version"].as_i64().expect("a version");
        assert_eq!(
            ids,
            (joined + 1..=version).collect::<Vec<_>>(),
            "subscriber of {order} saw every change once"
        );
    }
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_severed_broker_link_under_load_loses_and_duplicates_nothing() {
    drill(Fault::Network).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_service_killed_under_load_loses_and_duplicates_nothing() {
    drill(Fault::Kill).await;
}
