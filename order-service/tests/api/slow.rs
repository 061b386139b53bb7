//! A WebSocket client that stops reading is dropped without delaying the others.

use std::sync::Arc;

use serde_json::json;
use shared::{
    events::{Envelope, keys},
    testing::eventually,
};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::{
    helpers::{WAIT, spawn_without_fulfilment},
    streams::{expect_message, subscribe, ws},
};

#[tokio::test]
async fn a_websocket_client_that_stops_reading_does_not_delay_the_others() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();
    let order = t.place_ok(&buyer, &[(&lamp, 1)]).await;
    let id = order["id"].as_str().unwrap().to_owned();
    // The laggard reads through a tiny receive buffer, and then not at all.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let addr = t
        .orders
        .app
        .base_url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let mut request = format!(
        "{}/ws/orders",
        t.orders.app.base_url.replacen("http", "ws", 1)
    )
    .into_client_request()
    .unwrap();
    request
        .headers_mut()
        .insert("authorization", buyer.bearer.parse().unwrap());
    let (mut laggard, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
    subscribe(&mut laggard, &id).await;
    expect_message(&mut laggard).await;
    let mut reader = ws(&t.orders.app.base_url, Some(&buyer.bearer)).await;
    subscribe(&mut reader, &id).await;
    expect_message(&mut reader).await;

    // Many large changes of the order, straight onto the bus as another replica would send
    // them: 12.8 MB, more than the kernel buffers (at most 4 MB here) hold for the laggard.
    let padding = "x".repeat(32 * 1024);
    let total = 400;
    t.bus.wait_connected(WAIT).await;
    let publisher = {
        let bus = t.bus.clone();
        let (id, customer) = (id.clone(), buyer.id.clone());
        let padding = Arc::new(padding);
        tokio::spawn(async move {
            for n in 0..total {
                let data = json!({ "orderId": id, "customerId": customer, "oldStatus": "PROCESSING", "newStatus": "PROCESSING",
                    "at": "2026-01-01T00:00:00.000Z", "index": 100 + n, "order": { "padding": padding.as_str() } });
                bus.publish(&Envelope::new(
                    keys::ORDER_STATUS_CHANGED,
                    "order-service",
                    "test",
                    data,
                ))
                .await
                .unwrap();
            }
        })
    };
    let mut received = 0;
    while received < total {
        let message = expect_message(&mut reader).await;
        if message["type"] == "order.status_changed" {
            received += 1;
        }
    }
    // The reader got all of them while the laggard read none: a fan-out that waited on the
    // laggard would have stalled the reader past expect_message's deadline. (How fast is the
    // bench's to say: a time limit here failed on a loaded machine for reasons not the hub's.)
    publisher.await.unwrap();
    eventually("the laggard to be dropped", WAIT, || async {
        (t.orders.hub.len() == 1).then_some(())
    })
    .await;
    assert!(
        t.orders
            .app
            .get_text("/metrics")
            .await
            .contains("order_live_dropped_total{kind=\"ws\"}")
    );
    t.stop().await;
}
