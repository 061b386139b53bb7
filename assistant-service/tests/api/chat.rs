//! The chat endpoint: its answer's shape, input checks, policy answers with valid citations,
//! chitchat and off-topic answers.

use serde_json::json;

use crate::helpers::{lower, spawn_suite};

#[tokio::test]
async fn an_answer_has_the_documented_shape_and_health_reports_every_dependency() {
    let suite = spawn_suite().await;

    let reply = suite.chat("What's your return policy?", None, None).await;

    for field in ["text", "intent", "citations", "functionsCalled", "metadata"] {
        assert!(reply.get(field).is_some(), "missing {field}: {reply}");
    }
    assert_eq!(reply["intent"], "policy_question");
    assert!(reply["metadata"]["processingTime"].is_u64());
    assert_eq!(reply["metadata"]["citationsValid"], true);
    assert!(reply["metadata"]["sessionId"].as_str().unwrap().len() >= 8);
    assert_eq!(reply["functionsCalled"], json!([]));
    let health = suite.assistant.health().await;
    assert_eq!(
        health["dependencies"].as_object().unwrap().len(),
        4,
        "{health}"
    );
    assert_eq!(health["dependencies"]["outbox-relay"], "up");
    let metrics = suite.assistant.get_text("/metrics").await;
    assert!(metrics.contains("assistant_replies_total"), "{metrics}");
    suite.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let suite = spawn_suite().await;

    let (status, body) = suite.chat_raw("   ", None, None).await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"].get("message").is_some(), "{body}");
    let (status, body) = suite.chat_raw(&"x".repeat(2001), None, None).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = suite.chat_raw("hi", Some("bad id!"), None).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["details"].get("sessionId").is_some(),
        "{body}"
    );
    let (status, _) = suite.chat_raw("hi", None, Some("Bearer not-a-token")).await;
    assert_eq!(status, 401);
    suite.stop().await;
}

#[tokio::test]
async fn every_policy_answer_cites_real_policies_that_are_in_its_text() {
    let suite = spawn_suite().await;
    let questions = [
        ("What's your return policy?", "Policy3.1"),
        ("How much does shipping cost?", "Policy1.1"),
        ("Do you ship to Canada?", "Policy1.2"),
        ("How long do refunds take?", "Policy3.3"),
        ("What does the warranty cover?", "Policy4.1"),
        ("Do you sell my personal data?", "Policy5.1"),
        ("Can I cancel my order before it ships?", "Policy6.1"),
        ("What payment methods do you accept?", "Policy2.1"),
        ("How do I earn loyalty points?", "Policy8.1"),
        ("What are the reward tiers?", "Policy8.1"),
    ];

    for (question, expected) in questions {
        let reply = suite.chat(question, None, None).await;

        assert_eq!(reply["intent"], "policy_question", "{question}: {reply}");
        let citations: Vec<&str> = reply["citations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(citations.contains(&expected), "{question}: {reply}");
        for id in &citations {
            assert!(
                reply["text"].as_str().unwrap().contains(&format!("[{id}]")),
                "{reply}"
            );
        }
        assert_eq!(reply["metadata"]["citationsValid"], true);
    }
    suite.stop().await;
}

#[tokio::test]
async fn chitchat_is_brief_and_off_topic_is_declined() {
    let suite = spawn_suite().await;

    let hello = suite.chat("Hello there!", None, None).await;
    assert_eq!(hello["intent"], "chitchat");
    assert!(lower(&hello).contains("maya"), "{hello}");
    let weather = suite
        .chat("What's the weather like in Paris today?", None, None)
        .await;
    assert_eq!(weather["intent"], "off_topic");
    assert!(
        lower(&weather).contains("outside what i can help with"),
        "{weather}"
    );
    let (status, schemas) = suite.assistant.get("/assistant/functions").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = schemas["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "getCustomerOrders",
            "getLoyalty",
            "getOrderStatus",
            "getReturnableOrders",
            "searchProducts"
        ]
    );
    suite.stop().await;
}
