//! "How do I return this?" (issue 17): the returns policy and the caller's orders that can
//! still be returned (delivered within 30 days), from the real order-service.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{lower, send, spawn_suite};

#[tokio::test]
async fn how_do_i_return_this_answers_with_the_policy_and_the_orders_delivered_within_thirty_days()
{
    let suite = spawn_suite().await;
    let kettle = suite
        .product("Electric Kettle", 30.0, 10, &["kitchen"])
        .await;
    let kettle = kettle["id"].as_str().unwrap();
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let delivered = suite.order(&alex, kettle, 1).await;
    let pending = suite.order(&alex, kettle, 2).await;
    suite.ship(&delivered, "UPS", "1Z999").await;
    let (status, body) = send(
        &suite.orders,
        Method::PATCH,
        &format!("/orders/{delivered}/status"),
        Some(&json!({ "status": "DELIVERED" })),
        Some(&suite.admin),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let signed_in = suite
        .chat("How do I return this?", None, Some(&alex.bearer))
        .await;
    let anonymous = suite.chat("How do I return this?", None, None).await;
    let general = suite
        .chat("What's your return policy?", None, Some(&alex.bearer))
        .await;

    assert_eq!(signed_in["intent"], "policy_question", "{signed_in}");
    assert_eq!(signed_in["functionsCalled"], json!(["getReturnableOrders"]));
    let text = signed_in["text"].as_str().unwrap();
    assert!(text.contains(&delivered), "the delivered order: {text}");
    assert!(!text.contains(&pending), "not the undelivered one: {text}");
    assert!(lower(&signed_in).contains("returnable until"), "{text}");
    assert!(
        signed_in["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().starts_with("Policy3.")),
        "the returns policy is cited: {signed_in}"
    );
    assert_eq!(anonymous["functionsCalled"], json!([]));
    assert!(lower(&anonymous).contains("sign in"), "{anonymous}");
    assert_eq!(
        general["functionsCalled"],
        json!([]),
        "a policy question only"
    );
    suite.stop().await;
}
