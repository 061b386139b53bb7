//! Redeemed points (issue 15): held by the internal hold endpoint (once per checkout token,
//! never below zero under concurrent holds), spent on `PROCESSING`, released on `REJECTED` and
//! `CANCELLED`, each once whatever is redelivered; earned points taken back on
//! `payment.refunded`; the admin's adjustment, once per key.

use serde_json::{Value, json};
use shared::{
    events::{Bus, Envelope, keys},
    testing::{bus_config, delete_topology, eventually},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestApp, WAIT, spawn_app, token};

/// A customer: (id, bearer).
async fn customer(t: &TestApp, email: &str) -> (String, String) {
    let session = t.register(email).await;
    (
        session["customer"]["id"].as_str().unwrap().to_owned(),
        token(&session),
    )
}

/// `POST /customers/{id}/loyalty/adjustments` as the admin.
async fn adjust(t: &TestApp, customer: &str, body: Value) -> (u16, Value) {
    let admin = t.admin_token().await;
    t.request(
        "POST",
        &format!("/customers/{customer}/loyalty/adjustments"),
        Some(body),
        Some(&admin),
    )
    .await
}

async fn give(t: &TestApp, customer: &str, points: i64) {
    let (status, body) = adjust(
        t,
        customer,
        json!({"points": points, "reason": "test", "id": format!("give-{points}")}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn hold(t: &TestApp, bearer: &str, key: &str, order: &str, points: i64) -> (u16, Value) {
    t.request(
        "POST",
        "/internal/loyalty/holds",
        Some(json!({"key": key, "orderId": order, "points": points})),
        Some(bearer),
    )
    .await
}

async fn loyalty(t: &TestApp, bearer: &str) -> Value {
    let (status, body) = t.get_as("/loyalty", bearer).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

fn status_changed(customer: &str, order: &str, new_status: &str, total: f64) -> Envelope {
    Envelope::new(
        keys::ORDER_STATUS_CHANGED,
        "order-service",
        "points-test",
        json!({
            "orderId": order, "customerId": customer, "oldStatus": "PENDING",
            "newStatus": new_status, "at": "2026-12-05T10:00:00.000Z", "index": 1,
            "order": { "id": order, "customerId": customer, "status": new_status,
                       "total": total, "quote": { "total": total * 2.0 } },
        }),
    )
}

/// The account once its history holds `reason` for `order`.
async fn moved(t: &TestApp, bearer: &str, order: &str, reason: &str) -> Value {
    eventually(&format!("{reason} for {order}"), WAIT, || async {
        let account = loyalty(t, bearer).await;
        let history = account["history"].as_array().cloned().unwrap_or_default();
        history
            .iter()
            .any(|h| h["orderId"] == order && h["reason"] == reason)
            .then_some(account)
    })
    .await
}

fn count(account: &Value, reason: &str) -> usize {
    account["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["reason"] == reason)
        .count()
}

async fn bus_for(t: &TestApp) -> (Bus, CancellationToken) {
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&t.names), "order-service", cancel.clone());
    assert!(bus.wait_connected(WAIT).await);
    (bus, cancel)
}

#[tokio::test]
async fn concurrent_holds_beyond_the_balance_never_take_it_below_zero() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "race@example.com").await;
    give(&t, &id, 1_000).await;

    // Six checkouts of 300 points each at once: three fit in 1,000.
    let attempts = (0..6).map(|i| {
        let (t, bearer, id) = (&t, &bearer, &id);
        async move {
            let order = format!("6750b000000000000000000{i}");
            hold(t, bearer, &format!("checkout:{id}:race-{i}"), &order, 300).await
        }
    });
    let answers = futures::future::join_all(attempts).await;

    let won = answers.iter().filter(|(s, _)| *s == 201).count();
    let lost: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 422)
        .map(|(_, b)| b)
        .collect();
    assert_eq!((won, lost.len()), (3, 3), "{answers:?}");
    assert!(
        lost[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("redeemPoints"),
        "{}",
        lost[0]
    );
    let account = loyalty(&t, &bearer).await;
    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(100), Some(900))
    );
    t.stop().await;
}

#[tokio::test]
async fn a_retried_hold_holds_once_and_a_refused_one_writes_nothing() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "retry@example.com").await;
    give(&t, &id, 500).await;
    let key = format!("checkout:{id}:same-key");

    let (first, body) = hold(&t, &bearer, &key, "6750b00000000000000000a1", 200).await;
    let (again, replay) = hold(&t, &bearer, &key, "6750b00000000000000000a2", 200).await;
    let (refused, refusal) = hold(&t, &bearer, "other", "6750b00000000000000000a3", 301).await;
    let (bad, problem) = hold(&t, &bearer, "bad", "not-an-id", 1).await;

    assert_eq!(
        (first, again, refused, bad),
        (201, 200, 422, 400),
        "{refusal} {problem}"
    );
    assert_eq!(
        replay["data"], body["data"],
        "the first hold answers the retry"
    );
    assert_eq!(replay["data"]["orderId"], "6750b00000000000000000a1");
    let account = loyalty(&t, &bearer).await;
    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(300), Some(200))
    );
    assert_eq!(count(&account, "POINTS_HELD"), 1, "{account}");
    let (anonymous, _) = t
        .post(
            "/internal/loyalty/holds",
            json!({"key": "k", "orderId": "6750b00000000000000000a4", "points": 1}),
        )
        .await;
    assert_eq!(anonymous, 401);
    t.stop().await;
}

#[tokio::test]
async fn held_points_are_spent_on_processing_and_released_on_rejected_or_cancelled_once() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "holds@example.com").await;
    give(&t, &id, 1_000).await;
    let (paid, rejected, cancelled) = (
        "6750b00000000000000000c1",
        "6750b00000000000000000c2",
        "6750b00000000000000000c3",
    );
    for (order, points) in [(paid, 100), (rejected, 200), (cancelled, 300)] {
        let (status, body) = hold(&t, &bearer, &format!("k-{order}"), order, points).await;
        assert_eq!(status, 201, "{body}");
    }
    let (bus, cancel) = bus_for(&t).await;

    let processing = status_changed(&id, paid, "PROCESSING", 10.0);
    bus.publish(&processing).await.unwrap();
    bus.publish(&processing).await.unwrap();
    let reject = status_changed(&id, rejected, "REJECTED", 20.0);
    bus.publish(&reject).await.unwrap();
    bus.publish(&reject).await.unwrap();
    // A second event for the same order (e.g. the deadline's rejection after a cancel) and a
    // redelivery: nothing more comes back.
    bus.publish(&status_changed(&id, rejected, "CANCELLED", 20.0))
        .await
        .unwrap();
    let cancel_event = status_changed(&id, cancelled, "CANCELLED", 30.0);
    bus.publish(&cancel_event).await.unwrap();
    bus.publish(&cancel_event).await.unwrap();
    // The single consumer applies in order: once the last marker is seen, all came before.
    let marker = "6750b00000000000000000cf";
    bus.publish(&status_changed(&id, marker, "DELIVERED", 7.0))
        .await
        .unwrap();
    let account = moved(&t, &bearer, marker, "ORDER_DELIVERED").await;

    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(1_000 - 100 + 7), Some(0)),
        "{account}"
    );
    assert_eq!(count(&account, "POINTS_SPENT"), 1, "{account}");
    assert_eq!(count(&account, "POINTS_RELEASED"), 2, "{account}");
    assert_eq!(count(&account, "POINTS_RETURNED"), 0, "{account}");
    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}

#[tokio::test]
async fn a_paid_order_cancelled_gets_its_spent_points_back_once() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "returned@example.com").await;
    give(&t, &id, 400).await;
    let order = "6750b00000000000000000d1";
    hold(&t, &bearer, "k-d1", order, 400).await;
    let (bus, cancel) = bus_for(&t).await;

    bus.publish(&status_changed(&id, order, "PROCESSING", 10.0))
        .await
        .unwrap();
    moved(&t, &bearer, order, "POINTS_SPENT").await;
    let cancelled = status_changed(&id, order, "CANCELLED", 10.0);
    bus.publish(&cancelled).await.unwrap();
    bus.publish(&cancelled).await.unwrap();
    let marker = "6750b00000000000000000df";
    bus.publish(&status_changed(&id, marker, "DELIVERED", 1.0))
        .await
        .unwrap();
    let account = moved(&t, &bearer, marker, "ORDER_DELIVERED").await;

    assert_eq!(
        (account["points"].as_i64(), account["held"].as_i64()),
        (Some(401), Some(0))
    );
    assert_eq!(count(&account, "POINTS_RETURNED"), 1, "{account}");
    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}

fn refunded(customer: &str, order: &str, amount: f64, provider_ref: &str) -> Envelope {
    Envelope::new(
        keys::PAYMENT_REFUNDED,
        "order-service",
        "points-test",
        json!({"orderId": order, "customerId": customer, "amount": amount,
               "providerRef": provider_ref}),
    )
}

#[tokio::test]
async fn a_refund_takes_back_the_points_the_order_earned_once() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "refund@example.com").await;
    let (bus, cancel) = bus_for(&t).await;
    // Earned 200 points; paid 400.00 (the quote's total).
    let order = "6750b00000000000000000e1";
    bus.publish(&status_changed(&id, order, "DELIVERED", 200.0))
        .await
        .unwrap();
    moved(&t, &bearer, order, "ORDER_DELIVERED").await;

    // A quarter refunded, the same refund redelivered; a refund of an order that earned nothing.
    let quarter = refunded(&id, order, 100.0, "re_test_1");
    bus.publish(&quarter).await.unwrap();
    bus.publish(&quarter).await.unwrap();
    bus.publish(&refunded(
        &id,
        "6750b00000000000000000e2",
        50.0,
        "re_test_2",
    ))
    .await
    .unwrap();
    let marker = "6750b00000000000000000ef";
    bus.publish(&status_changed(&id, marker, "DELIVERED", 3.0))
        .await
        .unwrap();
    let account = moved(&t, &bearer, marker, "ORDER_DELIVERED").await;
    assert_eq!(
        (
            account["points"].as_i64(),
            account["lifetimePoints"].as_i64()
        ),
        (Some(200 - 50 + 3), Some(153)),
        "{account}"
    );
    assert_eq!(count(&account, "ORDER_REFUNDED"), 1, "{account}");

    // The rest refunded (more than paid is capped): never more than the order earned.
    bus.publish(&refunded(&id, order, 500.0, "re_test_3"))
        .await
        .unwrap();
    let account = eventually("the rest taken back", WAIT, || async {
        let account = loyalty(&t, &bearer).await;
        (count(&account, "ORDER_REFUNDED") == 2).then_some(account)
    })
    .await;
    assert_eq!(account["points"], 3, "{account}");
    assert_eq!(account["history"][0]["points"], -150);
    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}

#[tokio::test]
async fn an_admin_adjustment_is_made_once_per_key_and_only_by_an_admin() {
    let t = spawn_app().await;
    let (id, bearer) = customer(&t, "adjusted@example.com").await;
    let body = json!({"points": 1250, "reason": "welcome gift", "id": "seed-1"});

    let (first, account) = adjust(&t, &id, body.clone()).await;
    let (again, replay) = adjust(&t, &id, body).await;
    let (other, mismatch) =
        adjust(&t, &id, json!({"points": 5, "reason": "x", "id": "seed-1"})).await;
    let (keyless, keyless_body) = adjust(&t, &id, json!({"points": 5, "reason": "x"})).await;
    let (bad, problems) = adjust(&t, &id, json!({"points": 0, "reason": ""})).await;
    let (too_much, _) = adjust(
        &t,
        &id,
        json!({"points": -5000, "reason": "x", "id": "take"}),
    )
    .await;
    let (by_customer, _) = t
        .request(
            "POST",
            &format!("/customers/{id}/loyalty/adjustments"),
            Some(json!({"points": 5, "reason": "x", "id": "mine"})),
            Some(&bearer),
        )
        .await;

    assert_eq!((first, again, other), (201, 200, 422), "{mismatch}");
    assert_eq!(
        (keyless, bad, too_much, by_customer),
        (422, 400, 422, 403),
        "{keyless_body}"
    );
    assert!(
        problems["error"]["details"].get("points").is_some(),
        "{problems}"
    );
    assert_eq!(account["data"]["tier"], "Silver");
    assert_eq!(replay["data"]["points"], 1250);
    let mine = loyalty(&t, &bearer).await;
    assert_eq!(
        (mine["points"].as_i64(), mine["tier"].as_str()),
        (Some(1250), Some("Silver"))
    );
    assert_eq!(mine["history"][0]["note"], "welcome gift");
    t.stop().await;
}
