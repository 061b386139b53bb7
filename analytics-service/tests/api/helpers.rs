//! Spawning analytics-service, a publisher standing in for another service, and reading the
//! event log.

use std::time::Duration;

use analytics_service::{Config, DEFAULTS};
use bson::{Document, doc};
use shared::{
    events::{Bus, BusError, Envelope},
    testing::{Spawned, TestNames, bus_config, eventually, service_config, spawn},
};
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(30);

/// analytics-service on a random port; `amqp_url` replaces the broker URL when given.
pub async fn spawn_analytics(names: &TestNames, amqp_url: Option<String>) -> Spawned {
    let mut service = service_config(DEFAULTS, names);
    if let (Some(url), Some(broker)) = (amqp_url, service.broker.as_mut()) {
        broker.url = url;
    }
    let config = Config::for_tests(service.clone(), "http://127.0.0.1:9");
    spawn(&service, |listener, cancel| {
        analytics_service::run(config, listener, cancel)
    })
    .await
}

/// Another service's bus on the same exchange.
pub async fn publisher(names: &TestNames, source: &str) -> (Bus, CancellationToken) {
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(names), source, cancel.clone());
    assert!(bus.wait_connected(WAIT).await, "the publisher connected");
    (bus, cancel)
}

/// Publishes, retrying while no queue is bound yet (the consumer may still be subscribing).
pub async fn publish(bus: &Bus, event: &Envelope) {
    eventually("the event to be routed", WAIT, || async {
        match bus.publish(event).await {
            Ok(()) => Some(()),
            Err(BusError::Unroutable(_) | BusError::Unavailable) => None,
            Err(e) => panic!("publish failed: {e}"),
        }
    })
    .await;
}

/// The event log entries with `_id` = `id`.
pub async fn logged(app: &Spawned, id: uuid::Uuid) -> Vec<Document> {
    let mongo = app.config.mongo.as_ref().expect("analytics has a database");
    let db = shared::store::mongo(mongo, "test").await.expect("database");
    let mut cursor = db
        .collection::<Document>(analytics_service::events::EVENT_LOG)
        .find(doc! { "_id": id.to_string() })
        .await
        .expect("query the event log");
    let mut found = Vec::new();
    while cursor.advance().await.expect("cursor") {
        found.push(cursor.deserialize_current().expect("document"));
    }
    found
}

/// Waits until the event is in the log, and returns its entries.
pub async fn wait_logged(app: &Spawned, id: uuid::Uuid) -> Vec<Document> {
    eventually("the event in the log", WAIT, || async {
        let found = logged(app, id).await;
        (!found.is_empty()).then_some(found)
    })
    .await
}

/// What most tests run against: analytics with a publisher on the same exchange.
pub struct TestApp {
    pub app: Spawned,
    pub names: TestNames,
    pub bus: Bus,
    pub admin: String,
    pub customer: String,
    cancel: CancellationToken,
}

/// analytics-service with `adjust` applied to its configuration, healthy, and a publisher.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    shared::telemetry::init_for_tests("analytics-service");
    let names = TestNames::new();
    let service = service_config(DEFAULTS, &names);
    let mut config = Config::for_tests(service.clone(), "http://127.0.0.1:9");
    adjust(&mut config);
    let app = spawn(&service, |listener, cancel| {
        analytics_service::run(config, listener, cancel)
    })
    .await;
    app.wait_healthy(WAIT).await;
    let (bus, cancel) = publisher(&names, "order-service").await;
    TestApp {
        admin: names.bearer(
            &bson::oid::ObjectId::new().to_hex(),
            shared::auth::Role::Admin,
        ),
        customer: names.bearer(
            &bson::oid::ObjectId::new().to_hex(),
            shared::auth::Role::Customer,
        ),
        app,
        bus,
        cancel,
        names,
    }
}

/// analytics-service as configured for tests.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

impl TestApp {
    /// `GET path` with an optional bearer: status and JSON body.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::GET, path, bearer).await
    }

    /// `method path` with an optional bearer: status and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(bearer) = bearer {
            request = request.header("authorization", bearer);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// The `data` of an admin `GET path` that must answer 200.
    pub async fn data(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path, Some(&self.admin)).await;
        assert_eq!(status, 200, "{path}: {body}");
        body["data"].clone()
    }

    /// Publishes `events` in order, then a marker, and waits until the marker is applied:
    /// one queue, consumed in order, so every event before it has been handled.
    pub async fn publish_all(&self, events: &[Envelope]) {
        for event in events {
            publish(&self.bus, event).await;
        }
        let marker = Envelope::new(
            shared::events::keys::PRODUCT_UPDATED,
            "product-service",
            "marker",
            serde_json::json!({ "id": "marker" }),
        );
        publish(&self.bus, &marker).await;
        wait_logged(&self.app, marker.id).await;
    }

    /// Stops everything and removes what the test created.
    pub async fn stop(self) {
        self.cancel.cancel();
        shared::testing::delete_topology(&self.bus).await;
        self.app.stop_and_clean().await;
    }
}

/// Builds the events of the order flow, as order- and product-service publish them.
pub mod events {
    use serde_json::{Value, json};
    use shared::events::{Envelope, keys};

    /// `order.created` for `order` placed at `at` (RFC 3339) with `(product, qty, price)` lines.
    pub fn created(order: &str, customer: &str, at: &str, lines: &[(&str, i64, f64)]) -> Envelope {
        let items: Vec<Value> = lines
            .iter()
            .map(|(p, q, price)| json!({"productId": p, "quantity": q, "name": format!("Product {p}"), "price": price}))
            .collect();
        let total: f64 = json_total(lines);
        Envelope::new(
            keys::ORDER_CREATED,
            "order-service",
            "req",
            json!({
                "orderId": order, "customerId": customer, "items": items, "total": total, "createdAt": at,
            }),
        )
    }

    /// The total as order-service prints it: cents summed exactly, then written as a number.
    fn json_total(lines: &[(&str, i64, f64)]) -> f64 {
        let cents: i64 = lines
            .iter()
            .map(|(_, q, price)| (price * 100.0).round() as i64 * q)
            .sum();
        format!("{}.{:02}", cents / 100, cents % 100)
            .parse()
            .unwrap()
    }

    /// `order.status_changed` to `status` with history index `index`.
    pub fn changed(order: &str, customer: &str, old: &str, status: &str, index: i64) -> Envelope {
        Envelope::new(
            keys::ORDER_STATUS_CHANGED,
            "order-service",
            "req",
            json!({
                "orderId": order, "customerId": customer, "oldStatus": old, "newStatus": status,
                "at": "2026-01-01T00:00:00.000Z", "index": index,
                "order": {"id": order, "customerId": customer, "status": status, "version": index},
            }),
        )
    }

    /// `order.cancelled`.
    pub fn cancelled(order: &str, customer: &str) -> Envelope {
        Envelope::new(
            keys::ORDER_CANCELLED,
            "order-service",
            "req",
            json!({"orderId": order, "customerId": customer, "items": [], "reason": null}),
        )
    }

    /// `stock.rejected`.
    pub fn rejected(order: &str) -> Envelope {
        Envelope::new(
            keys::STOCK_REJECTED,
            "product-service",
            "req",
            json!({"orderId": order,
            "lines": [{"productId": "p", "requested": 9, "available": 0, "reason": "insufficient_stock"}]}),
        )
    }
}

/// Builds the checkout's events as order- and customer-service publish them: the order as
/// order-service shows it, with its quote and payment, and each step's events in the order
/// its outbox sends them.
pub mod checkout {
    use serde_json::{Value, json};
    use shared::events::{Envelope, keys};

    /// A quote `{subtotal, couponDiscount, tierDiscount, pointsDiscount, shipping, tax, total}`.
    pub fn quote(amounts: [f64; 7]) -> Value {
        let [subtotal, coupon, tier, points, shipping, tax, total] = amounts;
        json!({"subtotal": subtotal, "couponDiscount": coupon, "tierDiscount": tier,
        "pointsDiscount": points, "shipping": shipping, "tax": tax, "total": total})
    }

    /// One order's checkout.
    #[derive(Clone)]
    pub struct Order {
        pub id: String,
        pub customer: String,
        pub at: String,
        pub quote: Value,
        pub coupon: Option<String>,
        /// `None`: invoiced (no payment step).
        pub card: bool,
    }

    impl Order {
        /// A card order placed at `at` (RFC 3339) priced `quote`, with `coupon`.
        pub fn card(id: &str, at: &str, quote: Value, coupon: Option<&str>) -> Self {
            Self {
                id: id.to_owned(),
                customer: "c1".to_owned(),
                at: at.to_owned(),
                quote,
                coupon: coupon.map(str::to_owned),
                card: true,
            }
        }

        /// An invoiced order (`POST /orders` without a card).
        pub fn invoiced(id: &str, at: &str, quote: Value) -> Self {
            Self {
                card: false,
                ..Self::card(id, at, quote, None)
            }
        }

        fn total(&self) -> f64 {
            // The goods net of discounts: the order's `total`.
            let q = &self.quote;
            let cents = |f: &str| (q[f].as_f64().unwrap() * 100.0).round() as i64;
            let net = cents("subtotal")
                - cents("couponDiscount")
                - cents("tierDiscount")
                - cents("pointsDiscount");
            net as f64 / 100.0
        }

        fn due(&self) -> f64 {
            self.quote["total"].as_f64().unwrap()
        }

        /// The order as `GET /orders/:id` shows it at `version` with `history` statuses.
        pub fn view(&self, history: &[&str], payment: Option<&str>) -> Value {
            let status = *history.last().unwrap();
            let entries: Vec<Value> = history
                .iter()
                .enumerate()
                .map(|(i, s)| json!({"index": i, "status": s, "at": self.at}))
                .collect();
            let mut view = json!({
                "id": self.id, "customerId": self.customer, "status": status,
                "items": [{"productId": "p1", "name": "Mug", "price": self.quote["subtotal"], "quantity": 1,
                    "subtotal": self.quote["subtotal"]}],
                "total": self.total(), "quote": self.quote, "statusHistory": entries,
                "createdAt": self.at, "updatedAt": self.at, "version": history.len() - 1,
            });
            if let Some(code) = &self.coupon {
                view["coupon"] = json!(code);
            }
            if let (true, Some(state)) = (self.card, payment) {
                view["payment"] = json!({"provider": "test", "brand": "visa", "last4": "4242",
                    "expMonth": 12, "expYear": 2030, "status": state, "providerRef": "auth_1"});
            }
            view
        }

        fn event(kind: &str, data: Value) -> Envelope {
            Envelope::new(kind, "order-service", "req", data)
        }

        /// `order.created`, and `cart.checked_out` for a card order (placed by checkout).
        pub fn placed(&self) -> Vec<Envelope> {
            let created = Self::event(
                keys::ORDER_CREATED,
                json!({"orderId": self.id, "customerId": self.customer, "total": self.total(),
                "createdAt": self.at, "items": [{"productId": "p1", "quantity": 1, "name": "Mug",
                "price": self.quote["subtotal"]}]}),
            );
            let mut events = vec![created];
            if self.card {
                events.push(Self::event(
                    keys::CART_CHECKED_OUT,
                    json!({"customerId": self.customer, "orderId": self.id, "total": self.due()}),
                ));
            }
            events
        }

        fn changed(&self, history: &[&str], payment: Option<&str>) -> Envelope {
            let n = history.len();
            Self::event(
                keys::ORDER_STATUS_CHANGED,
                json!({"orderId": self.id, "customerId": self.customer, "oldStatus": history[n - 2],
                "newStatus": history[n - 1], "at": self.at, "index": n - 1,
                "order": self.view(history, payment)}),
            )
        }

        /// `payment.authorized|failed|refunded` of `amount`.
        pub fn payment(&self, kind: &str, amount: f64) -> Envelope {
            let mut data = json!({"orderId": self.id, "customerId": self.customer,
            "amount": amount, "providerRef": "ref"});
            if kind == keys::PAYMENT_FAILED {
                data["providerRef"] = Value::Null;
                data["reason"] = json!("card_declined");
            }
            Self::event(kind, data)
        }

        /// Stock reserved: `PROCESSING` with `payment.authorized` (a card order), or
        /// `PROCESSING` alone (invoiced).
        pub fn accepted(&self) -> Vec<Envelope> {
            let mut events = vec![self.changed(&["PENDING", "PROCESSING"], Some("authorized"))];
            if self.card {
                events.push(self.payment(keys::PAYMENT_AUTHORIZED, self.due()));
            }
            events
        }

        /// The card was declined: `REJECTED` with `payment.failed`.
        pub fn declined(&self) -> Vec<Envelope> {
            vec![
                self.changed(&["PENDING", "REJECTED"], Some("declined")),
                self.payment(keys::PAYMENT_FAILED, self.due()),
            ]
        }

        /// Cancelled after it was accepted: `CANCELLED`, `order.cancelled`, then the void's
        /// `payment.refunded` (a card order).
        pub fn cancelled(&self) -> Vec<Envelope> {
            let mut events = vec![
                self.changed(&["PENDING", "PROCESSING", "CANCELLED"], Some("voided")),
                Self::event(
                    keys::ORDER_CANCELLED,
                    json!({"orderId": self.id, "customerId": self.customer, "items": [], "reason": null}),
                ),
            ];
            if self.card {
                events.push(self.payment(keys::PAYMENT_REFUNDED, self.due()));
            }
            events
        }

        /// Shipped, then delivered.
        pub fn delivered(&self) -> Vec<Envelope> {
            vec![
                self.changed(&["PENDING", "PROCESSING", "SHIPPED"], Some("authorized")),
                self.changed(
                    &["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"],
                    Some("authorized"),
                ),
            ]
        }
    }

    /// `loyalty.changed` as customer-service publishes it: the balance after the move, the
    /// tier, and the move (`reason`, `points`, `held`) at `at`.
    pub fn loyalty(
        customer: &str,
        tier: &str,
        reason: &str,
        points: i64,
        held: i64,
        at: &str,
    ) -> Envelope {
        Envelope::new(
            keys::LOYALTY_CHANGED,
            "customer-service",
            "req",
            json!({"customerId": customer, "points": 1000, "held": 0, "lifetimePoints": 1000,
            "tier": tier, "previousTier": "Bronze",
            "change": {"at": at, "points": points, "reason": reason, "held": held}}),
        )
    }
}

/// analytics-service's own database, as the running service uses it.
pub async fn database(app: &Spawned) -> mongodb::Database {
    let mongo = app.config.mongo.as_ref().expect("analytics has a database");
    shared::store::mongo(mongo, "test").await.expect("database")
}
