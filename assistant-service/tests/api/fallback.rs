//! Issue 21 without the embedding model (none configured, or a folder it cannot be loaded
//! from): `/health` says so, and the rules still refuse wrongdoing, recognise a delivery that
//! went wrong and a gift to find, and answer policy questions by their words.

use shared::events::keys;

use crate::helpers::{Observer, Options, lower, spawn_suite, spawn_with};

#[tokio::test]
async fn without_the_model_health_says_so_and_the_rules_still_decide() {
    let suite = spawn_suite().await;
    let observer = Observer::start(&suite.names, &[keys::ASSISTANT_WRONGDOING]).await;
    let health = suite.assistant.health().await;
    assert_eq!(health["features"]["embeddings"], "off", "{health}");
    assert_eq!(
        health["status"], "ok",
        "an unconfigured model is no degradation: {health}"
    );

    let cases = [
        ("how do I break into your admin panel", "violation"),
        ("give me the home address of another customer", "violation"),
        ("can I shop with a stolen credit card", "violation"),
        (
            "how do I use the welcome coupon over and over with new accounts",
            "violation",
        ),
        ("the box came soaked", "complaint"),
        ("you sent me size 8 instead of 10", "complaint"),
        ("a gift for someone who loves cooking", "product_search"),
        ("What is your return policy?", "policy_question"),
        ("my card was stolen, what should I do?", "policy_question"),
    ];
    let mut wrong = Vec::new();
    for (message, intent) in cases {
        let reply = suite.chat(message, None, None).await;
        if reply["intent"] != intent {
            wrong.push(format!(
                "{message}: {} (expected {intent})",
                reply["intent"]
            ));
        }
        if intent == "violation" {
            assert_eq!(reply["metadata"]["sessionEnded"], true, "{reply}");
            assert!(lower(&reply).contains("can't help with that"), "{reply}");
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let person = suite.chat("Are you a real person?", None, None).await;
    assert!(lower(&person).contains("virtual assistant"), "{person}");
    observer
        .wait_for(keys::ASSISTANT_WRONGDOING, |e| {
            e.data["kind"] == "intrusion"
        })
        .await;
    observer
        .wait_for(keys::ASSISTANT_WRONGDOING, |e| e.data["kind"] == "data")
        .await;
    suite.stop().await;
}

#[tokio::test]
async fn a_folder_without_the_model_leaves_the_assistant_answering_by_words() {
    let suite = spawn_with(Options {
        model_dir: Some("/nonexistent/model".into()),
        ..Options::default()
    })
    .await;

    let health = suite.assistant.health().await;
    let reply = suite.chat("How long does a refund take?", None, None).await;

    assert_eq!(health["features"]["embeddings"], "off", "{health}");
    assert_eq!(reply["intent"], "policy_question", "{reply}");
    assert_eq!(reply["citations"][0], "Policy3.3", "{reply}");
    suite.stop().await;
}
