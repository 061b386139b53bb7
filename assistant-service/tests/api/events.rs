//! Events: a complaint publishes `support.escalated` (once per conversation), every answer
//! `assistant.replied`; and order events feed the context, so "where is my order?" needs no number.

use shared::events::keys;

use crate::helpers::{Observer, lower, spawn_suite};

#[tokio::test]
async fn a_complaint_is_answered_with_empathy_and_escalated_once() {
    let suite = spawn_suite().await;
    let observer = Observer::start(
        &suite.names,
        &[keys::SUPPORT_ESCALATED, keys::ASSISTANT_REPLIED],
    )
    .await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;

    let reply = suite
        .chat(
            "My order arrived damaged and I'm really upset",
            None,
            Some(&alex.bearer),
        )
        .await;
    let session = reply["metadata"]["sessionId"].as_str().unwrap().to_owned();
    let again = suite
        .chat(
            "This is unacceptable, I'm so disappointed",
            Some(&session),
            Some(&alex.bearer),
        )
        .await;

    assert_eq!(reply["intent"], "complaint");
    let text = lower(&reply);
    assert!(text.contains("i'm really sorry, alex"), "{reply}");
    assert!(text.contains("senior specialist"), "{reply}");
    assert_eq!(reply["metadata"]["citationsValid"], true);
    assert!(
        reply["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "Policy3.5"),
        "{reply}"
    );
    assert!(lower(&again).contains("already passed"), "{again}");
    let escalated = observer
        .wait_for(keys::SUPPORT_ESCALATED, |e| {
            e.data["sessionId"] == session.as_str()
        })
        .await;
    assert_eq!(escalated.data["customerId"], alex.id.as_str());
    assert_eq!(escalated.data["customerName"], "Alex Demo");
    assert_eq!(
        escalated.data["message"],
        "My order arrived damaged and I'm really upset"
    );
    assert_eq!(escalated.source, "assistant-service");
    let replied = observer
        .wait_for(keys::ASSISTANT_REPLIED, |e| {
            e.data["sessionId"] == session.as_str()
        })
        .await;
    assert_eq!(replied.data["intent"], "complaint");
    assert!(replied.data["latencyMs"].is_u64());
    let escalations =
        shared::testing::eventually("the second reply's event", crate::helpers::WAIT, || async {
            let events = observer.events.lock().unwrap();
            let replies = events
                .iter()
                .filter(|e| {
                    e.kind == keys::ASSISTANT_REPLIED && e.data["sessionId"] == session.as_str()
                })
                .count();
            let escalations = events
                .iter()
                .filter(|e| {
                    e.kind == keys::SUPPORT_ESCALATED && e.data["sessionId"] == session.as_str()
                })
                .count();
            (replies == 2).then_some(escalations)
        })
        .await;
    assert_eq!(
        escalations, 1,
        "a second complaint in the conversation is not escalated again"
    );
    suite.stop().await;
}

#[tokio::test]
async fn order_events_let_a_customer_ask_about_their_latest_order_without_a_number() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let lamp = suite.product("Desk Lamp", 24.5, 10, &[]).await;
    let order = suite.order(&alex, lamp["id"].as_str().unwrap(), 1).await;

    let reply = shared::testing::eventually(
        "the assistant to know the order",
        crate::helpers::WAIT,
        || async {
            let reply = suite
                .chat("Where is my order?", None, Some(&alex.bearer))
                .await;
            (reply["functionsCalled"] == serde_json::json!(["getOrderStatus"])).then_some(reply)
        },
    )
    .await;

    assert_eq!(reply["intent"], "order_status");
    let short = format!("{}…{}", &order[..4], &order[20..]);
    assert!(reply["text"].as_str().unwrap().contains(&short), "{reply}");
    assert!(lower(&reply).contains("being prepared"), "{reply}");
    suite.stop().await;
}

#[tokio::test]
async fn a_burst_of_replies_is_recorded_and_published_exactly_once_each() {
    let suite = spawn_suite().await;
    let observer = Observer::start(&suite.names, &[keys::ASSISTANT_REPLIED]).await;
    let messages = 30;

    let replies = futures::future::join_all((0..messages).map(|n| {
        let suite = &suite;
        async move {
            let message = if n % 2 == 0 {
                "What is your return policy?"
            } else {
                "Hello there!"
            };
            suite.chat(message, None, None).await
        }
    }))
    .await;

    let sessions: std::collections::HashSet<String> = replies
        .iter()
        .map(|r| r["metadata"]["sessionId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sessions.len(), messages);
    let published =
        shared::testing::eventually("every reply's event", crate::helpers::WAIT, || async {
            let events = observer.events.lock().unwrap();
            let ours: Vec<_> = events
                .iter()
                .filter(|e| sessions.contains(e.data["sessionId"].as_str().unwrap_or("")))
                .map(|e| e.id)
                .collect();
            (ours.len() >= messages).then_some(ours)
        })
        .await;
    let distinct: std::collections::HashSet<_> = published.iter().collect();
    assert_eq!(distinct.len(), messages, "one event per reply");
    let db = shared::store::mongo(
        &shared::config::MongoConfig {
            uri: shared::testing::mongodb_uri(),
            database: suite.names.database.clone(),
        },
        "assistant-test",
    )
    .await
    .unwrap();
    let recorded = shared::testing::eventually(
        "the outbox of the reply records to empty",
        crate::helpers::WAIT,
        || async {
            let documents: Vec<bson::Document> = futures::TryStreamExt::try_collect(
                db.collection::<bson::Document>("replies")
                    .find(bson::doc! {})
                    .await
                    .unwrap(),
            )
            .await
            .unwrap();
            let pending: i64 = documents.iter().map(shared::outbox::pending_count).sum();
            let replies: usize = documents
                .iter()
                .map(|d| d.get_array("replies").map_or(0, Vec::len))
                .sum();
            (pending == 0).then_some(replies)
        },
    )
    .await;
    assert_eq!(recorded, messages);
    // No event beyond one per reply arrived while the outbox emptied.
    let events = observer.events.lock().unwrap().len();
    assert_eq!(events, messages);
    suite.stop().await;
}
