//! Subscriptions (issue 17) with the real customer-service (saved cards and addresses),
//! product-service, broker and stand-in: the customer's routes and their refusals, a run
//! placing exactly one order, a restart (and a run left half done) neither skipping nor
//! doubling a run, two replicas placing each run once, and a declined card pausing the
//! subscription with one `subscription.paused`.

use std::{sync::Mutex, time::Duration};

use bson::{Document, doc, oid::ObjectId};
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    events::{Envelope, keys},
    testing::{eventually, take_one},
};

use crate::{
    helpers::{Options, Replica, TestApp, WAIT, order_config, spawn_replica, spawn_with},
    payments::{APPROVES, DECLINES, card},
    requests::{Customer, call},
};

/// A day as long as a test never waits: only the first run of a subscription happens.
const LONG_DAY_MS: i64 = 3_600_000;

/// order-service with customer-service; subscriptions polled every 20 ms when `polling`.
async fn shop(polling: bool) -> TestApp {
    spawn_with(Options {
        fulfilment: false,
        adjust: Box::new(move |c| {
            c.subscriptions.enabled = polling;
            c.subscriptions.day_ms = LONG_DAY_MS;
            c.subscriptions.poll = Duration::from_millis(20);
        }),
        ..Options::default()
    })
    .await
}

/// Another replica on `t`'s database and exchange, its subscription poller on.
async fn replica(t: &TestApp) -> Replica {
    let customers = t.customers.as_ref().expect("customer-service runs");
    let mut config = order_config(&t.names, &t.products.base_url, &customers.base_url);
    config.fulfilment.enabled = false;
    config.subscriptions.day_ms = LONG_DAY_MS;
    config.subscriptions.poll = Duration::from_millis(5);
    spawn_replica(config).await
}

/// A customer registered at customer-service, with a saved address and the card `number`:
/// the customer, the card's id and the address's id.
async fn member(t: &TestApp, email: &str, number: &str) -> (Customer, String, String) {
    let cs = t.customers.as_ref().expect("customer-service runs");
    let body =
        json!({ "name": "Sam Subscriber", "email": email, "password": "correct horse battery" });
    let (status, session) = call(
        &cs.client,
        Method::POST,
        &cs.url("/auth/register"),
        None,
        Some(&body),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let who = Customer {
        id: session["data"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        bearer: format!(
            "Bearer {}",
            session["data"]["accessToken"].as_str().unwrap()
        ),
    };
    let (status, saved) = call(
        &cs.client,
        Method::POST,
        &cs.url("/customers/me/payment-methods"),
        Some(&who.bearer),
        Some(&json!({ "card": card(number) })),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let card_id = saved["data"]["id"].as_str().unwrap().to_owned();
    let home = json!({"street": "7 Elm St", "city": "Springfield", "zipCode": "12345", "country": "US", "label": "Home"});
    let (status, saved) = call(
        &cs.client,
        Method::POST,
        &cs.url("/customers/me/addresses"),
        Some(&who.bearer),
        Some(&home),
    )
    .await;
    assert_eq!(status, 201, "{saved}");
    let address_id = saved["data"]["id"].as_str().unwrap().to_owned();
    (who, card_id, address_id)
}

/// A stored number, whichever integer type the server kept it in (the stand-in keeps a small
/// 64-bit number written by `$set` as a 32-bit one).
fn number(value: &bson::Bson) -> Option<i64> {
    match value {
        bson::Bson::Int32(n) => Some(i64::from(*n)),
        bson::Bson::Int64(n) => Some(*n),
        _ => None,
    }
}

fn body(product: &str, quantity: i64, card: &str, address: &str) -> Value {
    json!({ "items": [{ "productId": product, "quantity": quantity }], "intervalDays": 7,
            "paymentMethodId": card, "shippingAddressId": address })
}

impl TestApp {
    /// `POST /subscriptions`.
    async fn subscribe(&self, who: &Customer, body: &Value) -> (u16, Value) {
        self.request(
            Method::POST,
            "/subscriptions",
            Some(&who.bearer),
            Some(body),
        )
        .await
    }

    /// `POST /subscriptions/{id}/{action}`.
    async fn act(&self, bearer: &str, id: &str, action: &str) -> (u16, Value) {
        let path = format!("/subscriptions/{id}/{action}");
        self.request(Method::POST, &path, Some(bearer), None).await
    }

    /// The stored subscription document.
    async fn stored(&self, id: &str) -> Document {
        let oid = ObjectId::parse_str(id).unwrap();
        self.db
            .collection::<Document>("subscriptions")
            .find_one(doc! { "_id": oid })
            .await
            .unwrap()
            .expect("stored")
    }

    /// Subscriptions stored.
    async fn subscription_count(&self) -> u64 {
        self.db
            .collection::<Document>("subscriptions")
            .count_documents(doc! {})
            .await
            .unwrap()
    }

    /// Orders stored under run `n` of subscription `id`.
    async fn run_orders(&self, id: &str, n: i64) -> u64 {
        self.db
            .collection::<Document>("orders")
            .count_documents(doc! { "requestKey": format!("sub:{id}:{n}") })
            .await
            .unwrap()
    }

    /// Polls until run `n` of `id` has its order recorded; the subscription as the API shows it.
    async fn wait_for_run(&self, bearer: &str, id: &str, n: usize) -> Value {
        eventually(&format!("run {n} of {id} to be recorded"), WAIT, || async {
            let (_, answer) = self
                .request(
                    Method::GET,
                    &format!("/subscriptions/{id}"),
                    Some(bearer),
                    None,
                )
                .await;
            let recorded = answer["data"]["runs"]
                .get(n - 1)
                .is_some_and(|r| r["orderId"].is_string());
            recorded.then(|| answer["data"].clone())
        })
        .await
    }

    /// Every `kind` event for subscription `id` seen on analytics' queue so far (drained into
    /// `seen`).
    async fn subscription_events(
        &self,
        kind: &str,
        id: &str,
        seen: &Mutex<Vec<Envelope>>,
    ) -> usize {
        let queue = self.bus.queue_name("analytics.events");
        let mut fresh = Vec::new();
        while let Some(event) = take_one(&self.bus, &queue).await {
            fresh.push(event);
        }
        let mut seen = seen.lock().expect("not poisoned");
        seen.extend(fresh);
        seen.iter()
            .filter(|e| e.kind == kind && e.data["subscriptionId"] == id)
            .count()
    }
}

#[tokio::test]
async fn a_customer_subscribes_pauses_resumes_and_cancels_and_wrong_moves_are_409() {
    let t = shop(false).await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let (sam, card_id, address_id) = member(&t, "sam.subs@example.com", APPROVES).await;

    let (status, created) = t
        .subscribe(&sam, &body(&lamp, 2, &card_id, &address_id))
        .await;
    assert_eq!(status, 201, "{created}");
    let sub = &created["data"];
    let id = sub["id"].as_str().unwrap().to_owned();
    assert_eq!(sub["status"], "ACTIVE");
    assert_eq!(sub["intervalDays"], 7);
    assert_eq!(sub["card"]["last4"], "4242");
    assert_eq!(sub["shippingAddress"]["street"], "7 Elm St");
    assert_eq!(sub["customerId"], sam.id.as_str());
    assert_eq!(sub["runs"], json!([]));
    assert!(
        !created.to_string().contains("tok_"),
        "no card token shown: {created}"
    );

    let (_, listed) = t
        .request(Method::GET, "/subscriptions", Some(&sam.bearer), None)
        .await;
    assert_eq!(listed["meta"]["total"], 1, "{listed}");
    assert_eq!(listed["data"][0]["id"], id.as_str());

    let (paused, p) = t.act(&sam.bearer, &id, "pause").await;
    let (again, a) = t.act(&sam.bearer, &id, "pause").await;
    let (resumed, r) = t.act(&sam.bearer, &id, "resume").await;
    let (cancelled, c) = t.act(&sam.bearer, &id, "cancel").await;
    let (after, _) = t.act(&sam.bearer, &id, "resume").await;
    let (twice, _) = t.act(&sam.bearer, &id, "cancel").await;

    assert_eq!(
        (paused, p["data"]["status"].clone()),
        (200, json!("PAUSED"))
    );
    assert_eq!(p["data"]["pauseReason"], "CUSTOMER");
    assert_eq!(again, 409, "{a}");
    assert_eq!(a["error"]["code"], "CONFLICT");
    assert_eq!(
        (resumed, r["data"]["status"].clone()),
        (200, json!("ACTIVE"))
    );
    assert_eq!(r["data"]["pauseReason"], Value::Null);
    assert_eq!(
        (cancelled, c["data"]["status"].clone()),
        (200, json!("CANCELLED"))
    );
    assert_eq!((after, twice), (409, 409));
    let (_, active) = t
        .request(
            Method::GET,
            "/subscriptions?status=ACTIVE",
            Some(&sam.bearer),
            None,
        )
        .await;
    assert_eq!(active["meta"]["total"], 0, "{active}");
    let seen = Mutex::new(Vec::new());
    eventually("subscription.created and .cancelled", WAIT, || async {
        let created = t
            .subscription_events(keys::SUBSCRIPTION_CREATED, &id, &seen)
            .await;
        let cancelled = t
            .subscription_events(keys::SUBSCRIPTION_CANCELLED, &id, &seen)
            .await;
        (created == 1 && cancelled == 1).then_some(())
    })
    .await;
    // A customer's own pause is not announced.
    assert_eq!(
        t.subscription_events(keys::SUBSCRIPTION_PAUSED, &id, &seen)
            .await,
        0
    );
    t.stop().await;
}

#[tokio::test]
async fn someone_elses_subscription_is_404_and_an_admin_sees_every_one() {
    let t = shop(false).await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let (sam, card_id, address_id) = member(&t, "sam.owner@example.com", APPROVES).await;
    let (eve, _, _) = member(&t, "eve.other@example.com", APPROVES).await;
    let (_, created) = t
        .subscribe(&sam, &body(&lamp, 1, &card_id, &address_id))
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();

    let path = format!("/subscriptions/{id}");
    let (read, _) = t.request(Method::GET, &path, Some(&eve.bearer), None).await;
    let (paused, _) = t.act(&eve.bearer, &id, "pause").await;
    let (cancelled, refusal) = t.act(&eve.bearer, &id, "cancel").await;
    let (_, theirs) = t
        .request(Method::GET, "/subscriptions", Some(&eve.bearer), None)
        .await;
    let (_, all) = t
        .request(Method::GET, "/subscriptions", Some(&t.admin), None)
        .await;
    let (admin_read, _) = t.request(Method::GET, &path, Some(&t.admin), None).await;
    let (unknown, _) = t
        .request(
            Method::GET,
            &format!("/subscriptions/{}", ObjectId::new().to_hex()),
            Some(&sam.bearer),
            None,
        )
        .await;
    let (not_an_id, bad) = t
        .request(Method::GET, "/subscriptions/nope", Some(&sam.bearer), None)
        .await;

    assert_eq!((read, paused, cancelled), (404, 404, 404), "{refusal}");
    assert_eq!(refusal["error"]["code"], "NOT_FOUND");
    assert_eq!(theirs["meta"]["total"], 0);
    assert_eq!(all["meta"]["total"], 1);
    assert_eq!(admin_read, 200);
    assert_eq!(unknown, 404);
    assert_eq!(not_an_id, 400, "{bad}");
    assert_eq!(t.stored(&id).await.get_str("status").unwrap(), "ACTIVE");
    t.stop().await;
}

#[tokio::test]
async fn bad_input_is_400_a_card_address_or_product_not_the_callers_is_422_and_nothing_is_written()
{
    let t = shop(false).await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let (sam, card_id, address_id) = member(&t, "sam.bad@example.com", APPROVES).await;
    let (eve, eves_card, eves_address) = member(&t, "eve.bad@example.com", APPROVES).await;
    let unknown = ObjectId::new().to_hex();

    let broken = json!({ "items": [{ "productId": "x", "quantity": 0 }], "intervalDays": 400,
                         "paymentMethodId": "card", "shippingAddressId": 5 });
    let (malformed, problem) = t.subscribe(&sam, &broken).await;
    let (zero_days, zero) = t
        .subscribe(&sam, &{
            let mut b = body(&lamp, 1, &card_id, &address_id);
            b["intervalDays"] = json!(0);
            b
        })
        .await;
    let (others_card, refusal) = t
        .subscribe(&sam, &body(&lamp, 1, &eves_card, &address_id))
        .await;
    let (others_address, address_refusal) = t
        .subscribe(&sam, &body(&lamp, 1, &card_id, &eves_address))
        .await;
    let (no_product, product_refusal) = t
        .subscribe(&sam, &body(&unknown, 1, &card_id, &address_id))
        .await;
    let (unknown_card, _) = t
        .subscribe(&eve, &body(&lamp, 1, &unknown, &eves_address))
        .await;

    assert_eq!(malformed, 400, "{problem}");
    assert_eq!(problem["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(zero_days, 400, "{zero}");
    assert!(
        zero["error"]["details"]["intervalDays"].is_string(),
        "{zero}"
    );
    assert_eq!(others_card, 422, "{refusal}");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("paymentMethodId")
    );
    assert_eq!(others_address, 422, "{address_refusal}");
    assert!(
        address_refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shippingAddressId")
    );
    assert_eq!(no_product, 422, "{product_refusal}");
    assert_eq!(unknown_card, 422);
    assert_eq!(t.subscription_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn customer_service_down_is_503_and_nothing_is_written() {
    let t = spawn_with(Options {
        customers: false,
        adjust: Box::new(|c| c.subscriptions.enabled = false),
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let who = t.customer();
    let id = ObjectId::new().to_hex();

    let (status, answer) = t.subscribe(&who, &body(&lamp, 1, &id, &id)).await;

    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "UPSTREAM_UNAVAILABLE");
    assert_eq!(t.subscription_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn a_run_places_exactly_one_order_priced_as_checkout_and_moves_the_schedule_one_interval() {
    let t = shop(true).await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let (sam, card_id, address_id) = member(&t, "sam.run@example.com", APPROVES).await;
    let before = Utc::now().timestamp_millis();

    let (_, created) = t
        .subscribe(&sam, &body(&lamp, 2, &card_id, &address_id))
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let sub = t.wait_for_run(&sam.bearer, &id, 1).await;
    let order_id = sub["runs"][0]["orderId"].as_str().unwrap().to_owned();
    let order = t.wait_for_status(&order_id, "PROCESSING").await;
    // Settled: the payment's outcome was read, so the poller has passed over it since.
    eventually("the run to be settled", WAIT, || async {
        (t.stored(&id).await.get("awaitingOrder") == Some(&bson::Bson::Null)).then_some(())
    })
    .await;

    assert_eq!(t.run_orders(&id, 1).await, 1);
    assert_eq!(t.order_count().await, 1);
    assert_eq!(order["customerId"], sam.id.as_str());
    assert_eq!(order["payment"]["last4"], "4242");
    assert_eq!(order["shippingAddress"]["street"], "7 Elm St");
    // 2 × 10.00 + shipping 5.99, 8 % tax on 25.99 (2.08): what checkout would charge.
    assert_eq!(order["quote"]["total"], json!(28.07));
    let stored = t.stored(&id).await;
    assert_eq!(stored.get("runCount").and_then(number).unwrap(), 1);
    let next = stored.get("nextRunAtMs").and_then(number).unwrap();
    let week = 7 * LONG_DAY_MS;
    assert!(
        next >= before + week && next <= Utc::now().timestamp_millis() + week,
        "{next}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_restart_neither_skips_nor_doubles_a_run_even_one_left_half_done() {
    let t = shop(false).await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    let (sam, card_id, address_id) = member(&t, "sam.restart@example.com", APPROVES).await;
    let (_, a) = t
        .subscribe(&sam, &body(&lamp, 1, &card_id, &address_id))
        .await;
    let (_, b) = t
        .subscribe(&sam, &body(&lamp, 3, &card_id, &address_id))
        .await;
    let a = a["data"]["id"].as_str().unwrap().to_owned();
    let b = b["data"]["id"].as_str().unwrap().to_owned();
    // B's first run was claimed by a replica that stopped before placing its order.
    let now = Utc::now().timestamp_millis();
    t.db.collection::<Document>("subscriptions")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&b).unwrap() },
            doc! { "$set": { "version": 2_i64, "runCount": 1_i64, "pendingRun": 1_i64,
            "nextRunAtMs": now + 7 * LONG_DAY_MS,
            "runs.r000001": { "n": 1_i64, "atMs": now - 60_000 } } },
        )
        .await
        .unwrap();
    // The replica goes away (its database stays) and comes back with the poller on.
    t.orders.app.cancel.cancel();
    let restarted = replica(&t).await;

    let on = |app: &Replica, path: String| {
        let client = app.app.client.clone();
        let url = app.app.url(&path);
        let bearer = sam.bearer.clone();
        async move {
            call(&client, Method::GET, &url, Some(&bearer), None)
                .await
                .1
        }
    };
    let recorded = |sub: Value| sub["data"]["runs"][0]["orderId"].is_string();
    eventually("both runs to be recorded", WAIT, || async {
        let (ra, rb) = tokio::join!(
            on(&restarted, format!("/subscriptions/{a}")),
            on(&restarted, format!("/subscriptions/{b}"))
        );
        (recorded(ra) && recorded(rb)).then_some(())
    })
    .await;
    // Once more: a third start finds nothing due; a new subscription's run shows it has passed.
    restarted.app.cancel.cancel();
    let third = replica(&t).await;
    let (status, c) = call(
        &third.app.client,
        Method::POST,
        &third.app.url("/subscriptions"),
        Some(&sam.bearer),
        Some(&body(&lamp, 1, &card_id, &address_id)),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let c = c["data"]["id"].as_str().unwrap().to_owned();
    eventually("the new run to be recorded", WAIT, || async {
        recorded(on(&third, format!("/subscriptions/{c}")).await).then_some(())
    })
    .await;

    for id in [&a, &b, &c] {
        assert_eq!(t.run_orders(id, 1).await, 1, "{id}");
        assert_eq!(t.run_orders(id, 2).await, 0, "{id}");
        assert_eq!(
            t.stored(id).await.get("runCount").and_then(number).unwrap(),
            1,
            "{id}"
        );
    }
    assert_eq!(t.order_count().await, 3);
    third.app.stop_and_clean().await;
    restarted.app.stop_and_clean().await;
    t.stop().await;
}

#[tokio::test]
async fn two_replicas_polling_one_database_place_each_run_once() {
    let t = shop(true).await;
    let other = replica(&t).await;
    let lamp = t.product("Lamp", 1.0, 1000).await;
    let (sam, card_id, address_id) = member(&t, "sam.replicas@example.com", APPROVES).await;

    let mut ids = Vec::new();
    for quantity in 1..=6 {
        let (status, created) = t
            .subscribe(&sam, &body(&lamp, quantity, &card_id, &address_id))
            .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["data"]["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        t.wait_for_run(&sam.bearer, id, 1).await;
    }

    for id in &ids {
        assert_eq!(t.run_orders(id, 1).await, 1, "{id}");
        assert_eq!(
            t.stored(id).await.get("runCount").and_then(number).unwrap(),
            1,
            "{id}"
        );
    }
    assert_eq!(t.order_count().await, 6);
    other.app.stop_and_clean().await;
    t.stop().await;
}

#[tokio::test]
async fn a_declined_card_pauses_the_subscription_and_announces_it_once() {
    let t = shop(true).await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let (sam, card_id, address_id) = member(&t, "sam.declined@example.com", DECLINES).await;

    let (_, created) = t
        .subscribe(&sam, &body(&lamp, 1, &card_id, &address_id))
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let sub = t.wait_for_run(&sam.bearer, &id, 1).await;
    let order_id = sub["runs"][0]["orderId"].as_str().unwrap().to_owned();
    let order = t.wait_for_status(&order_id, "REJECTED").await;
    let paused = eventually("the subscription to be paused", WAIT, || async {
        let stored = t.stored(&id).await;
        let published = stored.get("outboxCount").and_then(number) == Some(0);
        (stored.get_str("status").ok() == Some("PAUSED") && published).then_some(stored)
    })
    .await;
    let seen = Mutex::new(Vec::new());
    eventually("subscription.paused", WAIT, || async {
        (t.subscription_events(keys::SUBSCRIPTION_PAUSED, &id, &seen)
            .await
            > 0)
        .then_some(())
    })
    .await;

    assert_eq!(order["rejectionReason"], "PAYMENT_DECLINED: card_declined");
    assert_eq!(
        paused.get_str("pauseReason").unwrap(),
        "PAYMENT_DECLINED: card_declined"
    );
    assert_eq!(
        t.subscription_events(keys::SUBSCRIPTION_PAUSED, &id, &seen)
            .await,
        1
    );
    let event = seen
        .lock()
        .unwrap()
        .iter()
        .find(|e| e.kind == keys::SUBSCRIPTION_PAUSED)
        .cloned()
        .unwrap();
    assert_eq!(
        event.data,
        json!({ "subscriptionId": id, "customerId": sam.id, "reason": "PAYMENT_DECLINED: card_declined" })
    );
    // Paused: no second run, and the customer may resume it.
    assert_eq!(t.order_count().await, 1);
    let (resumed, _) = t.act(&sam.bearer, &id, "resume").await;
    assert_eq!(resumed, 200);
    t.stop().await;
}

/// `customer.erased` (issue 19): the erased customer's cart goes, their subscriptions are
/// cancelled (announced like a customer's own cancel), and the street on their orders and
/// subscriptions is erased; the orders stay, and another customer keeps everything.
#[tokio::test]
async fn customer_erased_empties_the_cart_cancels_subscriptions_and_erases_streets_only_of_that_customer()
 {
    let t = shop(false).await;
    let lamp = t.product("Lamp", 10.0, 20).await;
    let (sam, sam_card, sam_address) = member(&t, "sam.erased@example.com", APPROVES).await;
    let (kim, kim_card, kim_address) = member(&t, "kim.kept@example.com", APPROVES).await;
    let (_, subscribed) = t
        .subscribe(&sam, &body(&lamp, 1, &sam_card, &sam_address))
        .await;
    let sams_sub = subscribed["data"]["id"].as_str().unwrap().to_owned();
    let (_, subscribed) = t
        .subscribe(&kim, &body(&lamp, 1, &kim_card, &kim_address))
        .await;
    let kims_sub = subscribed["data"]["id"].as_str().unwrap().to_owned();
    let sams_order = t.place_id(&sam, &[(&lamp, 1)]).await;
    let kims_order = t.place_id(&kim, &[(&lamp, 1)]).await;
    let line = format!("/cart/items/{lamp}");
    for who in [&sam, &kim] {
        let (status, cart) = t
            .request(
                Method::PUT,
                &line,
                Some(&who.bearer),
                Some(&json!({"quantity": 2})),
            )
            .await;
        assert_eq!(status, 200, "{cart}");
    }

    let erased = Envelope::new(
        keys::CUSTOMER_ERASED,
        "customer-service",
        "erase",
        json!({"customerId": sam.id, "erasedAt": "2026-12-06T00:00:00Z"}),
    );
    shared::testing::publish(&t.bus, &erased).await;
    let street = |id: String| {
        let db = t.db.clone();
        async move {
            db.collection::<Document>("orders")
                .find_one(doc! { "_id": ObjectId::parse_str(&id).unwrap() })
                .await
                .unwrap()
                .expect("the order is kept")
                .get_document("shippingAddress")
                .unwrap()
                .get_str("street")
                .unwrap()
                .to_owned()
        }
    };
    eventually("the erased customer's street", WAIT, || async {
        (street(sams_order.clone()).await == "[erased]").then_some(())
    })
    .await;
    // Redelivered: nothing more changes.
    shared::testing::publish(&t.bus, &erased).await;

    assert_eq!(street(kims_order.clone()).await, "1 Main St");
    let sams = t.stored(&sams_sub).await;
    assert_eq!(sams.get_str("status").unwrap(), "CANCELLED");
    assert_eq!(
        sams.get_document("shippingAddress")
            .unwrap()
            .get_str("street")
            .unwrap(),
        "[erased]"
    );
    assert_eq!(
        t.stored(&kims_sub).await.get_str("status").unwrap(),
        "ACTIVE"
    );
    // Sam's sessions ended with the erasure (customer-service consumes it too), so the cart
    // is read where it is stored.
    let sams_cart =
        t.db.collection::<Document>("carts")
            .find_one(doc! { "_id": sam.id.as_str() })
            .await
            .unwrap();
    assert!(
        sams_cart
            .as_ref()
            .is_none_or(|c| c.get_i32("count").map_or(0, i64::from)
                + c.get_i64("count").unwrap_or(0)
                == 0),
        "{sams_cart:?}"
    );
    let (_, kims_cart) = t
        .request(Method::GET, "/cart", Some(&kim.bearer), None)
        .await;
    assert_eq!(kims_cart["data"]["items"][0]["quantity"], 2, "{kims_cart}");
    let seen = Mutex::new(Vec::new());
    eventually("one subscription.cancelled", WAIT, || async {
        (t.subscription_events(keys::SUBSCRIPTION_CANCELLED, &sams_sub, &seen)
            .await
            == 1)
            .then_some(())
    })
    .await;
    // Kim's subscription is still Kim's to change.
    let (_, again) = t.act(&kim.bearer, &kims_sub, "pause").await;
    assert_eq!(again["data"]["status"], "PAUSED");
    assert_eq!(
        t.subscription_events(keys::SUBSCRIPTION_CANCELLED, &sams_sub, &seen)
            .await,
        1
    );
    t.stop().await;
}
