//! The three integration scenarios of the storefront's brief, run against the assistant with
//! the real customer-, product- and order-service (the gateway is another crate's; these talk
//! to each service directly).

use futures::StreamExt;
use serde_json::json;
use shared::events::keys;

use crate::helpers::{Observer, WAIT, lower, spawn_suite};

/// Browse products → create an order → follow it live (SSE) → ask the assistant about it.
#[tokio::test]
async fn scenario_1_complete_purchase_flow() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    suite
        .product("Trail Running Shoes", 120.0, 8, &["running", "outdoor"])
        .await;
    suite.product("Ceramic Mug", 9.5, 40, &["kitchen"]).await;

    let (status, listing) = suite.products.get("/products?search=running&limit=5").await;
    assert_eq!(status, 200);
    let shoes = listing["data"][0].clone();
    assert_eq!(shoes["name"], "Trail Running Shoes");
    let order = suite.order(&alex, shoes["id"].as_str().unwrap(), 1).await;
    let stream = suite
        .orders
        .client
        .get(suite.orders.url(&format!("/orders/{order}/stream")))
        .header("authorization", &alex.bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("event: snapshot") {
        let chunk = tokio::time::timeout(WAIT, body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    suite.ship(&order, "DHL", "JD014600006281230704").await;
    while !seen.contains("\"newStatus\":\"SHIPPED\"") {
        let chunk = tokio::time::timeout(WAIT, body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }

    let reply = suite
        .chat(
            &format!("Hi, what's happening with order {order}?"),
            None,
            Some(&alex.bearer),
        )
        .await;

    assert_eq!(reply["intent"], "order_status");
    assert_eq!(reply["functionsCalled"], json!(["getOrderStatus"]));
    let text = lower(&reply);
    assert!(
        text.contains("has shipped")
            && text.contains("dhl")
            && text.contains("jd014600006281230704"),
        "{reply}"
    );
    assert!(text.contains("trail running shoes"), "{reply}");
    suite.stop().await;
}

/// Policy question → citations checked → order question → complaint → escalation.
#[tokio::test]
async fn scenario_2_support_interaction_flow() {
    let suite = spawn_suite().await;
    let observer = Observer::start(&suite.names, &[keys::SUPPORT_ESCALATED]).await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let kettle = suite
        .product("Electric Kettle", 39.0, 5, &["kitchen"])
        .await;
    let order = suite.order(&alex, kettle["id"].as_str().unwrap(), 1).await;

    let policy = suite
        .chat(
            "How long do I have to return something?",
            None,
            Some(&alex.bearer),
        )
        .await;
    let session = policy["metadata"]["sessionId"].as_str().unwrap().to_owned();
    let status = suite
        .chat(
            &format!("And where is my order {order}?"),
            Some(&session),
            Some(&alex.bearer),
        )
        .await;
    let complaint = suite
        .chat(
            "It's taking far too long, I'm really frustrated with this delay",
            Some(&session),
            Some(&alex.bearer),
        )
        .await;

    assert_eq!(policy["intent"], "policy_question");
    assert!(
        policy["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Policy3.1"),
        "{policy}"
    );
    assert_eq!(policy["metadata"]["citationsValid"], true);
    assert!(lower(&policy).contains("30 days"), "{policy}");
    assert_eq!(status["intent"], "order_status");
    assert!(lower(&status).contains("electric kettle"), "{status}");
    assert_eq!(complaint["intent"], "complaint");
    assert!(lower(&complaint).contains("sorry"), "{complaint}");
    assert!(
        lower(&complaint).contains("senior specialist"),
        "{complaint}"
    );
    assert_eq!(complaint["metadata"]["citationsValid"], true);
    let escalated = observer
        .wait_for(keys::SUPPORT_ESCALATED, |e| {
            e.data["sessionId"] == session.as_str()
        })
        .await;
    assert_eq!(
        escalated.data["orderId"],
        order.as_str(),
        "the order talked about goes with the escalation"
    );
    suite.stop().await;
}

/// Greeting → product search → policy question → order check, in one conversation that keeps
/// its context.
#[tokio::test]
async fn scenario_3_multi_intent_conversation() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let speaker = suite
        .product("Bluetooth Speaker", 45.0, 20, &["audio"])
        .await;
    let order = suite.order(&alex, speaker["id"].as_str().unwrap(), 1).await;
    let me = Some(alex.bearer.as_str());

    let greeting = suite.chat("Hello!", None, me).await;
    let session = greeting["metadata"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = Some(session.as_str());
    let search = suite.chat("Do you have bluetooth speakers?", s, me).await;
    let price = suite.chat("Is it in stock?", s, me).await;
    let policy = suite.chat("Do you offer free shipping?", s, me).await;
    let check = suite
        .chat(&format!("Can you check order {order}?"), s, me)
        .await;
    let follow_up = suite.chat("When will it arrive?", s, me).await;

    assert_eq!(greeting["intent"], "chitchat");
    assert!(lower(&greeting).starts_with("hi, alex!"), "{greeting}");
    assert_eq!(search["intent"], "product_search");
    assert!(
        lower(&search).contains("bluetooth speaker at $45.00"),
        "{search}"
    );
    assert_eq!(
        price["functionsCalled"],
        json!(["searchProducts"]),
        "{price}"
    );
    assert!(
        lower(&price).contains("bluetooth speaker costs $45.00 and is in stock"),
        "{price}"
    );
    assert_eq!(policy["intent"], "policy_question");
    assert!(
        policy["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Policy1.1"),
        "{policy}"
    );
    assert_eq!(check["intent"], "order_status");
    assert!(lower(&check).contains("being prepared"), "{check}");
    assert_eq!(
        follow_up["functionsCalled"],
        json!(["getOrderStatus"]),
        "{follow_up}"
    );
    assert!(
        lower(&follow_up).contains("bluetooth speaker"),
        "{follow_up}"
    );
    for reply in [&greeting, &search, &price, &policy, &check, &follow_up] {
        assert_eq!(reply["metadata"]["sessionId"], session.as_str());
    }
    suite.stop().await;
}
