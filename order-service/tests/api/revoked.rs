//! A stream or socket opened with a token that is then revoked (a logout) ends within a
//! heartbeat: a revoked token must not keep receiving an order's changes.

use futures::StreamExt;

use crate::{
    helpers::spawn_without_fulfilment,
    streams::{NEXT, expect_message, next_message, sse, subscribe, ws},
};

#[tokio::test]
async fn an_event_stream_and_a_socket_end_once_their_token_is_revoked() {
    let t = spawn_without_fulfilment().await;
    let lamp = t.product("Lamp", 10.0, 5).await;
    let buyer = t.customer();
    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;
    t.wait_for_status(&id, "PROCESSING").await;
    let url = t.orders.app.url(&format!("/orders/{id}/stream"));
    let (status, mut events) = sse(&url, &buyer.bearer, None).await;
    assert_eq!(status, 200);
    assert_eq!(events.next().await.expect("a snapshot").event, "snapshot");
    let mut socket = ws(&t.orders.app.base_url, Some(&buyer.bearer)).await;
    subscribe(&mut socket, &id).await;
    assert_eq!(expect_message(&mut socket).await["type"], "snapshot");

    // order-service keeps its Redis keys under its own prefix in these tests.
    let mut names = t.names.clone();
    names.redis_prefix = format!("{}orders:", t.names.redis_prefix);
    shared::testing::revoke(&names, &buyer.bearer).await;

    let ended = tokio::time::timeout(NEXT, async { while events.next().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the event stream ended");
    assert_eq!(next_message(&mut socket).await, Err(Some(4401)));
    let (status, _) = sse(&url, &buyer.bearer, None).await;
    assert_eq!(status, 401, "and the token opens nothing more");
    t.stop().await;
}
