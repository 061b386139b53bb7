//! Human support through the gateway (issue 17): an admin and a customer talk over two
//! sockets relayed by the gateway (`/api/ws/support/{id}` and `/api/ws/chat/{id}`), the queue
//! and the transcript answer admins only, and a customer cannot take the agent's socket.

use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};

use crate::suite_helpers::{
    Fulfilment, Shop, Socket, expect_message, next_message, send, spawn_shop,
};

/// A socket to `path` through the gateway with `bearer` in the header; `Err(status)` when
/// refused before the upgrade.
async fn open(shop: &Shop, path: &str, bearer: &str) -> Result<Socket, u16> {
    let mut request = shop
        .gateway
        .url(path)
        .replacen("http://", "ws://", 1)
        .into_client_request()
        .expect("a websocket request");
    request
        .headers_mut()
        .insert("authorization", HeaderValue::from_str(bearer).unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connect: {e}"),
    }
}

async fn transcript(shop: &Shop, session: &str) -> Value {
    shop.ok(
        Method::GET,
        &format!("/api/support/conversations/{session}"),
        None,
        Some(&shop.admin),
    )
    .await
}

#[tokio::test]
async fn an_admin_and_a_customer_talk_over_two_sockets_through_the_gateway() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let alex = shop
        .register("Alex Gateway", "alex.support@example.com")
        .await;
    let session = "gateway-support-1";
    let asked = shop
        .chat("can I talk to a person?", Some(session), Some(&alex.bearer))
        .await;
    let (queue_status, queue) = shop
        .call(Method::GET, "/api/support/queue", None, Some(&shop.admin))
        .await;
    let (customer_queue, _) = shop
        .call(Method::GET, "/api/support/queue", None, Some(&alex.bearer))
        .await;
    let as_customer = open(&shop, &format!("/api/ws/support/{session}"), &alex.bearer)
        .await
        .err();

    let mut customer = open(&shop, &format!("/api/ws/chat/{session}"), &alex.bearer)
        .await
        .expect("the customer's chat");
    assert_eq!(expect_message(&mut customer).await["type"], "history");
    let mut agent = open(&shop, &format!("/api/ws/support/{session}"), &shop.admin)
        .await
        .expect("the admin joins through the gateway");
    let opening = expect_message(&mut agent).await;
    let joined = expect_message(&mut customer).await;
    send(
        &mut agent,
        json!({"type": "message", "content": "Hello Alex, how can I help?"}),
    )
    .await;
    let from_agent = expect_message(&mut customer).await;
    send(
        &mut customer,
        json!({"type": "message", "message": "Where is my refund?"}),
    )
    .await;
    let from_customer = expect_message(&mut agent).await;
    send(
        &mut agent,
        json!({"type": "message", "content": "On its way."}),
    )
    .await;
    // The assistant said nothing in between.
    let second = expect_message(&mut customer).await;
    send(&mut agent, json!({"type": "close"})).await;
    let handback = expect_message(&mut customer).await;
    let agent_end = next_message(&mut agent).await;
    let after = transcript(&shop, session).await;

    assert!(
        asked["text"]
            .as_str()
            .unwrap()
            .contains("person from our team"),
        "{asked}"
    );
    assert_eq!(queue_status, 200);
    assert_eq!(queue["data"][0]["sessionId"], session, "{queue}");
    assert_eq!(queue["data"][0]["status"], "WAITING");
    assert_eq!(customer_queue, 403);
    assert_eq!(as_customer, Some(403));
    assert_eq!(opening["type"], "conversation", "{opening}");
    assert_eq!(joined["type"], "agent_joined", "{joined}");
    assert_eq!(from_agent["type"], "agent");
    assert_eq!(from_agent["content"], "Hello Alex, how can I help?");
    assert!(from_agent["agent"].as_str().is_some_and(|a| !a.is_empty()));
    assert_eq!(from_customer["type"], "customer");
    assert_eq!(from_customer["content"], "Where is my refund?");
    assert_eq!(second["type"], "agent", "{second}");
    assert_eq!(second["content"], "On its way.");
    assert_eq!(handback["type"], "handback", "{handback}");
    assert_eq!(agent_end, Err(Some(1000)));
    assert_eq!(after["status"], "CLOSED");
    let roles: Vec<&str> = after["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles[roles.len() - 3..],
        ["agent", "customer", "agent"],
        "{after}"
    );
    shop.stop().await;
}
