//! The durable fulfilment schedule: ships and delivers by itself, never twice across replicas,
//! resumes after a restart, and can be switched off.

use bson::{doc, oid::ObjectId};
use chrono::Utc;
use shared::testing::eventually;

use crate::{
    helpers::{Options, WAIT, order_config, spawn_app, spawn_replica, spawn_with},
    replicas::second_replica,
};

fn statuses(order: &serde_json::Value) -> Vec<String> {
    order["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_order_ships_then_arrives_by_itself_with_carrier_tracking_and_estimate() {
    let t = spawn_app().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;

    let delivered = t.wait_for_status(&id, "DELIVERED").await;

    assert_eq!(
        statuses(&delivered),
        ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"]
    );
    assert!(delivered["carrier"].is_string());
    assert!(delivered["trackingNumber"].is_string());
    let times: Vec<&str> = delivered["statusHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(delivered["estimatedDelivery"].as_str().unwrap() > times[2]);
    t.stop().await;
}

#[tokio::test]
async fn two_replicas_never_advance_an_order_twice() {
    let t = spawn_app().await;
    let b = second_replica(&t, true).await;
    let lamp = t.product("Lamp", 1.0, 100).await;
    let buyer = t.customer();
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(t.place_id(&buyer, &[(&lamp, 1)]).await);
    }

    for id in &ids {
        let delivered = t.wait_for_status(id, "DELIVERED").await;
        assert_eq!(
            statuses(&delivered),
            ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"]
        );
        assert_eq!(delivered["version"], 3);
    }
    b.app.stop_and_clean().await;
    t.stop().await;
}

#[tokio::test]
async fn a_switched_off_schedule_keeps_its_due_times_and_a_restart_resumes_it() {
    let t = spawn_with(Options {
        fulfilment: false,
        ..Options::default()
    })
    .await;
    let lamp = t.product("Lamp", 1.0, 100).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;
    let oid = ObjectId::parse_str(&id).unwrap();
    eventually("the next step to be overdue", WAIT, || async {
        let order =
            t.db.collection::<bson::Document>("orders")
                .find_one(doc! { "_id": oid })
                .await
                .ok()??;
        (order.get_i64("nextDueAtMs").ok()? < Utc::now().timestamp_millis()).then_some(())
    })
    .await;
    let (_, still) = t.order(&id, &buyer.bearer).await;
    assert_eq!(
        still["data"]["status"], "PROCESSING",
        "nothing advances while switched off"
    );

    // A replica with the schedule on takes over, as after a restart.
    let restarted = spawn_replica(order_config(
        &t.names,
        &t.products.base_url,
        crate::helpers::NOWHERE,
    ))
    .await;

    t.wait_for_status(&id, "DELIVERED").await;
    restarted.app.stop_and_clean().await;
    t.stop().await;
}
