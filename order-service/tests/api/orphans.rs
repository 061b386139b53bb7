//! The orphan sweeps (issue 15): a coupon use (here) and a points hold (customer-service)
//! taken by a checkout that never stored its order are given back once, by two replicas
//! sweeping at once, and only when the order does not exist; the checkout coming back with
//! its token takes them again. Real MongoDB, RabbitMQ, Redis, product- and customer-service.

use std::time::Duration;

use bson::doc;
use chrono::Utc;
use order_service::{
    domain::{Money, coupon::Tier},
    orphans,
    store::coupons,
};
use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::{eventually, service_config};

use crate::{
    checkout::checkout_body,
    helpers::{NOWHERE, Options, TestApp, WAIT, spawn_with},
    points::{loyalty, member},
    requests::{Customer, call},
};

const LONG: Duration = Duration::from_secs(3600);

async fn shop(adjust: impl FnOnce(&mut order_service::Config) + Send + 'static) -> TestApp {
    spawn_with(Options {
        customers: true,
        fulfilment: false,
        adjust: Box::new(adjust),
        ..Options::default()
    })
    .await
}

impl TestApp {
    async fn new_coupon(&self, body: Value) {
        let (status, answer) = self
            .request(Method::POST, "/coupons", Some(&self.admin), Some(&body))
            .await;
        assert_eq!(status, 201, "{answer}");
    }

    async fn coupon_used(&self, code: &str) -> i64 {
        let (status, answer) = self
            .request(
                Method::GET,
                &format!("/coupons/{code}"),
                Some(&self.admin),
                None,
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["data"]["used"].as_i64().unwrap()
    }

    /// What a checkout that stopped between counting its coupon and inserting its order
    /// leaves: the use counted under `token`, no order.
    async fn count_without_order(&self, code: &str, who: &Customer, token: &str) {
        let counted = coupons::redeem(
            &self.db,
            code,
            &who.id,
            &Tier::bronze(),
            Money::from_cents(10_000),
            token,
        )
        .await
        .expect("redeem");
        assert!(counted.is_ok(), "{counted:?}");
    }
}

#[tokio::test]
async fn a_coupon_use_whose_checkout_stored_no_order_is_given_back_once_by_two_sweeping_replicas() {
    let t = shop(|_| {}).await;
    let lamp = t.product("Lamp", 20.0, 10).await;
    t.new_coupon(json!({"code": "TWICE", "kind": "percent", "value": 10, "usageLimit": 2}))
        .await;
    // One use by a checkout that stored its order, one by a checkout that stopped before.
    let placed = t.customer();
    let (status, answer) = t.put_line(&placed, &lamp, json!(1)).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = t
        .request(
            Method::POST,
            "/cart/coupon",
            Some(&placed.bearer),
            Some(&json!({"code": "twice"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let order = t.checkout_ok(&placed).await;
    let crashed = t.customer();
    let token = format!("checkout:{}:crashed", crashed.id);
    t.count_without_order("TWICE", &crashed, &token).await;
    assert_eq!(t.coupon_used("TWICE").await, 2);

    // Too young to be swept, then old enough, swept by two replicas at once.
    let now = Utc::now().timestamp_millis();
    let young = orphans::sweep(&t.db, LONG, now).await.unwrap();
    let (a, b) = tokio::join!(
        orphans::sweep(&t.db, Duration::from_millis(1), now + 10),
        orphans::sweep(&t.db, Duration::from_millis(1), now + 10),
    );
    let again = orphans::sweep(&t.db, Duration::from_millis(1), now + 10)
        .await
        .unwrap();

    assert_eq!(young, 0);
    assert_eq!(a.unwrap() + b.unwrap(), 1, "given back once");
    assert_eq!(again, 0);
    assert_eq!(
        t.coupon_used("TWICE").await,
        1,
        "the placed order keeps its use"
    );
    assert_eq!(order["coupon"], "TWICE");
    // The stopped checkout comes back with its token: its use is counted again, once.
    t.count_without_order("TWICE", &crashed, &token).await;
    t.count_without_order("TWICE", &crashed, &token).await;
    assert_eq!(t.coupon_used("TWICE").await, 2);
    t.stop().await;
}

#[tokio::test]
async fn the_running_sweep_gives_an_orphaned_coupon_use_back_by_itself() {
    let t = shop(|config| {
        config.orphans.ttl = Duration::from_millis(200);
        config.orphans.poll = Duration::from_millis(50);
    })
    .await;
    t.new_coupon(json!({"code": "LONE", "kind": "fixed", "value": 5, "usageLimit": 1}))
        .await;
    let crashed = t.customer();

    t.count_without_order("LONE", &crashed, &format!("checkout:{}:k", crashed.id))
        .await;

    eventually("the use given back", WAIT, || async {
        (t.coupon_used("LONE").await == 0).then_some(())
    })
    .await;
    let redemption =
        t.db.collection::<bson::Document>(coupons::redemptions::COLLECTION)
            .find_one(doc! { "code": "LONE" })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(redemption.get_str("state"), Ok("returned"), "{redemption}");
    assert!(redemption.contains_key("returnedAtMs"), "{redemption}");
    t.stop().await;
}

/// customer-service's sweep, asking this test's order-service.
fn hold_sweeper(t: &TestApp, orders_url: &str) -> customer_service::orphans::Orders {
    let tls = service_config(customer_service::DEFAULTS, &t.names).tls;
    customer_service::orphans::Orders::new(orders_url, &tls, t.names.signer.clone()).unwrap()
}

fn customers_db(t: &TestApp) -> mongodb::Database {
    t.db.client()
        .database(&format!("{}_customers", t.names.database))
}

/// `POST /internal/loyalty/holds` as order-service makes it: the hold of a checkout.
async fn hold(t: &TestApp, who: &Customer, key: &str, order: &str, points: i64) -> (u16, Value) {
    let cs = t.customers.as_ref().unwrap();
    call(
        &cs.client,
        Method::POST,
        &cs.url("/internal/loyalty/holds"),
        Some(&who.bearer),
        Some(&json!({ "key": key, "orderId": order, "points": points })),
    )
    .await
}

/// The holds of `who` as stored (order id, state); the API does not show them.
async fn holds(db: &mongodb::Database, who: &Customer) -> Vec<(String, String)> {
    let id = bson::oid::ObjectId::parse_str(&who.id).unwrap();
    let found = db
        .collection::<bson::Document>("customers")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    found
        .get_document("loyalty")
        .and_then(|l| l.get_array("holds"))
        .map(|all| {
            all.iter()
                .filter_map(|h| h.as_document())
                .map(|h| {
                    (
                        h.get_str("orderId").unwrap().to_owned(),
                        h.get_str("state").unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_points_hold_whose_checkout_stored_no_order_is_given_back_once_and_taken_again_if_it_returns()
 {
    let t = shop(|_| {}).await;
    let ada = member(&t, "ada.orphan@example.com", 1_000).await;
    let lamp = t.product("Lamp", 20.0, 10).await;
    // A checkout that stored its order, holding 100 points.
    let (status, answer) = t.put_line(&ada, &lamp, json!(1)).await;
    assert_eq!(status, 200, "{answer}");
    let mut body = checkout_body();
    body["redeemPoints"] = json!(100);
    let (status, answer, _) = t.checkout(&ada, Some(&body), None).await;
    assert_eq!(status, 201, "{answer}");
    let placed = answer["data"]["id"].as_str().unwrap().to_owned();
    // A checkout that held 300 points and stopped before its insert.
    let lost = bson::oid::ObjectId::new().to_hex();
    let key = format!("checkout:{}:crashed", ada.id);
    let (status, answer) = hold(&t, &ada, &key, &lost, 300).await;
    assert_eq!(status, 201, "{answer}");
    let db = customers_db(&t);
    let orders_url = t.orders.app.base_url.clone();
    let later = Utc::now() + chrono::Duration::seconds(5);

    // order-service down: nothing is given back on a guess.
    let down = customer_service::orphans::sweep(
        &db,
        &hold_sweeper(&t, NOWHERE),
        Duration::from_secs(1),
        later,
    )
    .await;
    let young = customer_service::orphans::sweep(&db, &hold_sweeper(&t, &orders_url), LONG, later)
        .await
        .unwrap();
    let (replica_a, replica_b) = (hold_sweeper(&t, &orders_url), hold_sweeper(&t, &orders_url));
    let (one, two) = tokio::join!(
        customer_service::orphans::sweep(&db, &replica_a, Duration::from_secs(1), later),
        customer_service::orphans::sweep(&db, &replica_b, Duration::from_secs(1), later),
    );

    assert!(down.is_err(), "{down:?}");
    assert_eq!(young, 0);
    assert_eq!(one.unwrap() + two.unwrap(), 1, "expired once");
    let account = loyalty(&t, &ada).await;
    let states = holds(&db, &ada).await;
    assert!(
        states.contains(&(lost.clone(), "EXPIRED".to_owned())),
        "{states:?}"
    );
    assert!(
        !states.contains(&(placed.clone(), "EXPIRED".to_owned())),
        "the placed order's hold is its events' business: {states:?}"
    );
    assert_eq!(
        account["points"], 900,
        "300 back, 100 with the placed order: {account}"
    );
    let expiries = account["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["orderId"] == lost.as_str() && h["reason"] == "POINTS_RELEASED")
        .count();
    assert_eq!(expiries, 1, "{account}");

    // The stopped checkout comes back with its token: the points are held again, same order.
    let (status, answer) = hold(&t, &ada, &key, &bson::oid::ObjectId::new().to_hex(), 300).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["orderId"], lost.as_str());
    assert_eq!(answer["data"]["state"], "HELD");
    assert_eq!(loyalty(&t, &ada).await["points"], 600);
    t.stop().await;
}
