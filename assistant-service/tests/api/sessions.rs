//! Conversations: context across turns (the order and product talked about), ownership, and a
//! violation that ends the session.

use crate::helpers::{lower, spawn_suite};

#[tokio::test]
async fn when_will_it_arrive_refers_to_the_order_named_before() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let lamp = suite.product("Desk Lamp", 24.5, 10, &["lighting"]).await;
    let order = suite.order(&alex, lamp["id"].as_str().unwrap(), 2).await;
    suite.ship(&order, "UPS", "1Z999AA10123456784").await;

    let first = suite
        .chat(
            &format!("Can you check order {order}?"),
            None,
            Some(&alex.bearer),
        )
        .await;
    let session = first["metadata"]["sessionId"].as_str().unwrap().to_owned();
    let follow_up = suite
        .chat("When will it arrive?", Some(&session), Some(&alex.bearer))
        .await;

    assert_eq!(first["intent"], "order_status");
    assert_eq!(
        first["functionsCalled"],
        serde_json::json!(["getOrderStatus"])
    );
    assert_eq!(follow_up["intent"], "order_status", "{follow_up}");
    assert_eq!(
        follow_up["functionsCalled"],
        serde_json::json!(["getOrderStatus"])
    );
    let text = lower(&follow_up);
    assert!(
        text.contains("ups") && text.contains("1z999aa10123456784"),
        "{follow_up}"
    );
    assert!(text.contains("expected to arrive by"), "{follow_up}");
    assert!(text.contains("desk lamp"), "{follow_up}");
    suite.stop().await;
}

#[tokio::test]
async fn a_product_talked_about_is_what_it_refers_to_next() {
    let suite = spawn_suite().await;
    suite
        .product("Espresso Machine", 199.99, 3, &["coffee", "kitchen"])
        .await;

    let first = suite
        .chat("Do you sell espresso machines?", None, None)
        .await;
    let session = first["metadata"]["sessionId"].as_str().unwrap().to_owned();
    let follow_up = suite
        .chat("How much does it cost?", Some(&session), None)
        .await;

    assert_eq!(first["intent"], "product_search");
    assert!(
        lower(&first).contains("espresso machine at $199.99 (only 3 left)"),
        "{first}"
    );
    assert_eq!(
        follow_up["functionsCalled"],
        serde_json::json!(["searchProducts"])
    );
    assert!(lower(&follow_up).contains("$199.99"), "{follow_up}");
    suite.stop().await;
}

#[tokio::test]
async fn a_violation_ends_the_session_and_later_messages_are_refused() {
    let suite = spawn_suite().await;
    let first = suite.chat("hi", None, None).await;
    let session = first["metadata"]["sessionId"].as_str().unwrap().to_owned();

    let abuse = suite
        .chat("You're a useless idiot", Some(&session), None)
        .await;
    let (status, refused) = suite
        .chat_raw("Sorry. Where is my order?", Some(&session), None)
        .await;

    assert_eq!(abuse["intent"], "violation");
    assert_eq!(abuse["metadata"]["sessionEnded"], true);
    assert!(lower(&abuse).contains("ending this chat"), "{abuse}");
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "CONFLICT");
    let fresh = suite.chat("Hello again", None, None).await;
    assert_eq!(fresh["intent"], "chitchat");
    suite.stop().await;
}

#[tokio::test]
async fn a_session_belongs_to_the_caller_who_started_it() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let sam = suite.register("Sam Other", "sam@example.com").await;
    let first = suite.chat("hello", None, Some(&alex.bearer)).await;
    let session = first["metadata"]["sessionId"].as_str().unwrap().to_owned();

    let (as_sam, body) = suite
        .chat_raw("what did we talk about?", Some(&session), Some(&sam.bearer))
        .await;
    let (anonymous, _) = suite.chat_raw("hello?", Some(&session), None).await;

    assert_eq!(as_sam, 404, "{body}");
    assert_eq!(anonymous, 404);
    assert!(lower(&first).contains("hi, alex!"), "{first}");
    suite.stop().await;
}
