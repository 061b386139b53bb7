//! The suite for one test: customer-, product- and order-service and the assistant on random
//! ports, sharing the test's names (database, exchange, Redis prefix, signing key); typed
//! requests, a WebSocket client, an event observer and a fake LLM.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use assistant_service::{Config, DEFAULTS, llm::LlmConfig, upstream::ServiceUrls};
use serde_json::{Value, json};
use shared::{
    auth::Role,
    config::ServiceConfig,
    events::{Bus, ConsumerSpec, Envelope},
    http::Trust,
    testing::{Spawned, TestNames, bus_config, eventually, service_config, spawn},
};
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(30);
pub const PASSWORD: &str = "correct horse battery";

/// The services of one test.
pub struct Suite {
    pub names: TestNames,
    pub assistant: Spawned,
    pub customers: Spawned,
    pub products: Spawned,
    pub orders: Spawned,
    /// alert-service, when the test asked for it ([`Options::alerts`]).
    pub alerts: Option<Spawned>,
    pub admin: String,
    /// The assistant's settings, for another replica or a restart on the same database.
    pub assistant_config: Config,
}

/// What a test changes in the assistant's settings.
#[derive(Default)]
pub struct Options {
    pub llm: Option<LlmConfig>,
    /// Replaces the order-service URL (e.g. with an unreachable one).
    pub orders_url: Option<String>,
    /// Replaces the customer-service URL the assistant calls (the other services keep the
    /// real one).
    pub customers_url: Option<String>,
    /// The assistant's CAs, as `EXTRA_CA_CERTS` would set them (the system's by default).
    pub trust: Trust,
    /// Replaces the chat socket's heartbeat interval (15 s, longer than any test's turn).
    pub heartbeat: Option<Duration>,
    /// Replaces how long an agent holds a support conversation without renewing (30 s).
    pub support_lease: Option<Duration>,
    /// The embedding model's folder for the assistant and product-service (none: words and
    /// rules only, as by default).
    pub model_dir: Option<PathBuf>,
    /// Also runs alert-service on the test's exchange.
    pub alerts: bool,
}

impl Options {
    /// With the installed embedding model (intents, policies and products by meaning).
    pub fn with_model() -> Self {
        Self {
            model_dir: Some(shared::testing::embedding_model_dir()),
            ..Self::default()
        }
    }
}

pub async fn spawn_suite() -> Suite {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> Suite {
    shared::telemetry::init("assistant-service");
    if let Some(dir) = &options.model_dir {
        // Embeds the examples and policies once for the whole test binary before any service
        // listens: the assistant's start then finds them computed (an unoptimised build takes
        // longer than a health check waits).
        assistant_service::meaning::load(Some(dir)).await;
    }
    let names = TestNames::new();
    let customer_service = service_config(customer_service::DEFAULTS, &names);
    let customer_config =
        customer_service::Config::for_tests(customer_service.clone(), names.signer.clone());
    let customers = spawn(&customer_service, |l, c| {
        customer_service::run(customer_config, l, c)
    })
    .await;
    let product_service = service_config(product_service::DEFAULTS, &names);
    let product_config = product_service::Config {
        service: product_service.clone(),
        embedding_model_dir: options.model_dir.clone(),
    };
    let products = spawn(&product_service, |l, c| {
        product_service::run(product_config, l, c)
    })
    .await;
    let order_config = order_service::Config {
        service: service_config(order_service::DEFAULTS, &names),
        product_service_url: products.base_url.clone(),
        customer_service_url: customers.base_url.clone(),
        // Orders stay where the test puts them.
        fulfilment: order_service::config::FulfilmentConfig {
            enabled: false,
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(60),
            poll: Duration::from_millis(50),
        },
        saga: order_service::config::SagaConfig {
            timeout: Duration::from_secs(300),
            poll: Duration::from_millis(50),
        },
        idempotency_ttl: Duration::from_secs(600),
        tier_ttl: Duration::from_secs(30),
        orphans: Default::default(),
        payment: shared::payment::Settings::default(),
        streams: order_service::config::StreamConfig {
            heartbeat: Duration::from_secs(1),
            buffer: 16,
        },
        subscriptions: Default::default(),
    };
    let order_service = order_config.service.clone();
    let orders = spawn(&order_service, |l, c| {
        order_service::run(order_config, l, c)
    })
    .await;
    let config = Config {
        service: ServiceConfig {
            tls: options.trust,
            ..service_config(DEFAULTS, &names)
        },
        services: ServiceUrls {
            products: products.base_url.clone(),
            orders: options
                .orders_url
                .unwrap_or_else(|| orders.base_url.clone()),
            customers: options
                .customers_url
                .unwrap_or_else(|| customers.base_url.clone()),
        },
        upstream_timeout: Duration::from_secs(3),
        llm: options.llm,
        session_ttl: Duration::from_secs(600),
        heartbeat: options.heartbeat.unwrap_or(Duration::from_secs(15)),
        support_lease: options.support_lease.unwrap_or(Duration::from_secs(30)),
        embedding_model_dir: options.model_dir.clone(),
    };
    let service = config.service.clone();
    let assistant_config = config.clone();
    let assistant = spawn(&service, |l, c| assistant_service::run(config, l, c)).await;
    for app in [&customers, &products, &orders, &assistant] {
        app.wait_healthy(WAIT).await;
    }
    let alerts = if options.alerts {
        let config = alert_service::Config {
            service: service_config(alert_service::DEFAULTS, &names),
            streams: alert_service::config::StreamConfig {
                heartbeat: Duration::from_secs(1),
                buffer: 16,
            },
            webhook: None,
            mail: None,
            customers: None,
        };
        let service = config.service.clone();
        let alerts = spawn(&service, |l, c| alert_service::run(config, l, c)).await;
        alerts.wait_healthy(WAIT).await;
        Some(alerts)
    } else {
        None
    };
    Suite {
        alerts,
        admin: names.bearer("000000000000000000000001", Role::Admin),
        names,
        assistant,
        assistant_config,
        customers,
        products,
        orders,
    }
}

/// A signed-in customer.
#[derive(Clone)]
pub struct Customer {
    pub id: String,
    pub bearer: String,
}

/// `method path` on `app` with `body` as `bearer`; the status and the JSON body.
pub async fn send(
    app: &Spawned,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    bearer: Option<&str>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(b) = bearer {
        request = request.header("authorization", b);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

impl Suite {
    /// `POST /assistant/chat`; the status and the whole body.
    pub async fn chat_raw(
        &self,
        message: &str,
        session: Option<&str>,
        bearer: Option<&str>,
    ) -> (u16, Value) {
        let mut body = json!({ "message": message });
        if let Some(s) = session {
            body["sessionId"] = json!(s);
        }
        send(
            &self.assistant,
            reqwest::Method::POST,
            "/assistant/chat",
            Some(&body),
            bearer,
        )
        .await
    }

    /// A successful chat turn's `data`.
    pub async fn chat(&self, message: &str, session: Option<&str>, bearer: Option<&str>) -> Value {
        let (status, body) = self.chat_raw(message, session, bearer).await;
        assert_eq!(status, 200, "{message}: {body}");
        assert_eq!(body["success"], true);
        body["data"].clone()
    }

    /// Registers a customer through customer-service.
    pub async fn register(&self, name: &str, email: &str) -> Customer {
        let body = json!({
            "name": name, "email": email, "password": PASSWORD,
            "address": { "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" }
        });
        let (status, body) = send(
            &self.customers,
            reqwest::Method::POST,
            "/auth/register",
            Some(&body),
            None,
        )
        .await;
        assert_eq!(status, 201, "{body}");
        Customer {
            id: body["data"]["customer"]["id"].as_str().unwrap().to_owned(),

            bearer: format!("Bearer {}", body["data"]["accessToken"].as_str().unwrap()),
        }
    }

    /// Creates a product as an admin; returns it.
    pub async fn product(&self, name: &str, price: f64, stock: i64, tags: &[&str]) -> Value {
        let body = json!({
            "name": name, "description": format!("A fine {name}."), "price": price,
            "category": "Home", "tags": tags, "stock": stock,
        });
        let (status, body) = send(
            &self.products,
            reqwest::Method::POST,
            "/products",
            Some(&body),
            Some(&self.admin),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        body["data"].clone()
    }

    /// Places an order for `customer` and waits until its stock is reserved (`PROCESSING`).
    pub async fn order(&self, customer: &Customer, product_id: &str, quantity: i64) -> String {
        let body = json!({ "items": [{ "productId": product_id, "quantity": quantity }] });
        let (status, body) = send(
            &self.orders,
            reqwest::Method::POST,
            "/orders",
            Some(&body),
            Some(&customer.bearer),
        )
        .await;
        assert!(status == 201 || status == 200, "{body}");
        let id = body["data"]["id"].as_str().unwrap().to_owned();
        eventually("the order to be PROCESSING", WAIT, || async {
            let (_, order) = send(
                &self.orders,
                reqwest::Method::GET,
                &format!("/orders/{id}"),
                None,
                Some(&customer.bearer),
            )
            .await;
            (order["data"]["status"] == "PROCESSING").then_some(())
        })
        .await;
        id
    }

    /// Ships an order as an admin.
    pub async fn ship(&self, order_id: &str, carrier: &str, tracking: &str) {
        let body = json!({ "status": "SHIPPED", "carrier": carrier, "trackingNumber": tracking });
        let (status, body) = send(
            &self.orders,
            reqwest::Method::PATCH,
            &format!("/orders/{order_id}/status"),
            Some(&body),
            Some(&self.admin),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Another assistant replica: the same database, exchange and Redis prefix.
    pub async fn replica(&self) -> Spawned {
        let config = self.assistant_config.clone();
        let service = config.service.clone();
        let replica = spawn(&service, |l, c| assistant_service::run(config, l, c)).await;
        replica.wait_healthy(WAIT).await;
        replica
    }

    pub async fn stop(self) {
        if let Some(alerts) = self.alerts {
            alerts.stop_and_clean().await;
        }
        self.assistant.stop_and_clean().await;
        self.orders.stop_and_clean().await;
        self.products.stop_and_clean().await;
        self.customers.stop_and_clean().await;
    }
}

/// Events of some routing keys, seen by a consumer of the test's exchange.
pub struct Observer {
    pub events: Arc<Mutex<Vec<Envelope>>>,
    cancel: CancellationToken,
}

impl Observer {
    pub async fn start(names: &TestNames, keys: &[&str]) -> Self {
        let cancel = CancellationToken::new();
        let bus = Bus::start(bus_config(names), "test-observer", cancel.clone());
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        let consuming = bus.consume(ConsumerSpec::new("test.observer", keys), move |event| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(event);
                Ok(())
            }
        });
        assert!(consuming.wait_subscribed(WAIT).await, "observer subscribed");
        Self { events, cancel }
    }

    /// Waits for an event of `kind` matching `pred`.
    pub async fn wait_for(&self, kind: &str, pred: impl Fn(&Envelope) -> bool) -> Envelope {
        eventually(&format!("a {kind} event"), WAIT, || async {
            self.events
                .lock()
                .unwrap()
                .iter()
                .find(|e| e.kind == kind && pred(e))
                .cloned()
        })
        .await
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Text of a reply, lower case, for loose checks.
pub fn lower(reply: &Value) -> String {
    reply["text"].as_str().unwrap_or_default().to_lowercase()
}
