//! WebSocket upgrades relayed to the owning service, both ways, closing together.

use futures::{SinkExt, StreamExt};
use shared::auth::Role;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::{closed_port_url, spawn_echo, spawn_gateway};

#[tokio::test]
async fn a_websocket_relays_both_ways_and_closes_cleanly() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("ORDER_SERVICE_URL", echo.url.clone())]).await;
    let mut request = gw
        .app
        .url("/api/ws/orders")
        .replacen("http://", "ws://", 1)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", gw.bearer(Role::Customer).parse().unwrap());

    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgraded through the gateway");
    socket.send(Message::Text("hello".into())).await.unwrap();
    let reply = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    socket.send(Message::Close(None)).await.unwrap();
    let closing = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
        .await
        .unwrap();

    assert_eq!(
        reply,
        Message::Text("65a1b2c3d4e5f60718293a4b:hello".into()),
        "the service saw the caller"
    );
    assert!(
        matches!(closing, Some(Ok(Message::Close(_))) | None),
        "{closing:?}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_websocket_with_a_token_in_the_query_is_accepted_and_without_one_refused() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("ORDER_SERVICE_URL", echo.url.clone())]).await;
    let base = gw.app.url("/api/ws/orders").replacen("http://", "ws://", 1);
    let token = gw
        .bearer(Role::Customer)
        .trim_start_matches("Bearer ")
        .to_owned();

    let with_token = tokio_tungstenite::connect_async(format!("{base}?token={token}")).await;
    let without = tokio_tungstenite::connect_async(base.as_str()).await;

    assert!(with_token.is_ok());
    match without {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("expected 401 before the upgrade, got {other:?}"),
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_websocket_to_a_service_that_is_down_is_503_before_the_upgrade() {
    let gw = spawn_gateway(&[("ORDER_SERVICE_URL", closed_port_url())]).await;
    let mut request = gw
        .app
        .url("/api/ws/orders")
        .replacen("http://", "ws://", 1)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", gw.bearer(Role::Customer).parse().unwrap());

    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 503),
        other => panic!("expected 503, got {:?}", other.map(|_| ())),
    }
    gw.stop().await;
}

#[tokio::test]
async fn a_services_refusal_of_an_upgrade_reaches_the_client_as_it_is() {
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("ASSISTANT_SERVICE_URL", echo.url.clone())]).await;
    let url = gw
        .app
        .url("/api/ws/chat/not-yours")
        .replacen("http://", "ws://", 1);

    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 404);
            let body: serde_json::Value =
                serde_json::from_slice(res.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["error"]["code"], "NOT_FOUND");
        }
        other => panic!("expected the service's 404, got {:?}", other.map(|_| ())),
    }
    gw.stop().await;
}
