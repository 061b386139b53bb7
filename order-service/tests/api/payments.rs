//! The saga's payment step (issue 15) with the real product-service, broker, stand-in and the
//! `test` provider (its ledger in the test's orders database): approve, decline, the provider
//! down, redelivery, cancel of a paid order, bad cards, and no card number or cvc stored.

use std::{sync::Mutex, time::Duration};

use bson::{Document, doc};
use futures::TryStreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    events::{Envelope, keys},
    payment::{LEDGER, set_test_unavailable},
    testing::{eventually, take_one},
};

use crate::{
    helpers::{Options, TestApp, WAIT, spawn_with, spawn_without_fulfilment},
    requests::{Customer, call, order_body},
    saga::consumed,
};

/// Approves (DESIGN.md's test cards).
pub const APPROVES: &str = "4242 4242 4242 4242";
/// Declines: `card_declined`.
pub const DECLINES: &str = "4000 0000 0000 0002";
/// Declines: `insufficient_funds`.
const NO_FUNDS: &str = "4000 0000 0000 9995";

/// A card body with `number`, valid for years.
pub fn card(number: &str) -> Value {
    json!({ "number": number, "expMonth": 12, "expYear": 2030, "cvc": "123", "holder": "Ada" })
}

/// An order body for `items` paid with the card `number`.
fn paid_body(items: &[(&str, u32)], number: &str) -> Value {
    let mut body = order_body(items);
    body["card"] = card(number);
    body
}

impl TestApp {
    /// Places an order of `items` paid with `number`; its id.
    async fn place_paid(&self, who: &Customer, items: &[(&str, u32)], number: &str) -> String {
        let (status, answer) = self.place(&who.bearer, &paid_body(items, number)).await;
        assert_eq!(status, 201, "{answer}");
        assert_eq!(answer["data"]["payment"]["status"], "pending", "{answer}");
        answer["data"]["id"].as_str().unwrap().to_owned()
    }

    /// The ledger entries of `operation` under the key `order`.
    pub async fn ledger(&self, operation: &str, order: &str) -> u64 {
        self.db
            .collection::<Document>(LEDGER)
            .count_documents(doc! { "operation": operation, "key": order })
            .await
            .expect("ledger")
    }

    /// Every `kind` event published for `order` so far, from analytics' queue (bound to
    /// everything), drained.
    pub async fn events_of(
        &self,
        kind: &str,
        order: &str,
        seen: &Mutex<Vec<Envelope>>,
    ) -> Vec<Value> {
        let queue = self.bus.queue_name("analytics.events");
        let mut fresh = Vec::new();
        while let Some(event) = take_one(&self.bus, &queue).await {
            fresh.push(event);
        }
        let mut seen = seen.lock().expect("not poisoned");
        seen.extend(fresh);
        seen.iter()
            .filter(|e| e.kind == kind && e.data["orderId"] == order)
            .map(|e| e.data.clone())
            .collect()
    }

    /// Publishes `kind` for `order` as product-service would.
    async fn publish_stock(&self, kind: &str, order: &str) {
        let event = Envelope::new(
            kind,
            "product-service",
            "test",
            json!({ "orderId": order, "items": [] }),
        );
        self.bus.wait_connected(WAIT).await;
        shared::testing::publish(&self.bus, &event).await;
    }
}

#[tokio::test]
async fn an_approved_card_moves_the_order_to_processing_with_one_authorisation() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 19.99, 10).await;
    let buyer = t.customer();

    let id = t.place_paid(&buyer, &[(&lamp, 2)], APPROVES).await;
    let processing = t.wait_for_status(&id, "PROCESSING").await;

    let payment = &processing["payment"];
    assert_eq!(payment["status"], "authorized", "{processing}");
    assert_eq!(payment["brand"], "visa");
    assert_eq!(payment["last4"], "4242");
    assert!(payment["providerRef"].is_string(), "{payment}");
    assert!(payment.get("token").is_none(), "the token is never shown");
    assert_eq!(t.ledger("authorize", &id).await, 1);
    t.wait_for_stock(&lamp, 8).await;
    let seen = Mutex::new(Vec::new());
    let authorized = eventually("payment.authorized", WAIT, || async {
        let found = t.events_of(keys::PAYMENT_AUTHORIZED, &id, &seen).await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(
        authorized[0],
        json!({ "orderId": id, "customerId": buyer.id, "amount": processing["quote"]["total"],
            "providerRef": payment["providerRef"] })
    );
    t.stop().await;
}

#[tokio::test]
async fn a_declined_card_ends_rejected_payment_declined_and_the_stock_comes_back() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();

    let declined = t.place_paid(&buyer, &[(&lamp, 3)], DECLINES).await;
    let no_funds = t.place_paid(&buyer, &[(&lamp, 2)], NO_FUNDS).await;
    let first = t.wait_for_status(&declined, "REJECTED").await;
    let second = t.wait_for_status(&no_funds, "REJECTED").await;

    assert_eq!(first["rejectionReason"], "PAYMENT_DECLINED: card_declined");
    assert_eq!(first["payment"]["status"], "declined");
    assert_eq!(
        second["rejectionReason"],
        "PAYMENT_DECLINED: insufficient_funds"
    );
    assert_eq!(second["payment"]["declineReason"], "insufficient_funds");
    // Reserved, then given back on `payment.failed`, once.
    t.wait_for_stock(&lamp, 10).await;
    let seen = Mutex::new(Vec::new());
    let failed = eventually("payment.failed", WAIT, || async {
        let found = t.events_of(keys::PAYMENT_FAILED, &no_funds, &seen).await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(failed[0]["reason"], "insufficient_funds");
    assert_eq!(failed[0]["providerRef"], Value::Null);
    // A redelivered decline releases nothing more.
    let queue = t.bus.queue_name("product.orders");
    let before = consumed(&t.products.get_text("/metrics").await, &queue).await;
    let again = Envelope::new(
        keys::PAYMENT_FAILED,
        "order-service",
        "test",
        failed[0].clone(),
    );
    shared::testing::publish(&t.bus, &again).await;
    eventually("product-service to consume it", WAIT, || async {
        (consumed(&t.products.get_text("/metrics").await, &queue).await > before).then_some(())
    })
    .await;
    assert_eq!(t.stock_of(&lamp).await, 10);
    assert_eq!(t.ledger("authorize", &declined).await, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_provider_that_is_down_keeps_the_order_pending_past_the_saga_deadline_until_it_returns() {
    // product-service never hears of the order here: the test answers for it, so that the
    // provider goes down between placing (which tokenises) and the payment step.
    let t = spawn_with(Options {
        fulfilment: false,
        products_hear_orders: false,
        adjust: Box::new(|config| {
            config.saga.timeout = Duration::from_secs(2);
            config.saga.poll = Duration::from_millis(50);
        }),
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_paid(&buyer, &[(&lamp, 1)], APPROVES).await;
    let oid = bson::oid::ObjectId::parse_str(&id).unwrap();
    let database = t.db.name().to_owned();

    set_test_unavailable(&database, true);
    t.publish_stock(keys::STOCK_RESERVED, &id).await;
    let held = eventually("the payment step to hold the order", WAIT, || async {
        let stored =
            t.db.collection::<Document>("orders")
                .find_one(doc! { "_id": oid })
                .await
                .ok()??;
        let payment = stored.get_document("payment").ok()?;
        payment.contains_key("stockReservedAtMs").then_some(stored)
    })
    .await;
    // Past the saga's deadline, with its poller running every 50 ms: still waiting.
    let created = t.order(&id, &buyer.bearer).await.1["data"]["createdAt"].clone();
    let created = chrono::DateTime::parse_from_rfc3339(created.as_str().unwrap()).unwrap();
    eventually("the saga's deadline to pass", WAIT, || async {
        let (_, order) = t.order(&id, &buyer.bearer).await;
        assert_eq!(order["data"]["status"], "PENDING", "{order}");
        let past = chrono::Utc::now() > created + chrono::Duration::milliseconds(2500);
        past.then_some(())
    })
    .await;
    let metrics = t.orders.app.get_text("/metrics").await;
    set_test_unavailable(&database, false);
    let processing = t.wait_for_status(&id, "PROCESSING").await;

    assert!(!held.contains_key("nextDueAtMs"), "{held}");
    assert!(
        metrics.contains("order_payments_total{outcome=\"unavailable\"}"),
        "{metrics}"
    );
    assert_eq!(processing["payment"]["status"], "authorized");
    assert_eq!(t.ledger("authorize", &id).await, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_redelivered_stock_reserved_never_charges_twice() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_paid(&buyer, &[(&lamp, 1)], APPROVES).await;
    let before = t.wait_for_status(&id, "PROCESSING").await;
    let queue = t.bus.queue_name("order.stock");
    let seen = consumed(&t.orders.app.get_text("/metrics").await, &queue).await;

    t.publish_stock(keys::STOCK_RESERVED, &id).await;
    t.publish_stock(keys::STOCK_RESERVED, &id).await;
    eventually("order-service to consume both", WAIT, || async {
        (consumed(&t.orders.app.get_text("/metrics").await, &queue).await >= seen + 2).then_some(())
    })
    .await;

    let (_, after) = t.order(&id, &buyer.bearer).await;
    assert_eq!(after["data"]["version"], before["version"]);
    assert_eq!(after["data"]["payment"], before["payment"]);
    assert_eq!(t.ledger("authorize", &id).await, 1);
    t.stop().await;
}

#[tokio::test]
async fn cancelling_a_paid_order_voids_it_once_and_publishes_payment_refunded() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_paid(&buyer, &[(&lamp, 4)], APPROVES).await;
    let processing = t.wait_for_status(&id, "PROCESSING").await;

    let (status, cancelled) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    let voided = eventually("the void to be recorded", WAIT, || async {
        let (_, order) = t.order(&id, &buyer.bearer).await;
        (order["data"]["payment"]["status"] == "voided").then_some(order)
    })
    .await;
    // The broker delivers at least once: the cancellation again.
    let duplicate = Envelope::new(
        keys::ORDER_CANCELLED,
        "order-service",
        "test",
        json!({ "orderId": id, "customerId": buyer.id, "items": [], "reason": null }),
    );
    let queue = t.bus.queue_name("order.payments");
    let before = consumed(&t.orders.app.get_text("/metrics").await, &queue).await;
    shared::testing::publish(&t.bus, &duplicate).await;
    eventually("order-service to consume it", WAIT, || async {
        (consumed(&t.orders.app.get_text("/metrics").await, &queue).await > before).then_some(())
    })
    .await;

    assert_eq!(voided["data"]["status"], "CANCELLED");
    assert_eq!(t.ledger("void", &id).await, 1);
    t.wait_for_stock(&lamp, 10).await;
    let seen = Mutex::new(Vec::new());
    let refunded = eventually("payment.refunded", WAIT, || async {
        let found = t.events_of(keys::PAYMENT_REFUNDED, &id, &seen).await;
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(refunded.len(), 1, "{refunded:?}");
    assert_eq!(refunded[0]["amount"], processing["quote"]["total"]);
    assert!(refunded[0]["providerRef"].is_string());
    t.stop().await;
}

#[tokio::test]
async fn a_bad_card_is_400_naming_the_field_and_stores_nothing() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let mut expired = card(APPROVES);
    expired["expYear"] = json!(2020);
    let cases = [
        (card("4242 4242 4242 4241"), "card.number"),
        (expired, "card.expYear"),
        (
            json!({ "number": APPROVES, "expMonth": 1, "expYear": 2030, "cvc": "12" }),
            "card.cvc",
        ),
    ];

    for (bad, field) in cases {
        let mut body = order_body(&[(&lamp, 1)]);
        body["card"] = bad;
        let (status, answer) = t.place(&buyer.bearer, &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"]["details"].get(field).is_some(),
            "{field}: {answer}"
        );
    }

    assert_eq!(t.order_count().await, 0);
    assert_eq!(
        t.db.collection::<Document>(LEDGER)
            .count_documents(doc! {})
            .await
            .unwrap(),
        0
    );
    t.stop().await;
}

#[tokio::test]
async fn no_card_number_or_cvc_is_stored_in_the_orders_database() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let number = "4111 1111 1111 1111";
    let mut body = paid_body(&[(&lamp, 1)], number);
    body["card"]["cvc"] = json!("7391");

    let (status, answer, _) = t
        .place_with_key(&buyer.bearer, &body, Some("card-key"))
        .await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["data"]["id"].as_str().unwrap();
    t.wait_for_status(id, "PROCESSING").await;

    let mut everything = String::new();
    for name in t.db.list_collection_names().await.unwrap() {
        let documents: Vec<Document> =
            t.db.collection::<Document>(&name)
                .find(doc! {})
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
        everything.push_str(&format!("{name}: {documents:?}\n"));
    }
    assert!(
        everything.contains("\"last4\": String(\"1111\")"),
        "the last four are kept: {everything}"
    );
    for secret in ["4111111111111111", number, "\"7391\"", "cvc"] {
        assert!(!everything.contains(secret), "{secret} is stored");
    }
    t.stop().await;
}

/// Registers a customer at customer-service.
async fn register(t: &TestApp, email: &str) -> Customer {
    let customers = t.customers.as_ref().expect("customer-service runs");
    let (status, session) = call(
        &customers.client,
        Method::POST,
        &customers.url("/auth/register"),
        None,
        Some(
            &json!({ "name": "Ada Lovelace", "email": email, "password": "correct horse battery" }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    Customer {
        id: session["data"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        bearer: format!(
            "Bearer {}",
            session["data"]["accessToken"].as_str().unwrap()
        ),
    }
}

/// Saves the card `number` for the customer of `bearer`; its id.
async fn save_card(t: &TestApp, bearer: &str, number: &str) -> String {
    let customers = t.customers.as_ref().expect("customer-service runs");
    let (status, saved) = call(
        &customers.client,
        Method::POST,
        &customers.url("/customers/me/payment-methods"),
        Some(bearer),
        Some(&json!({ "card": card(number) })),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    saved["data"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_checkout_pays_with_a_saved_card_by_id_or_the_default_one_and_without_any_is_422() {
    let t = spawn_with(Options {
        customers: true,
        fulfilment: false,
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let who = register(&t, "ada.pays@example.com").await;
    let address = json!({ "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" });
    let body = json!({ "shippingAddress": address });

    // No card given and none saved.
    t.put_line(&who, &lamp, json!(1)).await;
    let (none, refusal, _) = t.checkout(&who, Some(&body), None).await;
    let approves = save_card(&t, &who.bearer, APPROVES).await;
    let declines = save_card(&t, &who.bearer, DECLINES).await;
    let unknown = bson::oid::ObjectId::new().to_hex();
    let with_unknown = json!({ "shippingAddress": address, "paymentMethodId": unknown });
    let (missing, missing_answer, _) = t.checkout(&who, Some(&with_unknown), None).await;
    // The first saved card is the default.
    let (by_default, default_order, _) = t.checkout(&who, Some(&body), None).await;
    t.put_line(&who, &lamp, json!(2)).await;
    let by_id = json!({ "shippingAddress": address, "paymentMethodId": declines });
    let (chosen, chosen_order, _) = t.checkout(&who, Some(&by_id), None).await;

    assert_eq!(none, 422, "{refusal}");
    assert_eq!(refusal["error"]["code"], "UNPROCESSABLE", "{refusal}");
    assert_eq!(
        refusal["error"]["details"]["code"], "PAYMENT_METHOD_REQUIRED",
        "{refusal}"
    );
    assert_eq!(
        refusal["error"]["details"]["fields"],
        json!(["card", "paymentMethodId"])
    );
    assert_eq!(missing, 422, "{missing_answer}");
    assert_eq!(
        missing_answer["error"]["details"]["code"], "PAYMENT_METHOD_NOT_FOUND",
        "{missing_answer}"
    );
    assert!(
        missing_answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("paymentMethodId")
    );
    assert_eq!(by_default, 201, "{default_order}");
    assert_eq!(chosen, 201, "{chosen_order}");
    let paid = t
        .wait_for_status(default_order["data"]["id"].as_str().unwrap(), "PROCESSING")
        .await;
    let refused = t
        .wait_for_status(chosen_order["data"]["id"].as_str().unwrap(), "REJECTED")
        .await;
    assert_eq!(paid["payment"]["last4"], "4242");
    assert_eq!(
        refused["rejectionReason"],
        "PAYMENT_DECLINED: card_declined"
    );
    assert_ne!(approves, declines);
    t.wait_for_stock(&lamp, 9).await;
    assert_eq!(t.order_count().await, 2);
    t.stop().await;
}

#[tokio::test]
async fn a_cancel_while_the_provider_is_down_voids_once_it_returns() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_paid(&buyer, &[(&lamp, 1)], APPROVES).await;
    t.wait_for_status(&id, "PROCESSING").await;
    let database = t.db.name().to_owned();

    set_test_unavailable(&database, true);
    let (status, cancelled) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    // The stock comes back whatever the provider does; the void waits for it.
    t.wait_for_stock(&lamp, 10).await;
    let (_, waiting) = t.order(&id, &buyer.bearer).await;
    set_test_unavailable(&database, false);
    eventually("the void to be recorded", WAIT, || async {
        let (_, order) = t.order(&id, &buyer.bearer).await;
        (order["data"]["payment"]["status"] == "voided").then_some(())
    })
    .await;

    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(waiting["data"]["payment"]["status"], "authorized");
    assert_eq!(t.ledger("void", &id).await, 1);
    t.stop().await;
}

#[tokio::test]
async fn an_order_cancelled_while_its_payment_waits_for_the_provider_is_never_charged() {
    let t = spawn_with(Options {
        fulfilment: false,
        products_hear_orders: false,
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_paid(&buyer, &[(&lamp, 1)], APPROVES).await;
    let database = t.db.name().to_owned();
    set_test_unavailable(&database, true);
    t.publish_stock(keys::STOCK_RESERVED, &id).await;
    let oid = bson::oid::ObjectId::parse_str(&id).unwrap();
    eventually("the payment step to hold the order", WAIT, || async {
        let stored =
            t.db.collection::<Document>("orders")
                .find_one(doc! { "_id": oid, "payment.stockReservedAtMs": { "$exists": true } })
                .await
                .ok()?;
        stored.map(|_| ())
    })
    .await;

    let (status, cancelled) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&buyer.bearer),
            None,
        )
        .await;
    set_test_unavailable(&database, false);
    eventually("the unpaid payment to be voided", WAIT, || async {
        let (_, order) = t.order(&id, &buyer.bearer).await;
        (order["data"]["payment"]["status"] == "voided").then_some(())
    })
    .await;
    // The retried stock.reserved finds the order cancelled; a late one too.
    t.publish_stock(keys::STOCK_RESERVED, &id).await;
    let queue = t.bus.queue_name("order.stock");
    eventually("order-service to consume the late answer", WAIT, || async {
        (consumed(&t.orders.app.get_text("/metrics").await, &queue).await >= 2).then_some(())
    })
    .await;

    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(t.ledger("authorize", &id).await, 0, "never charged");
    assert_eq!(t.ledger("void", &id).await, 1);
    let (_, order) = t.order(&id, &buyer.bearer).await;
    assert_eq!(order["data"]["status"], "CANCELLED");
    t.stop().await;
}
