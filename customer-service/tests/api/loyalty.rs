//! `/loyalty`: points earned when an order is delivered (from `order.status_changed` on the
//! test's own exchange), once per order, tiers by lifetime points, `loyalty.changed` out.

use serde_json::{Value, json};
use shared::{
    events::{Bus, ConsumerSpec, Envelope, keys},
    testing::{bus_config, delete_topology, eventually},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestApp, WAIT, spawn_app, token};

/// `order.status_changed` into `newStatus` for `order` of `customer`, totalling `total`.
fn status_changed(customer: &str, order: &str, new_status: &str, total: f64) -> Envelope {
    Envelope::new(
        keys::ORDER_STATUS_CHANGED,
        "order-service",
        "loyalty-test",
        json!({
            "orderId": order, "customerId": customer, "oldStatus": "SHIPPED",
            "newStatus": new_status, "at": "2026-12-04T10:00:00.000Z", "index": 3,
            "order": { "id": order, "customerId": customer, "status": new_status, "total": total },
        }),
    )
}

async fn loyalty(t: &TestApp, bearer: &str) -> Value {
    let (status, body) = t.get_as("/loyalty", bearer).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// The account once the order `order` has been credited.
async fn credited(t: &TestApp, bearer: &str, order: &str) -> Value {
    eventually(&format!("points for {order}"), WAIT, || async {
        let account = loyalty(t, bearer).await;
        let history = account["history"].as_array().cloned().unwrap_or_default();
        history
            .iter()
            .any(|h| h["orderId"] == order)
            .then_some(account)
    })
    .await
}

#[tokio::test]
async fn a_delivered_order_earns_points_once_and_moves_the_tier_up() {
    let t = spawn_app().await;
    let session = t.register("points@example.com").await;
    let (customer, bearer) = (
        session["customer"]["id"].as_str().unwrap().to_owned(),
        token(&session),
    );
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&t.names), "order-service", cancel.clone());
    assert!(bus.wait_connected(WAIT).await);
    let (tx, mut changes) = tokio::sync::mpsc::unbounded_channel();
    let observer = bus.consume(
        ConsumerSpec::new("loyalty-observer", &[keys::LOYALTY_CHANGED]),
        move |event| {
            let _ = tx.send(event);
            std::future::ready(Ok(()))
        },
    );
    assert!(observer.wait_subscribed(WAIT).await);
    let fresh = loyalty(&t, &bearer).await;
    assert_eq!(
        (fresh["points"].as_i64(), fresh["tier"].as_str()),
        (Some(0), Some("Bronze"))
    );

    // Not delivered yet: nothing. Delivered: 320 points (cents dropped).
    let first = "6750a0000000000000000001";
    bus.publish(&status_changed(&customer, first, "SHIPPED", 320.99))
        .await
        .unwrap();
    let delivered = status_changed(&customer, first, "DELIVERED", 320.99);
    bus.publish(&delivered).await.unwrap();
    let account = credited(&t, &bearer, first).await;
    assert_eq!(account["points"], 320);
    assert_eq!(account["tier"], "Bronze");
    assert_eq!(
        account["nextTier"],
        json!({ "name": "Silver", "pointsNeeded": 180 })
    );
    assert_eq!(account["history"][0]["orderId"], first);
    assert_eq!(account["history"][0]["reason"], "ORDER_DELIVERED");

    // The same event again, and another event saying the same order was delivered; then a
    // later order, which the single consumer applies only after both.
    bus.publish(&delivered).await.unwrap();
    bus.publish(&status_changed(&customer, first, "DELIVERED", 320.99))
        .await
        .unwrap();
    let second = "6750a0000000000000000002";
    bus.publish(&status_changed(&customer, second, "DELIVERED", 180.00))
        .await
        .unwrap();
    let account = credited(&t, &bearer, second).await;

    assert_eq!(
        (
            account["points"].as_i64(),
            account["lifetimePoints"].as_i64()
        ),
        (Some(500), Some(500)),
        "{account}"
    );
    assert_eq!(account["tier"], "Silver");
    assert_eq!(
        account["nextTier"],
        json!({ "name": "Gold", "pointsNeeded": 1500 })
    );
    assert_eq!(account["history"].as_array().unwrap().len(), 2, "{account}");
    assert_eq!(account["history"][0]["orderId"], second);

    // One loyalty.changed per credit, in order: nothing for the repeats.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let event = tokio::time::timeout(WAIT, changes.recv())
            .await
            .expect("loyalty.changed")
            .unwrap();
        assert_eq!(event.source, "customer-service");
        assert_eq!(event.data["customerId"], customer.as_str());
        seen.push((
            event.data["points"].as_i64().unwrap(),
            event.data["tier"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        seen,
        [(320, "Bronze".to_owned()), (500, "Silver".to_owned())]
    );
    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}

#[tokio::test]
async fn the_tiers_are_public() {
    let t = spawn_app().await;

    let (status, body) = t.app.get("/loyalty/tiers").await;
    let (anonymous, _) = t.app.get("/loyalty").await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!([
            { "name": "Bronze", "minPoints": 0, "discountPercent": 0 },
            { "name": "Silver", "minPoints": 500, "discountPercent": 5 },
            { "name": "Gold", "minPoints": 2000, "discountPercent": 10 },
            { "name": "Platinum", "minPoints": 5000, "discountPercent": 15 },
        ])
    );
    assert_eq!(anonymous, 401);
    t.stop().await;
}

#[tokio::test]
async fn an_unreadable_delivery_is_set_aside_and_later_orders_still_earn() {
    let t = spawn_app().await;
    let session = t.register("unreadable@example.com").await;
    let (customer, bearer) = (
        session["customer"]["id"].as_str().unwrap().to_owned(),
        token(&session),
    );
    let cancel = CancellationToken::new();
    let bus = Bus::start(bus_config(&t.names), "order-service", cancel.clone());
    assert!(bus.wait_connected(WAIT).await);

    let mut broken = status_changed(&customer, "6750a00000000000000000b1", "DELIVERED", 10.0);
    broken.data["order"]["total"] = json!("ten");
    bus.publish(&broken).await.unwrap();
    let good = "6750a00000000000000000b2";
    bus.publish(&status_changed(&customer, good, "DELIVERED", 42.5))
        .await
        .unwrap();

    let account = credited(&t, &bearer, good).await;
    assert_eq!(account["points"], 42, "{account}");
    assert_eq!(account["history"].as_array().unwrap().len(), 1);
    let dead = eventually("the unreadable event dead-lettered", WAIT, || async {
        shared::testing::take_one(&bus, &bus.dead_letter_queue()).await
    })
    .await;
    assert_eq!(dead.id, broken.id);
    cancel.cancel();
    delete_topology(&bus).await;
    t.stop().await;
}
