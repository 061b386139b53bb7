//! Coupons and the tier discount (issue 15) against the real product-service and
//! customer-service: the admin's CRUD, every refusal reason, one price from cart to stored
//! order, exact usage under concurrent checkouts, and a use given back once.

use std::time::Duration;

use bson::{doc, oid::ObjectId};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use shared::{auth::Role, events::Envelope, events::keys, testing::eventually};

use crate::{
    helpers::{Options, TestApp, WAIT, spawn_with, spawn_without_fulfilment},
    requests::Customer,
    saga::consumed,
};

fn address() -> Value {
    json!({ "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" })
}

impl TestApp {
    /// An admin's request to order-service.
    async fn admin_call(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.request(method, path, Some(&self.admin), body).await
    }

    /// `POST /coupons`, which must answer 201.
    pub async fn coupon(&self, body: Value) -> Value {
        let (status, answer) = self.admin_call(Method::POST, "/coupons", Some(&body)).await;
        assert_eq!(status, 201, "{answer}");
        answer["data"].clone()
    }

    /// How often coupon `code` is counted as used now.
    pub async fn used(&self, code: &str) -> i64 {
        let (status, answer) = self
            .admin_call(Method::GET, &format!("/coupons/{code}"), None)
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["data"]["used"].as_i64().unwrap()
    }

    /// `POST /cart/coupon` for `who`.
    async fn apply(&self, who: &Customer, code: &str) -> (u16, Value) {
        let body = json!({ "code": code });
        self.request(Method::POST, "/cart/coupon", Some(&who.bearer), Some(&body))
            .await
    }

    /// A customer customer-service knows with `lifetime` loyalty points (arranged behind
    /// its API: points are only earned by delivered orders).
    pub async fn loyal_customer(&self, lifetime: i64) -> Customer {
        let id = ObjectId::new();
        let customers = self
            .db
            .client()
            .database(&format!("{}_customers", self.names.database));
        customers
            .collection::<bson::Document>("customers")
            .insert_one(doc! { "_id": id, "loyalty": {
            "points": lifetime, "lifetimePoints": lifetime, "history": [] } })
            .await
            .expect("insert");
        Customer {
            bearer: self.names.bearer(&id.to_hex(), Role::Customer),
            id: id.to_hex(),
        }
    }

    /// A cart of `quantity` × `product` with coupon `code` applied (which must be accepted).
    async fn cart_with(&self, who: &Customer, product: &str, quantity: i64, code: &str) {
        let (status, answer) = self.put_line(who, product, json!(quantity)).await;
        assert_eq!(status, 200, "{answer}");
        let (status, answer) = self.apply(who, code).await;
        assert_eq!(status, 200, "{answer}");
    }
}

#[tokio::test]
async fn an_admin_creates_lists_changes_and_deletes_coupons_and_a_code_is_unique_in_any_case() {
    let t = spawn_without_fulfilment().await;
    let buyer = t.customer();

    let created = t
        .coupon(json!({"code": "welcome10", "kind": "percent", "value": 10, "minSubtotal": 20}))
        .await;
    let (twin, _) = t
        .admin_call(
            Method::POST,
            "/coupons",
            Some(&json!({"code": "WELCOME10", "kind": "fixed", "value": 5})),
        )
        .await;
    let (bad, refused) = t
        .admin_call(
            Method::POST,
            "/coupons",
            Some(&json!({"code": "X", "kind": "percent", "value": 120})),
        )
        .await;
    let (customer, _) = t
        .request(Method::GET, "/coupons", Some(&buyer.bearer), None)
        .await;
    let (paused, changed) = t
        .admin_call(
            Method::PATCH,
            "/coupons/Welcome10",
            Some(&json!({"active": false, "minSubtotal": null})),
        )
        .await;
    let (misfit, _) = t
        .admin_call(
            Method::PATCH,
            "/coupons/WELCOME10",
            Some(&json!({"value": 150})),
        )
        .await;
    let (_, list) = t.admin_call(Method::GET, "/coupons", None).await;
    let (deleted, _) = t
        .admin_call(Method::DELETE, "/coupons/welcome10", None)
        .await;
    let (again, _) = t
        .admin_call(Method::DELETE, "/coupons/welcome10", None)
        .await;

    assert_eq!(created["code"], "WELCOME10");
    assert_eq!(
        (created["value"].clone(), created["used"].clone()),
        (json!(10.0), json!(0))
    );
    assert_eq!(twin, 409);
    assert_eq!(
        (bad, refused["error"]["details"]["value"].is_string()),
        (400, true)
    );
    assert_eq!(customer, 403);
    assert_eq!(paused, 200, "{changed}");
    assert_eq!(
        (
            changed["data"]["active"].clone(),
            changed["data"]["minSubtotal"].clone()
        ),
        (json!(false), Value::Null)
    );
    assert_eq!(
        misfit, 422,
        "a percent above 100 does not fit the stored kind"
    );
    assert_eq!(list["data"][0]["code"], "WELCOME10");
    assert_eq!(list["data"][0]["used"], 0);
    assert_eq!((deleted, again), (204, 404));
    t.stop().await;
}

#[tokio::test]
async fn each_bad_coupon_is_refused_with_its_reason_and_the_cart_is_left_as_it_was() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    let (buyer, other) = (t.customer(), t.customer());
    for coupon in [
        json!({"code": "OLD", "kind": "percent", "value": 10,
            "validFrom": "2020-01-01T00:00:00Z", "validUntil": "2021-01-01T00:00:00Z"}),
        json!({"code": "LATER", "kind": "percent", "value": 10, "validFrom": "2999-01-01T00:00:00Z"}),
        json!({"code": "BIG", "kind": "fixed", "value": 5, "minSubtotal": 100}),
        json!({"code": "ONCE", "kind": "fixed", "value": 1, "usageLimit": 1}),
        json!({"code": "MINE", "kind": "fixed", "value": 1, "perCustomerLimit": 1}),
        json!({"code": "GOLD20", "kind": "percent", "value": 20, "minTier": "Gold"}),
        json!({"code": "ASLEEP", "kind": "percent", "value": 10, "active": false}),
    ] {
        t.coupon(coupon).await;
    }
    // `ONCE` is used up by someone else; `MINE` was used by the buyer already.
    t.cart_with(&other, &lamp, 1, "ONCE").await;
    t.checkout_ok(&other).await;
    t.cart_with(&buyer, &lamp, 1, "MINE").await;
    t.checkout_ok(&buyer).await;
    t.put_line(&buyer, &lamp, json!(2)).await;

    let mut answers = Vec::new();
    for code in [
        "nope", "old", "LATER", "big", "once", "mine", "gold20", "asleep",
    ] {
        answers.push(t.apply(&buyer, code).await);
    }

    let reasons: Vec<(u16, &str)> = answers
        .iter()
        .map(|(status, body)| {
            (
                *status,
                body["error"]["details"]["reason"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (422, "unknown"),
            (422, "expired"),
            (422, "not_yet_valid"),
            (422, "below_minimum"),
            (422, "used_up"),
            (422, "per_customer_limit"),
            (422, "tier_too_low"),
            (422, "paused"),
        ]
    );
    assert_eq!(answers[1].1["error"]["details"]["code"], "OLD");
    let stored = t.stored_cart(&buyer).await.expect("the cart");
    assert!(stored.get("coupon").is_none(), "nothing written: {stored}");
    assert!(t.cart(&buyer).await.get("coupon").is_none());
    t.stop().await;
}

#[tokio::test]
async fn the_coupon_and_the_tier_price_the_cart_the_checkout_and_the_stored_order_alike() {
    let t = spawn_without_fulfilment().await;
    let chair = t.product("Chair", 30.0, 100).await;
    let gold = t.loyal_customer(2_500).await;
    t.coupon(json!({"code": "WELCOME10", "kind": "percent", "value": 10}))
        .await;
    t.coupon(json!({"code": "FREESHIP", "kind": "free_shipping"}))
        .await;

    // 60.00 − 10 % (6.00) = 54.00 − Gold's 10 % (5.40) = 48.60; shipping 5.99 (below 50);
    // tax 8 % of 54.59 = 4.3672 → 4.37; total 58.96.
    t.cart_with(&gold, &chair, 2, "welcome10").await;
    let cart = t.cart(&gold).await;
    let order = t.checkout_ok(&gold).await;
    let (_, stored) = t.order(order["id"].as_str().unwrap(), &gold.bearer).await;
    // Free shipping instead: the coupon saves the 5.99 and takes nothing off the subtotal.
    t.cart_with(&gold, &chair, 1, "FREESHIP").await;
    let freeship = t.cart(&gold).await;
    // `POST /orders` has no coupon but the same tier.
    let direct = t.place_ok(&gold, &[(&chair, 1)]).await;

    let expected = json!({"subtotal": 60.0, "couponDiscount": 6.0, "tierDiscount": 5.4,
        "pointsDiscount": 0.0, "shipping": 5.99, "tax": 4.37, "total": 58.96});
    assert_eq!(cart["quote"], expected);
    assert_eq!(
        cart["coupon"],
        json!({"code": "WELCOME10", "applies": true, "discount": 6.0})
    );
    assert_eq!(order["quote"], expected);
    assert_eq!(stored["data"]["quote"], expected);
    assert_eq!(
        (order["coupon"].clone(), order["total"].clone()),
        (json!("WELCOME10"), json!(48.6))
    );
    assert_eq!(t.used("WELCOME10").await, 1);
    assert_eq!(freeship["quote"]["shipping"], json!(0.0));
    assert_eq!(freeship["quote"]["couponDiscount"], json!(0.0));
    assert_eq!(freeship["coupon"]["discount"], json!(5.99));
    assert_eq!(direct["quote"]["tierDiscount"], json!(3.0));
    t.stop().await;
}

#[tokio::test]
async fn buyers_racing_for_a_coupon_with_k_uses_left_get_it_exactly_k_times() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 1000).await;
    t.coupon(json!({"code": "FEW", "kind": "percent", "value": 50, "usageLimit": 3}))
        .await;
    let buyers: Vec<Customer> = (0..8).map(|_| t.customer()).collect();
    for buyer in &buyers {
        t.cart_with(buyer, &lamp, 1, "FEW").await;
    }
    let body = crate::checkout::checkout_body();

    let answers = join_all(buyers.iter().map(|b| t.checkout(b, Some(&body), None))).await;

    let placed = answers.iter().filter(|(s, _, _)| *s == 201).count();
    let used_up = answers
        .iter()
        .filter(|(s, a, _)| *s == 422 && a["error"]["details"]["reason"] == "used_up")
        .count();
    assert_eq!((placed, used_up), (3, 5), "{answers:?}");
    assert_eq!(t.used("FEW").await, 3);
    let with_coupon =
        t.db.collection::<bson::Document>("orders")
            .count_documents(doc! { "coupon": "FEW" })
            .await
            .unwrap();
    assert_eq!((with_coupon, t.order_count().await), (3, 3));
    for (buyer, (status, _, _)) in buyers.iter().zip(&answers) {
        if *status == 422 {
            let cart = t.stored_cart(buyer).await.expect("a refused cart stays");
            assert!(
                cart.get("checkoutToken").is_none(),
                "the claim is released: {cart}"
            );
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn a_rejected_or_cancelled_order_gives_its_coupon_use_back_once_even_when_redelivered() {
    // product-service never hears of orders here: they stay PENDING until cancelled, or until
    // the saga's deadline rejects them.
    let t = spawn_with(Options {
        fulfilment: false,
        products_hear_orders: false,
        adjust: Box::new(|c| {
            c.saga.timeout = Duration::from_millis(1500);
            c.saga.poll = Duration::from_millis(50);
        }),
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    t.coupon(json!({"code": "BACK", "kind": "fixed", "value": 2, "usageLimit": 5, "perCustomerLimit": 1}))
        .await;
    let (late, quitter) = (t.customer(), t.customer());
    t.cart_with(&late, &lamp, 1, "BACK").await;
    t.cart_with(&quitter, &lamp, 1, "BACK").await;
    let expired = t.checkout_ok(&late).await;
    let cancelled = t.checkout_ok(&quitter).await;
    let counted = t.used("BACK").await;
    let (status, answer) = t
        .request(
            Method::POST,
            &format!("/orders/{}/cancel", cancelled["id"].as_str().unwrap()),
            Some(&quitter.bearer),
            None,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let rejected = t
        .wait_for_status(expired["id"].as_str().unwrap(), "REJECTED")
        .await;
    eventually("both uses to come back", WAIT, || async {
        (t.used("BACK").await == 0).then_some(())
    })
    .await;

    // Both ends heard again.
    let queue = t.bus.queue_name("order.coupons");
    let seen = consumed(&t.orders.app.get_text("/metrics").await, &queue).await;
    t.bus.wait_connected(WAIT).await;
    for (order, key) in [
        (&rejected, keys::ORDER_EXPIRED),
        (&answer["data"], keys::ORDER_CANCELLED),
    ] {
        let again = Envelope::new(
            key,
            "order-service",
            "test",
            json!({ "orderId": order["id"], "customerId": order["customerId"],
                "items": [], "reason": "again" }),
        );
        shared::testing::publish(&t.bus, &again).await;
    }
    eventually("both redeliveries consumed", WAIT, || async {
        (consumed(&t.orders.app.get_text("/metrics").await, &queue).await >= seen + 2).then_some(())
    })
    .await;

    assert_eq!(counted, 2);
    assert_eq!(
        t.used("BACK").await,
        0,
        "given back once each, never below zero"
    );
    // Each customer's own limit is free again too.
    t.put_line(&late, &lamp, json!(1)).await;
    let (status, answer) = t.apply(&late, "BACK").await;
    assert_eq!(status, 200, "{answer}");
    t.stop().await;
}

#[tokio::test]
async fn a_coupon_paused_after_it_was_put_in_a_cart_no_longer_applies_and_the_checkout_refuses_it()
{
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    let buyer = t.customer();
    t.coupon(json!({"code": "NAP", "kind": "percent", "value": 10}))
        .await;
    t.cart_with(&buyer, &lamp, 2, "NAP").await;
    let applied = t.cart(&buyer).await;

    let (status, _) = t
        .admin_call(
            Method::PATCH,
            "/coupons/NAP",
            Some(&json!({"active": false})),
        )
        .await;
    assert_eq!(status, 200);
    let paused = t.cart(&buyer).await;
    let body = crate::checkout::checkout_body();
    let (refused, answer, _) = t.checkout(&buyer, Some(&body), None).await;
    let stored = t.stored_cart(&buyer).await.expect("the cart stays");
    let (removed, without) = t
        .request(Method::DELETE, "/cart/coupon", Some(&buyer.bearer), None)
        .await;
    let order = t.checkout_ok(&buyer).await;

    assert_eq!(applied["quote"]["couponDiscount"], json!(2.0));
    assert_eq!(paused["coupon"]["applies"], json!(false));
    assert_eq!(paused["coupon"]["reason"], "paused");
    assert_eq!(paused["quote"]["couponDiscount"], json!(0.0));
    assert_eq!(
        (refused, answer["error"]["details"]["reason"].clone()),
        (422, json!("paused"))
    );
    assert!(stored.get("checkoutToken").is_none(), "{stored}");
    assert_eq!(stored.get_str("coupon").unwrap(), "NAP");
    assert_eq!(removed, 200);
    assert!(without["data"].get("coupon").is_none());
    assert!(order.get("coupon").is_none());
    assert_eq!((t.used("NAP").await, t.order_count().await), (0, 1));
    t.stop().await;
}

#[tokio::test]
async fn without_customer_service_the_cart_is_503_rather_than_a_price_without_the_tier() {
    let t = spawn_with(Options {
        fulfilment: false,
        customers: false,
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    let buyer = t.customer();

    let (put, _) = t.put_line(&buyer, &lamp, json!(1)).await;
    let (status, answer) = t
        .request(Method::GET, "/cart", Some(&buyer.bearer), None)
        .await;

    assert_eq!(put, 503, "the line is set, but the cart cannot be priced");
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "UPSTREAM_UNAVAILABLE");
    t.stop().await;
}

#[tokio::test]
async fn a_stock_rejection_gives_the_coupon_use_back_once_even_when_redelivered() {
    // product-service never hears of the order: the test answers for it.
    let t = spawn_with(Options {
        fulfilment: false,
        products_hear_orders: false,
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    t.coupon(json!({"code": "ONLY1", "kind": "percent", "value": 10, "usageLimit": 1}))
        .await;
    let (first, second) = (t.customer(), t.customer());
    t.cart_with(&first, &lamp, 1, "ONLY1").await;
    let order = t.checkout_ok(&first).await;
    let id = order["id"].as_str().unwrap();
    t.put_line(&second, &lamp, json!(1)).await;
    let (while_held, held) = t.apply(&second, "ONLY1").await;

    let queue = t.bus.queue_name("order.stock");
    let seen = consumed(&t.orders.app.get_text("/metrics").await, &queue).await;
    t.bus.wait_connected(WAIT).await;
    for _ in 0..2 {
        let rejected = Envelope::new(
            keys::STOCK_REJECTED,
            "product-service",
            "test",
            json!({ "orderId": id, "lines": [] }),
        );
        shared::testing::publish(&t.bus, &rejected).await;
    }
    t.wait_for_status(id, "REJECTED").await;
    eventually("both deliveries consumed", WAIT, || async {
        (consumed(&t.orders.app.get_text("/metrics").await, &queue).await >= seen + 2).then_some(())
    })
    .await;
    let (after, _) = t.apply(&second, "ONLY1").await;

    assert_eq!(while_held, 422);
    assert_eq!(held["error"]["details"]["reason"], "used_up");
    assert_eq!(
        t.used("ONLY1").await,
        0,
        "given back once, never below zero"
    );
    assert_eq!(after, 200, "the use is free again");
    t.stop().await;
}

#[tokio::test]
async fn a_declined_payment_gives_the_coupon_use_back_once() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 100).await;
    t.coupon(json!({"code": "ONCE", "kind": "percent", "value": 10, "usageLimit": 1}))
        .await;
    let (first, second) = (t.customer(), t.customer());
    t.cart_with(&first, &lamp, 1, "ONCE").await;
    let declined = json!({ "shippingAddress": address(),
        "card": crate::payments::card(crate::payments::DECLINES) });

    let (status, answer, _) = t.checkout(&first, Some(&declined), None).await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["data"]["id"].as_str().unwrap().to_owned();
    let rejected = t.wait_for_status(&id, "REJECTED").await;
    assert!(
        rejected["rejectionReason"]
            .as_str()
            .is_some_and(|r| r.starts_with("PAYMENT_DECLINED")),
        "{rejected}"
    );
    t.put_line(&second, &lamp, json!(1)).await;

    // The give-back is heard on its own queue after the rejection: poll the second buyer's
    // right to the one use, which comes back only through it.
    eventually("the use given back", WAIT, || async {
        (t.apply(&second, "ONCE").await.0 == 200).then_some(())
    })
    .await;
    assert_eq!(t.used("ONCE").await, 0, "given back once, never below zero");
    t.stop().await;
}
