//! `GET /ws/analytics`: the figures at once, then as they change, at most once a second.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use crate::helpers::{
    checkout::{Order, loyalty, quote},
    spawn_app,
};

async fn next_dashboard(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["type"] == "dashboard" {
                return value["data"].clone();
            }
        }
    }
}

#[tokio::test]
async fn an_admin_gets_the_figures_at_once_and_again_when_an_order_is_paid_never_twice_a_second() {
    let app = spawn_app().await;
    let url = app.app.base_url.replacen("http://", "ws://", 1) + "/ws/analytics";
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", HeaderValue::from_str(&app.admin).unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    let first = next_dashboard(&mut socket).await;
    let first_at = Instant::now();
    assert_eq!(first["metrics"]["orders"], 0);

    let today = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let order = Order::card(
        "o1",
        &today,
        quote([25.0, 0.0, 0.0, 0.0, 0.0, 2.0, 27.0]),
        None,
    );
    let mut events = order.placed();
    events.extend(order.accepted());
    events.push(loyalty("c1", "Silver", "POINTS_SPENT", 0, -300, &today));
    app.publish_all(&events).await;
    // Every push is at least a second after the one before; the events may be applied across
    // more than one push, so read until the last one shows them all.
    let mut last_at = first_at;
    let second = loop {
        let next = next_dashboard(&mut socket).await;
        let gap = last_at.elapsed();
        assert!(
            gap >= Duration::from_millis(900),
            "pushed again after {gap:?}"
        );
        last_at = Instant::now();
        if next["metrics"]["orders"] == 1 && next["loyalty"]["today"]["redeemed"] == 300 {
            break next;
        }
    };

    assert_eq!(second["metrics"]["totalRevenue"], 27.0);
    assert_eq!(second["today"]["revenue"], 27.0);
    assert_eq!(second["funnel"]["checkedOut"], 1);
    assert_eq!(second["funnel"]["paid"], 1);
    assert_eq!(second["loyalty"]["customersByTier"]["Silver"], 1);

    app.stop().await;
}

#[tokio::test]
async fn a_message_to_the_dashboard_socket_gets_an_error_frame_in_the_shared_shape() {
    use futures::SinkExt;

    let app = spawn_app().await;
    let url = app.app.base_url.replacen("http://", "ws://", 1) + "/ws/analytics";
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", HeaderValue::from_str(&app.admin).unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    next_dashboard(&mut socket).await;

    socket
        .send(Message::text(r#"{"type":"subscribe"}"#))
        .await
        .unwrap();
    let error = loop {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["type"] == "error" {
                break value;
            }
        }
    };

    assert_eq!(error["code"], "VALIDATION_ERROR", "{error}");
    assert!(error["message"].is_string(), "{error}");
    assert!(error.get("data").is_none(), "{error}");
    app.stop().await;
}
