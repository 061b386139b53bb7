//! `spawn_app()`: alert-service on a random port with its own database and exchange, a bus
//! standing in for the publishing services, typed request helpers and a WebSocket client.

use std::time::Duration;

use alert_service::{
    Config, DEFAULTS,
    config::{MailConfig, StreamConfig, WebhookConfig},
    live::Hub,
};
use bson::{Document, oid::ObjectId};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use shared::{
    auth::Role,
    events::{Bus, BusError, Envelope},
    http::Trust,
    testing::{Spawned, TestNames, bus_config, delete_topology, eventually, service_config, spawn},
};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(30);
/// How long to wait for one WebSocket message.
pub const NEXT: Duration = Duration::from_secs(10);

pub type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// What a test runs against.
pub struct TestApp {
    pub names: TestNames,
    pub app: Spawned,
    pub hub: Hub,
    pub db: mongodb::Database,
    /// Publishes as the other services do, on the test's exchange.
    pub bus: Bus,
    pub admin: String,
    bus_cancel: CancellationToken,
}

/// alert-service's settings for a test: one-second heartbeats, small buffers.
pub fn alert_config(names: &TestNames, webhook: Option<WebhookConfig>) -> Config {
    Config {
        service: service_config(DEFAULTS, names),
        streams: StreamConfig {
            heartbeat: Duration::from_secs(1),
            buffer: 16,
        },
        webhook,
        mail: None,
        customers: None,
    }
}

/// alert-service without a webhook.
pub async fn spawn_app() -> TestApp {
    spawn_with(None).await
}

/// alert-service with `webhook`, healthy and consuming.
pub async fn spawn_with(webhook: Option<WebhookConfig>) -> TestApp {
    spawn_trusting(webhook, Trust::system()).await
}

/// alert-service with `webhook`, its outbound clients trusting `trust` (as `EXTRA_CA_CERTS`
/// would set it).
pub async fn spawn_trusting(webhook: Option<WebhookConfig>, trust: Trust) -> TestApp {
    spawn_full(webhook, trust, None).await
}

/// alert-service mailing through the SMTP server at `smtp_url`, retrying after 50 ms.
pub async fn spawn_mailing(smtp_url: &str) -> TestApp {
    let mail = MailConfig::local(smtp_url, Duration::from_millis(50));
    spawn_full(None, Trust::system(), Some(mail)).await
}

/// alert-service with everything chosen.
pub async fn spawn_full(
    webhook: Option<WebhookConfig>,
    trust: Trust,
    mail: Option<MailConfig>,
) -> TestApp {
    spawn_adjusted(webhook, trust, mail, |_| {}).await
}

/// [`spawn_full`], with `adjust` applied to the configuration last.
pub async fn spawn_adjusted(
    webhook: Option<WebhookConfig>,
    trust: Trust,
    mail: Option<MailConfig>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    shared::telemetry::init_for_tests("alert-service");
    let names = TestNames::new();
    let mut config = alert_config(&names, webhook);
    config.service.tls = trust;
    config.mail = mail;
    adjust(&mut config);
    let hub = Hub::new(config.streams.buffer);
    let running = hub.clone();
    let service = config.service.clone();
    let app = spawn(&service, move |listener, cancel| {
        alert_service::run_with_hub(config, listener, cancel, running)
    })
    .await;
    app.wait_healthy(WAIT).await;
    let mongo = service.mongo.as_ref().expect("a database");
    let db = shared::store::mongo(mongo, "test").await.expect("database");
    let bus_cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&names), "order-service", bus_cancel.clone());
    assert!(bus.wait_connected(WAIT).await, "the test bus connected");
    TestApp {
        admin: names.bearer(&ObjectId::new().to_hex(), Role::Admin),
        names,
        app,
        hub,
        db,
        bus,
        bus_cancel,
    }
}

impl TestApp {
    /// A customer id and its bearer header.
    pub fn customer(&self) -> (String, String) {
        let id = ObjectId::new().to_hex();
        let bearer = self.names.bearer(&id, Role::Customer);
        (id, bearer)
    }

    /// Publishes `event`, retrying while no queue is bound for it yet.
    pub async fn publish(&self, event: &Envelope) {
        eventually("the event to be routed", WAIT, || async {
            match self.bus.publish(event).await {
                Ok(()) => Some(()),
                Err(BusError::Unroutable(_) | BusError::Unavailable) => None,
                Err(e) => panic!("publish failed: {e}"),
            }
        })
        .await;
    }

    /// `method path` with an optional bearer; the status and JSON body.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(bearer) = bearer {
            request = request.header("authorization", bearer);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `GET /alerts{query}` as `bearer`.
    pub async fn alerts(&self, query: &str, bearer: &str) -> (u16, Value) {
        self.request(
            reqwest::Method::GET,
            &format!("/alerts{query}"),
            Some(bearer),
        )
        .await
    }

    /// Polls `GET /alerts` (admin) until `total` alerts exist; returns them, newest first.
    pub async fn wait_total(&self, total: u64) -> Vec<Value> {
        eventually(&format!("{total} alerts"), WAIT, || async {
            let (status, body) = self.alerts("?limit=100", &self.admin).await;
            assert_eq!(status, 200, "{body}");
            (body["meta"]["total"] == total).then(|| body["data"].as_array().unwrap().clone())
        })
        .await
    }

    /// The raw alert documents.
    pub async fn documents(&self) -> Vec<Document> {
        use futures::TryStreamExt;
        self.db
            .collection::<Document>(alert_service::store::alerts::COLLECTION)
            .find(bson::doc! {})
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("documents")
    }

    /// Opens `/ws/alerts{query}` with `bearer` in the header.
    pub async fn ws(&self, query: &str, bearer: &str) -> Socket {
        let url = self.app.base_url.replacen("http://", "ws://", 1) + "/ws/alerts" + query;
        let mut request = url.into_client_request().expect("a websocket request");
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(bearer).expect("a header"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connect");
        socket
    }

    /// Stops everything and removes what the test created.
    pub async fn stop(self) {
        self.app.stop_and_clean().await;
        delete_topology(&self.bus).await;
        self.bus_cancel.cancel();
    }
}

/// The next JSON message that is not a heartbeat; `None` when the socket closed.
pub async fn next_message(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(NEXT, socket.next())
            .await
            .expect("a websocket message within the time limit")?;
        match message.ok()? {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("JSON");
                if value["type"] != "heartbeat" {
                    return Some(value);
                }
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// Sends a JSON message.
pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .expect("send");
}

impl TestApp {
    /// Publishes stock-low alerts until one reaches `socket` (subscribed to `stock`), so the
    /// replica's live queue is known to be bound; returns how many went out.
    pub async fn warm_up(&self, socket: &mut Socket) -> usize {
        let mut sent = 0;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "live alerts never arrived"
            );
            sent += 1;
            let e = Envelope::new(
                shared::events::keys::PRODUCT_STOCK_LOW,
                "product-service",
                "warm-up",
                serde_json::json!({"productId": format!("warm-{sent}"), "stock": 1}),
            );
            self.publish(&e).await;
            let got = tokio::time::timeout(Duration::from_secs(2), async {
                while let Some(m) = next_message(socket).await {
                    if m["type"] == "alert" && m["alert"]["eventId"] == e.id.to_string() {
                        return true;
                    }
                }
                false
            })
            .await;
            if got == Ok(true) {
                return sent;
            }
        }
    }
}

impl TestApp {
    /// `GET /notifications{query}` as `bearer`.
    pub async fn notifications(&self, query: &str, bearer: &str) -> (u16, Value) {
        self.request(
            reqwest::Method::GET,
            &format!("/notifications{query}"),
            Some(bearer),
        )
        .await
    }

    /// Polls `GET /notifications` as `bearer` until it holds `total`; the body.
    pub async fn wait_notifications(&self, bearer: &str, total: u64) -> Value {
        eventually(&format!("{total} notifications"), WAIT, || async {
            let (status, body) = self.notifications("?limit=100", bearer).await;
            assert_eq!(status, 200, "{body}");
            (body["meta"]["total"] == total).then_some(body)
        })
        .await
    }

    /// The raw notification documents.
    pub async fn notification_documents(&self) -> Vec<Document> {
        use futures::TryStreamExt;
        self.db
            .collection::<Document>(alert_service::store::notifications::COLLECTION)
            .find(bson::doc! {})
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("documents")
    }

    /// Announces customer `id` as `customer-service` does at sign-up.
    pub async fn register(&self, id: &str, email: &str, name: &str) {
        let event = Envelope::new(
            shared::events::keys::CUSTOMER_REGISTERED,
            "customer-service",
            "sign-up",
            serde_json::json!({"customerId": id, "name": name, "email": email,
                "registeredAt": "2026-01-01T00:00:00Z"}),
        );
        self.publish(&event).await;
    }
}

impl TestApp {
    /// A second replica of this app: the same database and exchange, its own hub and port.
    pub async fn replica(&self, mail: Option<MailConfig>) -> Spawned {
        let mut config = alert_config(&self.names, None);
        config.mail = mail;
        let service = config.service.clone();
        let replica = spawn(&service, move |listener, cancel| {
            alert_service::run(config, listener, cancel)
        })
        .await;
        replica.wait_healthy(WAIT).await;
        replica
    }
}
