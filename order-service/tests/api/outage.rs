//! The broker cut off from order-service while orders are placed: nothing is lost, nothing
//! is applied twice.

use shared::testing::{TcpProxy, amqp_url, eventually, socket_addr_of};

use crate::helpers::{Options, TestApp, WAIT, spawn_with};

/// order-service (fulfilment off) whose broker connection runs through a proxy the test can cut.
async fn behind_a_proxy() -> (TcpProxy, TestApp) {
    let proxy = TcpProxy::start(socket_addr_of(&amqp_url(), 5672))
        .await
        .unwrap();
    let url = proxy.rewrite(&amqp_url());
    let t = spawn_with(Options {
        fulfilment: false,
        adjust: Box::new(move |c| {
            if let Some(broker) = c.service.broker.as_mut() {
                broker.url = url;
            }
        }),
        ..Options::default()
    })
    .await;
    (proxy, t)
}

#[tokio::test]
async fn orders_placed_while_the_broker_is_cut_off_all_reach_processing_once_it_is_back() {
    let (proxy, t) = behind_a_proxy().await;
    let lamp = t.product("Lamp", 3.0, 100).await;
    let buyer = t.customer();

    proxy.sever();
    t.orders.app.wait_status("degraded", WAIT).await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(t.place_id(&buyer, &[(&lamp, 2)]).await);
    }
    assert_eq!(
        t.stock_of(&lamp).await,
        100,
        "nothing reached product-service"
    );
    proxy.restore();

    for id in &ids {
        let processing = t.wait_for_status(id, "PROCESSING").await;
        let entries: Vec<&str> = processing["statusHistory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["status"].as_str().unwrap())
            .collect();
        assert_eq!(entries, ["PENDING", "PROCESSING"]);
    }
    t.wait_for_stock(&lamp, 60).await;
    eventually("every outbox to be empty", WAIT, || async {
        let pending =
            t.db.collection::<bson::Document>("orders")
                .count_documents(bson::doc! { "outboxCount": { "$gt": 0 } })
                .await
                .ok()?;
        (pending == 0).then_some(())
    })
    .await;
    assert_eq!(
        t.stock_of(&lamp).await,
        60,
        "each order.created reserved stock once"
    );
    t.stop().await;
}
