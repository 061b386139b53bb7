//! `customer.erased` (issue 19), from a real erasure at customer-service: the assistant forgets
//! the customer's chat sessions with their history, their support conversations with every
//! message, and their escalations; another customer's stay.

use bson::{Document, doc};
use serde_json::json;
use shared::testing::eventually;

use crate::{
    helpers::{PASSWORD, Suite, WAIT, send, spawn_suite},
    support::ask_for_a_person,
};

async fn count(suite: &Suite, collection: &str, filter: Document) -> u64 {
    let mongo = suite.assistant_config.service.mongo.as_ref().unwrap();
    shared::store::mongo(mongo, "test")
        .await
        .unwrap()
        .collection::<Document>(collection)
        .count_documents(filter)
        .await
        .unwrap()
}

async fn session_kept(suite: &Suite, session: &str) -> bool {
    let client = redis::Client::open(shared::testing::redis_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}assistant:session:{session}", suite.names.redis_prefix);
    redis::AsyncCommands::exists(&mut redis, key).await.unwrap()
}

#[tokio::test]
async fn an_erased_customers_chats_support_conversations_and_escalations_are_forgotten() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Gone", "alex.gone@example.com").await;
    let sam = suite.register("Sam Kept", "sam.kept@example.com").await;
    suite
        .chat(
            "Do you ship to Canada?",
            Some("erase-0001"),
            Some(&alex.bearer),
        )
        .await;
    ask_for_a_person(&suite, "erase-0001", &alex.bearer).await;
    suite
        .chat(
            "This is unacceptable, my order arrived broken and nobody helps me!",
            Some("erase-0002"),
            Some(&alex.bearer),
        )
        .await;
    ask_for_a_person(&suite, "erase-0003", &sam.bearer).await;
    assert!(
        count(
            &suite,
            "support_conversations",
            doc! {"customerId": &alex.id}
        )
        .await
            >= 1
    );
    assert!(count(&suite, "escalations", doc! {"customerId": &alex.id}).await >= 1);
    assert!(session_kept(&suite, "erase-0002").await);

    let (erased, body) = send(
        &suite.customers,
        reqwest::Method::DELETE,
        "/customers/me",
        Some(&json!({"password": PASSWORD})),
        Some(&alex.bearer),
    )
    .await;
    assert_eq!(erased, 204, "{body}");

    eventually(
        "Alex's support conversations and escalations to go",
        WAIT,
        || async {
            let conversations = count(
                &suite,
                "support_conversations",
                doc! {"customerId": &alex.id},
            )
            .await;
            let escalations = count(&suite, "escalations", doc! {"customerId": &alex.id}).await;
            (conversations == 0 && escalations == 0).then_some(())
        },
    )
    .await;
    assert_eq!(
        count(&suite, "support_messages", doc! {"sessionId": "erase-0001"}).await,
        0
    );
    for session in ["erase-0001", "erase-0002"] {
        assert!(!session_kept(&suite, session).await, "{session} is kept");
    }
    assert_eq!(
        count(
            &suite,
            "support_conversations",
            doc! {"customerId": &sam.id}
        )
        .await,
        1
    );
    assert!(session_kept(&suite, "erase-0003").await);
    suite.stop().await;
}
