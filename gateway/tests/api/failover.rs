//! The gateway over several replicas of one service, with stand-ins: requests go to them in
//! turn, a replica refusing connections is passed over (bodies included, event streams and
//! WebSockets too), and a request that reached a replica is never sent to another.

use futures::{SinkExt, StreamExt};
use shared::auth::Role;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::{closed_port_url, spawn_echo, spawn_gateway};

const ID: &str = "65a1b2c3d4e5f60718293a4b";

#[tokio::test]
async fn requests_are_spread_over_the_replicas_in_turn() {
    let (a, b) = (spawn_echo().await, spawn_echo().await);
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", format!("{},{}", a.url, b.url))]).await;
    for _ in 0..6 {
        let res = gw
            .app
            .client
            .get(gw.app.url(&format!("/api/products/{ID}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!((a.hits(), b.hits()), (3, 3));
    gw.stop().await;
}

#[tokio::test]
async fn a_replica_refusing_connections_loses_no_request_with_a_body_stream_or_socket() {
    let echo = spawn_echo().await;
    let urls = format!("{},{}", closed_port_url(), echo.url);
    let gw = spawn_gateway(&[
        ("PRODUCT_SERVICE_URL", urls.clone()),
        ("ORDER_SERVICE_URL", urls),
    ])
    .await;
    for n in 0..4 {
        let res = gw
            .app
            .client
            .post(gw.app.url(&format!("/api/products/{ID}/questions")))
            .header("authorization", gw.bearer(Role::Admin))
            .header("content-type", "application/json")
            .body(format!(r#"{{"n":{n}}}"#))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "request {n}");
        let echoed: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            echoed["body"],
            format!(r#"{{"n":{n}}}"#),
            "the body went whole to the live replica"
        );
    }
    let res = gw
        .app
        .client
        .get(gw.app.url(&format!("/api/products/{ID}/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let first = res.bytes_stream().next().await.expect("a chunk").unwrap();
    assert!(String::from_utf8_lossy(&first).contains("live"));

    let url = gw.app.url("/api/ws/orders").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    let bearer = gw.bearer(Role::Customer).parse().unwrap();
    request.headers_mut().insert("authorization", bearer);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("relayed to the live replica");
    socket.send(Message::text("hello")).await.unwrap();
    let echoed = socket.next().await.expect("an echo").unwrap();
    let text = echoed.to_text().unwrap();
    assert!(text.ends_with("hello"), "{text}");

    let (_, health) = gw.app.get("/api/health").await;
    let products = &health["data"]["services"]["product-service"];
    assert_eq!(products["replicas"][0]["status"], "down", "{health}");
    assert_eq!(products["replicas"][0]["skipped"], true, "{health}");
    assert_eq!(
        products["replicas"][1]["url"],
        echo.url.as_str(),
        "{health}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_request_that_reached_a_replica_is_never_sent_to_another() {
    // A replica that takes the connection and the request, then drops it unanswered.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let swallower = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
            });
        }
    });
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", format!("{swallower},{}", echo.url))]).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let res = gw
            .app
            .client
            .post(gw.app.url(&format!("/api/products/{ID}/questions")))
            .header("authorization", gw.bearer(Role::Admin))
            .header("content-type", "application/json")
            .body(r#"{"once":true}"#)
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 503],
        "the swallowed request is answered 503, not resent"
    );
    assert_eq!(echo.hits(), 1, "the other replica got only its own request");
    gw.stop().await;
}
