//! Two order-service replicas against one broker and one database.

use reqwest::Method;
use serde_json::json;

use crate::{
    helpers::{Options, Replica, TestApp, database, order_config, spawn_replica, spawn_with},
    requests::call,
    streams::{expect_message, next_event, sse, subscribe, transition, ws},
};

/// A second replica of `t`'s order-service, fulfilment as given.
pub async fn second_replica(t: &TestApp, fulfilment: bool) -> Replica {
    let mut config = order_config(&t.names, &t.products.base_url, crate::helpers::NOWHERE);
    config.fulfilment.enabled = fulfilment;
    let replica = spawn_replica(config).await;
    assert_eq!(
        database(&order_config(&t.names, "", "")).await.name(),
        t.db.name()
    );
    replica
}

#[tokio::test]
async fn a_subscriber_on_one_replica_sees_changes_made_through_the_other() {
    let t = spawn_with(Options {
        fulfilment: false,
        ..Options::default()
    })
    .await;
    let b = second_replica(&t, false).await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;
    let mut socket = ws(&b.app.base_url, Some(&buyer.bearer)).await;
    subscribe(&mut socket, &id).await;
    assert_eq!(
        expect_message(&mut socket).await["order"]["status"],
        "PROCESSING"
    );
    let (_, mut events) = sse(
        &b.app.url(&format!("/orders/{id}/stream")),
        &buyer.bearer,
        None,
    )
    .await;
    assert_eq!(next_event(&mut events).await.unwrap().event, "snapshot");

    // Through replica A.
    let (status, _) = t
        .request(
            Method::PATCH,
            &format!("/orders/{id}/status"),
            Some(&t.admin),
            Some(&json!({ "status": "SHIPPED" })),
        )
        .await;
    assert_eq!(status, 200);

    let over_ws = expect_message(&mut socket).await;
    let over_sse = next_event(&mut events).await.unwrap();
    assert_eq!(
        transition(&over_ws),
        ("PROCESSING".to_owned(), "SHIPPED".to_owned())
    );
    assert_eq!(over_sse.id, "2");
    // And the other way round: a change made through B reaches a reader on A.
    let mut on_a = ws(&t.orders.app.base_url, Some(&buyer.bearer)).await;
    subscribe(&mut on_a, &id).await;
    expect_message(&mut on_a).await;
    let (status, _) = call(
        &b.app.client,
        Method::PATCH,
        &b.app.url(&format!("/orders/{id}/status")),
        Some(&t.admin),
        Some(&json!({ "status": "DELIVERED" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(transition(&expect_message(&mut on_a).await).1, "DELIVERED");
    b.app.stop_and_clean().await;
    t.stop().await;
}
