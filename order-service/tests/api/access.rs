//! Who may see which order: the owner and admins; anyone else gets 404 (403 for a list), and
//! never a change of it over a live stream.

use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::spawn_without_fulfilment,
    streams::{NEXT, expect_message, send, sse, subscribe, ws},
};

#[tokio::test]
async fn a_customer_cannot_read_stream_or_cancel_another_customers_order() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 5.0, 5).await;
    let (alice, mallory) = (t.customer(), t.customer());
    let order = t.place_ok(&alice, &[(&lamp, 1)]).await;
    let id = order["id"].as_str().unwrap();

    let (read, _) = t.order(id, &mallory.bearer).await;
    let (stream, _) = sse(
        &t.orders.app.url(&format!("/orders/{id}/stream")),
        &mallory.bearer,
        None,
    )
    .await;
    let (cancel, _) = t
        .request(
            Method::POST,
            &format!("/orders/{id}/cancel"),
            Some(&mallory.bearer),
            None,
        )
        .await;
    let (list, _) = t
        .request(
            Method::GET,
            &format!("/orders?customerId={}", alice.id),
            Some(&mallory.bearer),
            None,
        )
        .await;
    let mut socket = ws(&t.orders.app.base_url, Some(&mallory.bearer)).await;
    subscribe(&mut socket, id).await;
    let refusal = expect_message(&mut socket).await;
    let (anonymous, _) = t
        .request(Method::GET, &format!("/orders/{id}"), None, None)
        .await;
    let (own, _) = t.order(id, &alice.bearer).await;
    let (admin, _) = t.order(id, &t.admin).await;

    assert_eq!((read, stream, cancel, list), (404, 404, 404, 403));
    assert_eq!(refusal["type"], "error");
    assert_eq!(refusal["code"], "NOT_FOUND");
    assert_eq!((anonymous, own, admin), (401, 200, 200));
    assert_ne!(
        t.order(id, &alice.bearer).await.1["data"]["status"],
        "CANCELLED"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_subscription_to_all_of_ones_orders_carries_no_one_elses() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 5.0, 10).await;
    let (alice, bob) = (t.customer(), t.customer());
    let mut socket = ws(&t.orders.app.base_url, Some(&alice.bearer)).await;
    send(&mut socket, json!({ "type": "subscribe", "all": true })).await;
    assert_eq!(expect_message(&mut socket).await["type"], "subscribed");

    let bobs = t.place_ok(&bob, &[(&lamp, 1)]).await;
    t.wait_for_status(bobs["id"].as_str().unwrap(), "PROCESSING")
        .await;
    let alices = t.place_ok(&alice, &[(&lamp, 1)]).await;

    let first = expect_message(&mut socket).await;
    assert_eq!(first["type"], "order.status_changed");
    assert_eq!(first["orderId"], alices["id"]);
    assert_eq!(first["order"]["customerId"], alice.id.as_str());
    t.stop().await;
}

#[tokio::test]
async fn a_customer_subscribing_in_a_tight_loop_never_receives_another_customers_changes() {
    // Arrange: Mallory asks for Alice's current order over and over, as fast as the socket
    // answers, while an admin's socket confirms each of its changes went through the hub.
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 5.0, 100).await;
    let (alice, mallory) = (t.customer(), t.customer());
    let mut watcher = ws(&t.orders.app.base_url, Some(&t.admin)).await;
    send(&mut watcher, json!({ "type": "subscribe", "all": true })).await;
    assert_eq!(expect_message(&mut watcher).await["type"], "subscribed");
    let (target, targets) = watch::channel(None);
    let stop = CancellationToken::new();
    let snooper = tokio::spawn(snoop(
        t.orders.app.base_url.clone(),
        mallory.bearer.clone(),
        targets,
        stop.clone(),
    ));

    // Act: ten orders of Alice's, each through three changes.
    for _ in 0..10 {
        let id = t.place_id(&alice, &[(&lamp, 1)]).await;
        target.send_replace(Some(id.clone()));
        t.wait_for_status(&id, "PROCESSING").await;
        for status in ["SHIPPED", "DELIVERED"] {
            let (code, body) = t
                .request(
                    Method::PATCH,
                    &format!("/orders/{id}/status"),
                    Some(&t.admin),
                    Some(&json!({ "status": status })),
                )
                .await;
            assert_eq!(code, 200, "{body}");
        }
        loop {
            let seen = expect_message(&mut watcher).await;
            if seen["orderId"] == id.as_str() && seen["newStatus"] == "DELIVERED" {
                break;
            }
        }
    }
    stop.cancel();
    let (refusals, leaked) = snooper.await.expect("the snooper");

    // Assert
    assert!(refusals > 30, "Mallory kept asking ({refusals} refusals)");
    assert!(
        leaked.is_empty(),
        "{} messages about Alice's orders reached Mallory, e.g. {}",
        leaked.len(),
        leaked[0]
    );
    t.stop().await;
}

/// Subscribes to the latest of `targets` in a loop until `stop`, then sends one message that
/// must be refused and waits for a heartbeat after its refusal, so that anything queued for the
/// socket before has been sent. Returns how many subscriptions were refused and every message
/// other than a refusal or a heartbeat.
async fn snoop(
    base_url: String,
    bearer: String,
    mut targets: watch::Receiver<Option<String>>,
    stop: CancellationToken,
) -> (usize, Vec<Value>) {
    let mut socket = ws(&base_url, Some(&bearer)).await;
    let (mut refusals, mut leaked) = (0, Vec::new());
    let refused = |message: &Value| message["type"] == "error";
    while !stop.is_cancelled() {
        let id = targets
            .wait_for(Option::is_some)
            .await
            .expect("a target")
            .clone()
            .unwrap_or_default();
        subscribe(&mut socket, &id).await;
        loop {
            let message = expect_message(&mut socket).await;
            if refused(&message) {
                assert_eq!(message["code"], "NOT_FOUND", "{message}");
                refusals += 1;
                break;
            }
            leaked.push(message);
        }
    }
    send(&mut socket, json!({ "type": "subscribe" })).await;
    loop {
        let message = expect_message(&mut socket).await;
        if refused(&message) {
            break;
        }
        leaked.push(message);
    }
    loop {
        let next = tokio::time::timeout(NEXT, socket.next())
            .await
            .expect("a heartbeat within the time limit");
        let Some(Ok(Message::Text(text))) = next else {
            continue;
        };
        let message: Value = serde_json::from_str(text.as_str()).expect("JSON");
        if message["type"] == "heartbeat" {
            return (refusals, leaked);
        }
        leaked.push(message);
    }
}
