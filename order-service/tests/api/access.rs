//! Who may see which order: the owner and admins; anyone else gets 404 (403 for a list).

use reqwest::Method;

use crate::{
    helpers::spawn_without_fulfilment,
    streams::{expect_message, send, sse, subscribe, ws},
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
    send(
        &mut socket,
        serde_json::json!({ "type": "subscribe", "all": true }),
    )
    .await;
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
