//! The whole shop in one test: customer-, product-, order-, alert-, analytics- and
//! assistant-service on random ports, sharing one [`TestNames`] (exchange, Redis prefix,
//! signing key), each with its own database, and the gateway in front of them all. Requests,
//! SSE and WebSocket clients that only ever talk to the gateway (except where a test compares
//! with the service directly).

use std::{pin::Pin, time::Duration};

use eventsource_stream::{Event, Eventsource};
use futures::{SinkExt, Stream, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    auth::KeySource,
    config::{Env, ServiceConfig, ServiceDefaults},
    testing::{Spawned, TestNames, eventually, service_config, spawn},
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

/// Longest wait for anything that happens by itself (a saga step, a consumer, a stream event).
pub const WAIT: Duration = Duration::from_secs(30);
/// The password of every customer the tests register.
pub const PASSWORD: &str = "correct horse battery";
/// The admin account customer-service ensures at start.
pub const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "admin-suite-password";

/// Whether orders move on by themselves after `PROCESSING`.
#[derive(Clone, Copy)]
pub enum Fulfilment {
    /// Statuses stay where the test puts them.
    Off,
    /// Each fulfilment step waits between the two bounds (milliseconds).
    Every(u64, u64),
}

/// Every service and the gateway.
pub struct Shop {
    pub gateway: Spawned,
    pub customers: Spawned,
    pub products: Spawned,
    pub orders: Spawned,
    pub alerts: Spawned,
    pub analytics: Spawned,
    pub assistant: Spawned,
    /// A client without an overall timeout, for streams.
    pub streaming: reqwest::Client,
    /// The signed-in admin's bearer header, from `/api/auth/login`.
    pub admin: String,
}

/// A signed-in customer.
#[derive(Clone)]
pub struct Customer {
    pub id: String,
    pub token: String,
    pub bearer: String,
}

/// A service's settings for this test: the shared names, its own database.
fn settings(defaults: ServiceDefaults, names: &TestNames) -> ServiceConfig {
    let mut service = service_config(defaults, names);
    if let Some(mongo) = service.mongo.as_mut() {
        mongo.database = format!("{}_{}", names.database, defaults.name.replace('-', "_"));
    }
    service
}

/// Starts the suite, then the gateway pointing at it with generous rate limits.
pub async fn spawn_shop(fulfilment: Fulfilment) -> Shop {
    shared::telemetry::init_for_tests("gateway");
    let names = TestNames::new();

    let product_config = product_service::Config {
        service: settings(product_service::DEFAULTS, &names),
        embedding_model_dir: None,
    };
    let service = product_config.service.clone();
    let products = spawn(&service, |l, c| product_service::run(product_config, l, c)).await;

    let mut customer_config = customer_service::Config::from_env(&Env::from_pairs(&[
        ("APP_ENV", "development"),
        ("ADMIN_EMAIL", ADMIN_EMAIL),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("LOGIN_MAX_PER_CLIENT", "100000"),
        // Sign-ins polled before the admin account exists must not lock it.
        ("LOGIN_MAX_FAILURES", "100000"),
    ]))
    .expect("customer-service settings");
    customer_config.service = settings(customer_service::DEFAULTS, &names);
    customer_config.signer = names.signer.clone();
    customer_config.product_service_url = products.base_url.clone();
    let service = customer_config.service.clone();
    let customers = spawn(&service, |l, c| {
        customer_service::run(customer_config, l, c)
    })
    .await;

    let (enabled, min, max) = match fulfilment {
        Fulfilment::Off => ("false", "20".to_owned(), "20".to_owned()),
        Fulfilment::Every(min, max) => ("true", min.to_string(), max.to_string()),
    };
    let mut order_config = order_service::Config::from_env(&Env::from_pairs(&[
        ("PRODUCT_SERVICE_URL", products.base_url.as_str()),
        ("CUSTOMER_SERVICE_URL", customers.base_url.as_str()),
        ("FULFILMENT_ENABLED", enabled),
        ("FULFILMENT_MIN_DELAY_MS", min.as_str()),
        ("FULFILMENT_MAX_DELAY_MS", max.as_str()),
        ("FULFILMENT_POLL_MS", "20"),
        ("STREAM_HEARTBEAT_SECS", "1"),
    ]))
    .expect("order-service settings");
    order_config.service = settings(order_service::DEFAULTS, &names);
    let service = order_config.service.clone();
    let orders = spawn(&service, |l, c| order_service::run(order_config, l, c)).await;

    let mut alert_config = alert_service::Config::from_env(&Env::from_pairs(&[
        ("STREAM_HEARTBEAT_SECS", "1"),
        ("SMTP_URL", "off"),
    ]))
    .expect("alert-service settings");
    alert_config.service = settings(alert_service::DEFAULTS, &names);
    let service = alert_config.service.clone();
    let alerts = spawn(&service, |l, c| alert_service::run(alert_config, l, c)).await;

    let analytics_config = analytics_service::Config::for_tests(
        settings(analytics_service::DEFAULTS, &names),
        &orders.base_url,
    );
    let service = analytics_config.service.clone();
    let analytics = spawn(&service, |l, c| {
        analytics_service::run(analytics_config, l, c)
    })
    .await;

    let mut assistant_config = assistant_service::Config::from_env(&Env::from_pairs(&[
        ("PRODUCT_SERVICE_URL", products.base_url.as_str()),
        ("ORDER_SERVICE_URL", orders.base_url.as_str()),
        ("CUSTOMER_SERVICE_URL", customers.base_url.as_str()),
    ]))
    .expect("assistant-service settings");
    assistant_config.service = settings(assistant_service::DEFAULTS, &names);
    let service = assistant_config.service.clone();
    let assistant = spawn(&service, |l, c| {
        assistant_service::run(assistant_config, l, c)
    })
    .await;

    let upstreams = [
        ("CUSTOMER_SERVICE_URL", customers.base_url.as_str()),
        ("PRODUCT_SERVICE_URL", products.base_url.as_str()),
        ("ORDER_SERVICE_URL", orders.base_url.as_str()),
        ("ALERT_SERVICE_URL", alerts.base_url.as_str()),
        ("ANALYTICS_SERVICE_URL", analytics.base_url.as_str()),
        ("ASSISTANT_SERVICE_URL", assistant.base_url.as_str()),
    ];
    let mut pairs = upstreams.to_vec();
    pairs.extend([
        ("RATE_LIMIT_AUTH_PER_MIN", "100000"),
        ("RATE_LIMIT_ASSISTANT_PER_MIN", "100000"),
        ("RATE_LIMIT_CATALOG_PER_MIN", "100000"),
        ("RATE_LIMIT_CLICKSTREAM_PER_MIN", "100000"),
        ("RATE_LIMIT_DEFAULT_PER_MIN", "100000"),
        // Suites run side by side: none takes the default metrics port.
        ("METRICS_ADDR", "off"),
    ]);
    let mut gateway_config =
        gateway::Config::from_env(&Env::from_pairs(&pairs)).expect("gateway settings");
    gateway_config.service = service_config(gateway::DEFAULTS, &names);
    // As in production: the gateway learns customer-service's public key from its JWKS.
    gateway_config.service.auth =
        KeySource::Jwks(format!("{}/.well-known/jwks.json", customers.base_url));
    let service = gateway_config.service.clone();
    let gateway = spawn(&service, |l, c| gateway::run(gateway_config, l, c)).await;

    for app in [
        &customers, &products, &orders, &alerts, &analytics, &assistant, &gateway,
    ] {
        app.wait_healthy(WAIT).await;
    }
    let streaming = shared::http::client_builder(&shared::http::Trust::system())
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("a streaming client");
    let mut shop = Shop {
        gateway,
        customers,
        products,
        orders,
        alerts,
        analytics,
        assistant,
        streaming,
        admin: String::new(),
    };
    // customer-service ensures the admin account in the background after it starts serving
    // (its `/health` does not wait for it), so the first sign-in may come too early.
    shop.admin = eventually("the admin account to be ready", WAIT, || async {
        let (status, answer) = shop
            .call(
                Method::POST,
                "/api/auth/login",
                Some(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })),
                None,
            )
            .await;
        let token = answer["data"]["accessToken"].as_str();
        (status == 200).then(|| format!("Bearer {}", token.expect("a token")))
    })
    .await;
    shop
}

impl Shop {
    /// `method /api/...` through the gateway; the status and the JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> (u16, Value) {
        assert!(
            path.starts_with("/api/"),
            "{path} is not behind the gateway"
        );
        let mut request = self.gateway.client.request(method, self.gateway.url(path));
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

    /// A successful call's `data`.
    pub async fn ok(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Value {
        let (status, answer) = self.call(method.clone(), path, body, bearer).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        assert_eq!(answer["success"], true, "{method} {path}: {answer}");
        answer["data"].clone()
    }

    /// Registers through `/api/auth/register`, then checks `/api/auth/me` with the token.
    pub async fn register(&self, name: &str, email: &str) -> Customer {
        let body = json!({
            "name": name, "email": email, "password": PASSWORD,
            "address": { "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" }
        });
        let (status, answer) = self
            .call(Method::POST, "/api/auth/register", Some(&body), None)
            .await;
        assert_eq!(status, 201, "{answer}");
        let token = answer["data"]["accessToken"]
            .as_str()
            .expect("a token")
            .to_owned();
        let customer = Customer {
            id: answer["data"]["customer"]["id"]
                .as_str()
                .expect("an id")
                .to_owned(),
            bearer: format!("Bearer {token}"),
            token,
        };
        let me = self
            .ok(Method::GET, "/api/auth/me", None, Some(&customer.bearer))
            .await;
        assert_eq!(me["id"], customer.id.as_str());
        assert_eq!(me["email"], email);
        customer
    }

    /// Creates a product as the admin through `/api/products`; returns it.
    pub async fn product(&self, name: &str, price: f64, stock: i64, tags: &[&str]) -> Value {
        let body = json!({
            "name": name, "description": format!("A fine {name}."), "price": price,
            "category": "Home", "tags": tags, "stock": stock,
        });
        let (status, answer) = self
            .call(
                Method::POST,
                "/api/products",
                Some(&body),
                Some(&self.admin),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["data"].clone()
    }

    /// Places an order through `/api/orders`; its id.
    pub async fn place(&self, customer: &Customer, product_id: &str, quantity: i64) -> String {
        let body = json!({ "items": [{ "productId": product_id, "quantity": quantity }] });
        let (status, answer) = self
            .call(
                Method::POST,
                "/api/orders",
                Some(&body),
                Some(&customer.bearer),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        assert_eq!(answer["data"]["status"], "PENDING", "{answer}");
        answer["data"]["id"].as_str().expect("an id").to_owned()
    }

    /// Polls `/api/orders/:id` until the order is in `status`; the order.
    pub async fn wait_for_status(&self, customer: &Customer, order: &str, status: &str) -> Value {
        eventually(&format!("order {order} to be {status}"), WAIT, || async {
            let (_, answer) = self
                .call(
                    Method::GET,
                    &format!("/api/orders/{order}"),
                    None,
                    Some(&customer.bearer),
                )
                .await;
            (answer["data"]["status"] == status).then(|| answer["data"].clone())
        })
        .await
    }

    /// Places an order and waits until its stock is reserved (`PROCESSING`).
    pub async fn order(&self, customer: &Customer, product_id: &str, quantity: i64) -> String {
        let id = self.place(customer, product_id, quantity).await;
        self.wait_for_status(customer, &id, "PROCESSING").await;
        id
    }

    /// Moves an order on as the admin through `PATCH /api/orders/:id/status`.
    pub async fn set_status(&self, order: &str, body: Value) -> Value {
        self.ok(
            Method::PATCH,
            &format!("/api/orders/{order}/status"),
            Some(&body),
            Some(&self.admin),
        )
        .await
    }

    /// One turn with the assistant through `/api/assistant/chat`; the reply.
    pub async fn chat(&self, message: &str, session: Option<&str>, bearer: Option<&str>) -> Value {
        let mut body = json!({ "message": message });
        if let Some(session) = session {
            body["sessionId"] = json!(session);
        }
        self.ok(Method::POST, "/api/assistant/chat", Some(&body), bearer)
            .await
    }

    /// Opens `GET url` as an event stream with `bearer` (and `Last-Event-ID`, when given).
    pub async fn sse_at(
        &self,
        url: &str,
        bearer: &str,
        last_event_id: Option<&str>,
    ) -> (u16, SseStream) {
        let mut request = self
            .streaming
            .get(url)
            .header("authorization", bearer)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("a stream");
        let status = response.status().as_u16();
        let events = response
            .bytes_stream()
            .eventsource()
            .filter_map(|r| async move { r.ok() })
            .boxed();
        (status, events)
    }

    /// Opens `/api/orders/:id/stream` through the gateway.
    pub async fn order_stream(
        &self,
        order: &str,
        bearer: &str,
        last_event_id: Option<&str>,
    ) -> SseStream {
        let (status, events) = self
            .sse_at(
                &self.gateway.url(&format!("/api/orders/{order}/stream")),
                bearer,
                last_event_id,
            )
            .await;
        assert_eq!(status, 200, "the stream opens through the gateway");
        events
    }

    /// A WebSocket to `/api/ws/orders` through the gateway, the token in the query.
    pub async fn ws_with_query_token(&self, token: &str) -> Socket {
        let url = format!(
            "{}?token={token}",
            self.gateway
                .url("/api/ws/orders")
                .replacen("http://", "ws://", 1)
        );
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("upgraded through the gateway");
        socket
    }

    /// A WebSocket to `/api/ws/orders` through the gateway, the bearer in the header.
    pub async fn ws_with_header(&self, bearer: &str) -> Socket {
        let mut request = self
            .gateway
            .url("/api/ws/orders")
            .replacen("http://", "ws://", 1)
            .into_client_request()
            .expect("a websocket request");
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(bearer).expect("a header"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("upgraded through the gateway");
        socket
    }

    /// Stops the gateway, then every service, dropping their databases.
    pub async fn stop(self) {
        self.gateway.stop_and_clean().await;
        self.assistant.stop_and_clean().await;
        self.analytics.stop_and_clean().await;
        self.alerts.stop_and_clean().await;
        self.orders.stop_and_clean().await;
        self.products.stop_and_clean().await;
        self.customers.stop_and_clean().await;
    }
}

pub type SseStream = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// The next SSE event (comments are skipped), or `None` when the stream ended.
pub async fn next_event(stream: &mut SseStream) -> Option<Event> {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("an SSE event (or the end) within the time limit")
}

/// An SSE event's data as JSON.
pub fn data(event: &Event) -> Value {
    serde_json::from_str(&event.data).expect("JSON event data")
}

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// Sends a JSON message.
pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// What the server sent next, skipping heartbeats: `Ok(message)`, or `Err(close code)`.
pub async fn next_message(socket: &mut Socket) -> Result<Value, Option<u16>> {
    loop {
        let next = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a websocket message within the time limit");
        match next {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("JSON messages");
                if value["type"] != "heartbeat" {
                    return Ok(value);
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// The next message, which must be JSON.
pub async fn expect_message(socket: &mut Socket) -> Value {
    next_message(socket)
        .await
        .expect("a message, not the end of the stream")
}

/// The `(oldStatus, newStatus)` of a status change.
pub fn transition(message: &Value) -> (String, String) {
    (
        message["oldStatus"].as_str().unwrap_or_default().to_owned(),
        message["newStatus"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Text of a reply, lower case, for loose checks.
pub fn lower(reply: &Value) -> String {
    reply["text"].as_str().unwrap_or_default().to_lowercase()
}
