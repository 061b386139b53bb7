//! Human support (issue 17): an escalated chat enters the queue in MongoDB; an admin joins it
//! over `/ws/support/{sessionId}` and talks with the customer on `/ws/chat/{sessionId}` while
//! the assistant stays quiet; closing hands it back, leaving puts it back in the queue. Two real
//! WebSocket clients, real MongoDB, RabbitMQ and Redis. (Leases across replicas: `lease.rs`.)

use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{auth::Role, events::keys, testing::Spawned};
use tokio_tungstenite::{connect_async, tungstenite::Message};

use crate::helpers::{Observer, Suite, WAIT, send, spawn_suite};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket to `path` on `app`, the token (if any) in the query; `Err(status)` when refused
/// before the upgrade.
pub async fn socket(app: &Spawned, path: &str, bearer: Option<&str>) -> Result<Socket, u16> {
    let mut url = app.url(path).replacen("http://", "ws://", 1);
    if let Some(bearer) = bearer {
        url.push_str(&format!("?token={}", bearer.trim_start_matches("Bearer ")));
    }
    match connect_async(url).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(e) => panic!("connect: {e}"),
    }
}

/// The next message that is not a heartbeat; a close as `{"type":"closed","code"}`.
pub async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a message in time")
            .expect("the socket open")
            .expect("a frame");
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(text.as_str()).unwrap();
                if value["type"] != "heartbeat" {
                    return value;
                }
            }
            Message::Close(frame) => {
                return json!({ "type": "closed", "code": frame.map(|f| u16::from(f.code)) });
            }
            _ => {}
        }
    }
}

pub async fn say(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

pub async fn get(app: &Spawned, path: &str, bearer: &str) -> (u16, Value) {
    send(app, Method::GET, path, None, Some(bearer)).await
}

/// An admin's support socket on `session`, past its opening `conversation` message.
pub async fn agent_joins(app: &Spawned, session: &str, admin: &str) -> Socket {
    let mut agent = socket(app, &format!("/ws/support/{session}"), Some(admin))
        .await
        .expect("the agent joins");
    assert_eq!(next(&mut agent).await["type"], "conversation");
    agent
}

/// The contents of a support conversation's messages, in order.
fn contents(conversation: &Value) -> Vec<&str> {
    conversation["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect()
}

/// Escalates `session` for `bearer` by asking for a person.
pub async fn ask_for_a_person(suite: &Suite, session: &str, bearer: &str) -> Value {
    suite
        .chat("can I talk to a person?", Some(session), Some(bearer))
        .await
}

#[tokio::test]
async fn asking_for_a_person_queues_the_conversation_once_in_mongo_and_announces_it() {
    let suite = spawn_suite().await;
    let observer = Observer::start(&suite.names, &[keys::SUPPORT_ESCALATED]).await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let sam = suite.register("Sam Other", "sam@example.com").await;

    suite
        .chat(
            "Do you ship to Canada?",
            Some("support-0001"),
            Some(&alex.bearer),
        )
        .await;
    let asked = ask_for_a_person(&suite, "support-0001", &alex.bearer).await;
    let again = suite
        .chat("human please", Some("support-0001"), Some(&alex.bearer))
        .await;
    let complaint = suite
        .chat(
            "This is unacceptable, my order arrived broken and nobody helps me!",
            Some("support-0002"),
            Some(&sam.bearer),
        )
        .await;
    let (status, queue) = get(&suite.assistant, "/support/queue", &suite.admin).await;
    let (_, second_page) = get(
        &suite.assistant,
        "/support/queue?limit=1&page=2",
        &suite.admin,
    )
    .await;
    let (_, conversation) = get(
        &suite.assistant,
        "/support/conversations/support-0001",
        &suite.admin,
    )
    .await;
    let event = observer
        .wait_for(keys::SUPPORT_ESCALATED, |e| {
            e.data["sessionId"] == "support-0001"
        })
        .await;

    assert_eq!(asked["intent"], "complaint", "{asked}");
    assert!(
        asked["text"]
            .as_str()
            .unwrap()
            .contains("person from our team"),
        "{asked}"
    );
    assert!(
        again["text"]
            .as_str()
            .unwrap()
            .contains("already in the queue"),
        "{again}"
    );
    assert_eq!(complaint["intent"], "complaint", "{complaint}");
    assert_eq!(status, 200, "{queue}");
    assert_eq!(
        queue["meta"]["total"], 2,
        "asking twice queues once: {queue}"
    );
    let entries = queue["data"].as_array().unwrap();
    assert_eq!(entries[0]["sessionId"], "support-0001", "oldest first");
    assert_eq!(entries[0]["status"], "WAITING");
    assert_eq!(entries[0]["reason"], "asked for a person");
    assert_eq!(entries[0]["customerId"], alex.id.as_str());
    assert_eq!(entries[0]["customerName"], "Alex Demo");
    assert_eq!(entries[1]["sessionId"], "support-0002");
    assert_eq!(entries[1]["reason"], "complaint");
    assert_eq!(second_page["data"][0]["sessionId"], "support-0002");
    let roles: Vec<&str> = conversation["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["customer", "assistant", "customer"],
        "{conversation}"
    );
    assert_eq!(
        conversation["data"]["messages"][2]["content"],
        "can I talk to a person?"
    );
    assert_eq!(event.data["customerId"], alex.id.as_str());
    suite.stop().await;
}

#[tokio::test]
async fn the_queue_and_transcripts_are_for_admins_only_and_bad_ids_are_refused() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    ask_for_a_person(&suite, "support-0003", &alex.bearer).await;

    let (customer, _) = get(&suite.assistant, "/support/queue", &alex.bearer).await;
    let (transcript, _) = get(
        &suite.assistant,
        "/support/conversations/support-0003",
        &alex.bearer,
    )
    .await;
    let (anonymous, _) = suite.assistant.get("/support/queue").await;
    let (missing, _) = get(
        &suite.assistant,
        "/support/conversations/never-escalated",
        &suite.admin,
    )
    .await;
    let (bad, body) = get(
        &suite.assistant,
        "/support/conversations/bad!",
        &suite.admin,
    )
    .await;
    let (bad_page, _) = get(&suite.assistant, "/support/queue?limit=0", &suite.admin).await;

    assert_eq!(customer, 403);
    assert_eq!(transcript, 403);
    assert_eq!(anonymous, 401);
    assert_eq!(missing, 404);
    assert_eq!(bad, 400);
    assert!(body["error"]["details"]["sessionId"].is_string(), "{body}");
    assert_eq!(bad_page, 400);
    suite.stop().await;
}

#[tokio::test]
async fn an_agent_and_the_customer_talk_over_two_sockets_while_the_assistant_stays_quiet_until_handback()
 {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let session = "support-0004";
    ask_for_a_person(&suite, session, &alex.bearer).await;
    let chat_path = format!("/ws/chat/{session}");
    let support_path = format!("/ws/support/{session}");
    let mut customer = socket(&suite.assistant, &chat_path, Some(&alex.bearer))
        .await
        .unwrap();
    assert_eq!(next(&mut customer).await["type"], "history");

    let mut agent = socket(&suite.assistant, &support_path, Some(&suite.admin))
        .await
        .expect("the agent joins");
    let opening = next(&mut agent).await;
    let joined = next(&mut customer).await;
    say(
        &mut agent,
        json!({ "type": "message", "content": "Hi Alex, I'm here to help." }),
    )
    .await;
    let from_agent = next(&mut customer).await;
    say(
        &mut customer,
        json!({ "type": "message", "message": "My parcel never came." }),
    )
    .await;
    let from_customer = next(&mut agent).await;
    let posted = suite
        .chat("Are you still there?", Some(session), Some(&alex.bearer))
        .await;
    let posted_relayed = next(&mut agent).await;
    say(
        &mut agent,
        json!({ "type": "message", "content": "Let me check that." }),
    )
    .await;
    // Had the assistant answered "My parcel never came.", its `thinking` would come first.
    let after_customer_spoke = next(&mut customer).await;
    let (_, held) = get(
        &suite.assistant,
        &format!("/support/conversations/{session}"),
        &suite.admin,
    )
    .await;
    // The customer reloads the page: the chat's history holds what was said with the person,
    // and names who holds the conversation.
    let mut reloaded = socket(&suite.assistant, &chat_path, Some(&alex.bearer))
        .await
        .unwrap();
    let reloaded_history = next(&mut reloaded).await;
    drop(reloaded);
    say(&mut agent, json!({ "type": "close" })).await;
    let handback = next(&mut customer).await;
    let agent_closed = next(&mut agent).await;
    let (_, closed) = get(
        &suite.assistant,
        &format!("/support/conversations/{session}"),
        &suite.admin,
    )
    .await;
    say(
        &mut customer,
        json!({ "type": "message", "message": "What is your return policy?" }),
    )
    .await;
    let thinking = next(&mut customer).await;
    let (_, queue) = get(&suite.assistant, "/support/queue", &suite.admin).await;

    assert_eq!(opening["type"], "conversation", "{opening}");
    assert_eq!(opening["conversation"]["status"], "ACTIVE");
    assert_eq!(
        opening["conversation"]["messages"][0]["content"],
        "can I talk to a person?"
    );
    assert_eq!(joined["type"], "agent_joined", "{joined}");
    assert_eq!(from_agent["type"], "agent", "{from_agent}");
    assert_eq!(from_agent["content"], "Hi Alex, I'm here to help.");
    assert!(from_agent["agent"].as_str().is_some_and(|a| !a.is_empty()));
    chrono::DateTime::parse_from_rfc3339(from_agent["at"].as_str().unwrap()).unwrap();
    assert_eq!(from_customer["type"], "customer", "{from_customer}");
    assert_eq!(from_customer["content"], "My parcel never came.");
    assert!(
        posted["text"]
            .as_str()
            .unwrap()
            .contains("person from our team"),
        "{posted}"
    );
    assert_eq!(posted["functionsCalled"], json!([]));
    assert_eq!(posted_relayed["content"], "Are you still there?");
    assert_eq!(
        after_customer_spoke["type"], "agent",
        "{after_customer_spoke}"
    );
    assert_eq!(after_customer_spoke["content"], "Let me check that.");
    assert_eq!(held["data"]["status"], "ACTIVE");
    let transcript: Vec<(&str, &str)> = held["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        transcript[transcript.len() - 4..],
        [
            ("agent", "Hi Alex, I'm here to help."),
            ("customer", "My parcel never came."),
            ("customer", "Are you still there?"),
            ("agent", "Let me check that."),
        ]
    );
    assert_eq!(reloaded_history["type"], "history", "{reloaded_history}");
    assert_eq!(reloaded_history["agent"], from_agent["agent"]);
    let lines: Vec<(&str, &str)> = reloaded_history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines[lines.len() - 4..],
        [
            ("agent", "Hi Alex, I'm here to help."),
            ("user", "My parcel never came."),
            ("user", "Are you still there?"),
            ("agent", "Let me check that."),
        ],
        "{reloaded_history}"
    );
    assert_eq!(
        reloaded_history["messages"][lines.len() - 1]["agent"],
        from_agent["agent"]
    );
    assert_eq!(handback["type"], "handback", "{handback}");
    assert_eq!(handback["reason"], "closed", "{handback}");
    assert_eq!(agent_closed, json!({ "type": "closed", "code": 1000 }));
    assert_eq!(closed["data"]["status"], "CLOSED");
    assert_eq!(
        thinking["type"], "thinking",
        "the assistant answers again: {thinking}"
    );
    assert_eq!(next(&mut customer).await["type"], "assistant");
    let mut after = socket(&suite.assistant, &chat_path, Some(&alex.bearer))
        .await
        .unwrap();
    let after_history = next(&mut after).await;
    assert_eq!(
        after_history["agent"],
        Value::Null,
        "nobody holds it once closed: {after_history}"
    );
    assert_eq!(
        queue["meta"]["total"], 0,
        "a closed conversation leaves the queue"
    );
    suite.stop().await;
}

#[tokio::test]
async fn one_agent_at_a_time_customers_and_bad_tokens_are_refused_and_leaving_requeues() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let session = "support-0005";
    ask_for_a_person(&suite, session, &alex.bearer).await;
    let path = format!("/ws/support/{session}");
    let second_admin = suite.names.bearer("000000000000000000000002", Role::Admin);

    let mut first = socket(&suite.assistant, &path, Some(&suite.admin))
        .await
        .expect("the first agent joins");
    assert_eq!(next(&mut first).await["type"], "conversation");
    let second = socket(&suite.assistant, &path, Some(&second_admin))
        .await
        .err();
    let as_customer = socket(&suite.assistant, &path, Some(&alex.bearer))
        .await
        .err();
    let mut without = socket(&suite.assistant, &path, None)
        .await
        .expect("upgraded, then closed");
    let mut garbage = socket(&suite.assistant, &path, Some("Bearer garbage"))
        .await
        .expect("upgraded, then closed");
    let never = socket(
        &suite.assistant,
        "/ws/support/never-escalated",
        Some(&second_admin),
    )
    .await
    .err();
    let bad_id = socket(&suite.assistant, "/ws/support/bad!", Some(&second_admin))
        .await
        .err();
    say(&mut first, json!({ "type": "message", "content": "   " })).await;
    let empty = next(&mut first).await;
    say(&mut first, json!({ "type": "shout" })).await;
    let unknown = next(&mut first).await;
    drop(first);
    let handed_back =
        shared::testing::eventually("the conversation back in the queue", WAIT, || async {
            let (_, c) = get(
                &suite.assistant,
                &format!("/support/conversations/{session}"),
                &suite.admin,
            )
            .await;
            (c["data"]["status"] == "WAITING").then_some(c)
        })
        .await;
    let now_second = socket(&suite.assistant, &path, Some(&second_admin)).await;

    assert_eq!(second, Some(409));
    assert_eq!(as_customer, Some(403));
    assert_eq!(
        shared::testing::ws_close_code(&mut without, WAIT).await,
        Some(4401)
    );
    assert_eq!(
        shared::testing::ws_close_code(&mut garbage, WAIT).await,
        Some(4401)
    );
    assert_eq!(never, Some(404));
    assert_eq!(bad_id, Some(400));
    assert_eq!(empty["type"], "error", "{empty}");
    assert_eq!(empty["code"], "VALIDATION_ERROR");
    assert_eq!(unknown["type"], "error", "{unknown}");
    let transcript = handed_back["data"]["messages"].as_array().unwrap();
    assert!(
        transcript.iter().all(|m| m["role"] != "agent"),
        "a refused message is not stored: {handed_back}"
    );
    assert!(
        now_second.is_ok(),
        "the second agent may join once it is handed back"
    );
    suite.stop().await;
}

#[tokio::test]
async fn the_queue_survives_a_restart_of_the_assistant_on_the_same_database() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    ask_for_a_person(&suite, "support-0006", &alex.bearer).await;

    suite.assistant.cancel.cancel();
    let restarted = suite.replica().await;
    let (status, queue) = get(&restarted, "/support/queue", &suite.admin).await;
    let agent = socket(&restarted, "/ws/support/support-0006", Some(&suite.admin)).await;

    assert_eq!(status, 200);
    assert_eq!(queue["meta"]["total"], 1, "{queue}");
    assert_eq!(queue["data"][0]["sessionId"], "support-0006");
    assert!(agent.is_ok(), "an agent joins it on the restarted service");
    drop(agent);
    restarted.stop_and_clean().await;
    suite.stop().await;
}

#[tokio::test]
async fn an_agent_on_one_replica_and_the_customer_on_another_talk_through_redis() {
    let suite = spawn_suite().await;
    let other = suite.replica().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let session = "support-0007";
    ask_for_a_person(&suite, session, &alex.bearer).await;
    let mut customer = socket(
        &suite.assistant,
        &format!("/ws/chat/{session}"),
        Some(&alex.bearer),
    )
    .await
    .unwrap();
    assert_eq!(next(&mut customer).await["type"], "history");

    let mut agent = socket(
        &other,
        &format!("/ws/support/{session}"),
        Some(&suite.admin),
    )
    .await
    .unwrap();
    assert_eq!(next(&mut agent).await["type"], "conversation");
    let joined = next(&mut customer).await;
    say(
        &mut agent,
        json!({ "type": "message", "content": "Hello from the other replica." }),
    )
    .await;
    let from_agent = next(&mut customer).await;
    say(
        &mut customer,
        json!({ "type": "message", "message": "Hello back." }),
    )
    .await;
    let from_customer = next(&mut agent).await;
    say(&mut agent, json!({ "type": "close" })).await;
    let handback = next(&mut customer).await;

    assert_eq!(joined["type"], "agent_joined");
    assert_eq!(from_agent["content"], "Hello from the other replica.");
    assert_eq!(from_customer["type"], "customer");
    assert_eq!(from_customer["content"], "Hello back.");
    assert_eq!(handback["type"], "handback");
    drop(other);
    suite.stop().await;
}

#[tokio::test]
async fn a_conversation_requeued_after_handback_waits_behind_older_ones_though_the_stand_in_sets_dates_as_text()
 {
    // The stand-in stores a date written by `$set` (the requeue's `queuedAt`) as text, which
    // sorts before every date: the queue orders by `queuedMs`, a number, on both.
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let sam = suite.register("Sam Other", "sam@example.com").await;
    ask_for_a_person(&suite, "support-0008", &alex.bearer).await;
    let mut agent = agent_joins(&suite.assistant, "support-0008", &suite.admin).await;
    say(&mut agent, json!({ "type": "close" })).await;
    assert_eq!(next(&mut agent).await["type"], "closed");
    ask_for_a_person(&suite, "support-0009", &sam.bearer).await;

    let again = ask_for_a_person(&suite, "support-0008", &alex.bearer).await;
    let (_, queue) = get(&suite.assistant, "/support/queue", &suite.admin).await;

    assert!(
        again["text"]
            .as_str()
            .unwrap()
            .contains("person from our team"),
        "queued again: {again}"
    );
    let order: Vec<&str> = queue["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["support-0009", "support-0008"], "{queue}");
    assert_eq!(queue["data"][1]["status"], "WAITING");
    chrono::DateTime::parse_from_rfc3339(queue["data"][1]["queuedAt"].as_str().unwrap()).unwrap();
    suite.stop().await;
}

/// Only a conversation that entered the support queue asks the support desk at each message
/// (a session that never did skips that read); one whose session expired from Redis while a
/// person holds it still reaches the person, since a session not found asks too.
#[tokio::test]
async fn a_held_conversation_whose_session_expired_still_reaches_the_person() {
    let suite = spawn_suite().await;
    let alex = suite
        .register("Alex Expired", "alex.expired@example.com")
        .await;
    let session = "support-expired-1";
    ask_for_a_person(&suite, session, &alex.bearer).await;
    let mut agent = agent_joins(&suite.assistant, session, &suite.admin).await;

    let client = redis::Client::open(shared::testing::redis_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}assistant:session:{session}", suite.names.redis_prefix);
    let removed: u32 = redis::AsyncCommands::del(&mut redis, &key).await.unwrap();
    assert_eq!(removed, 1, "the session was in Redis");

    let reply = suite
        .chat("Are you still there?", Some(session), Some(&alex.bearer))
        .await;
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("person from our team"),
        "{reply}"
    );
    let relayed = next(&mut agent).await;
    assert_eq!(relayed["type"], "customer", "{relayed}");
    assert_eq!(relayed["content"], "Are you still there?");
    drop(agent);
    suite.stop().await;
}

/// A conversation whose id the assistant made (its first message came without one) skips
/// the support desk's reads: its first complaint inserts the queue entry straight away, with
/// the chat so far. Should an entry exist after all (an earlier hand-over that failed after
/// its write, planted here by clearing the session's `queued` mark in Redis), the complaint
/// still finds the closed entry and puts it back in the queue.
#[tokio::test]
async fn a_complaint_in_a_conversation_the_assistant_opened_queues_it_and_reopens_an_entry_found_after_all()
 {
    let suite = spawn_suite().await;
    let alex = suite
        .register("Alex Minted", "alex.minted@example.com")
        .await;
    let first = suite
        .chat("Do you ship to Canada?", None, Some(&alex.bearer))
        .await;
    let session = first["metadata"]["sessionId"].as_str().unwrap().to_owned();
    let complaint = "My parcel arrived soaked and the lamp inside is broken, this is unacceptable";
    let reply = suite
        .chat(complaint, Some(&session), Some(&alex.bearer))
        .await;
    assert_eq!(reply["intent"], "complaint", "{reply}");
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("senior specialist"),
        "{reply}"
    );
    let path = format!("/support/conversations/{session}");
    let (_, conversation) = get(&suite.assistant, &path, &suite.admin).await;
    assert_eq!(conversation["data"]["status"], "WAITING", "{conversation}");
    assert_eq!(conversation["data"]["reason"], "complaint");
    let said = contents(&conversation);
    assert_eq!(said.len(), 3, "{conversation}");
    assert_eq!(said[0], "Do you ship to Canada?");
    assert_eq!(said[2], complaint);

    let mut agent = agent_joins(&suite.assistant, &session, &suite.admin).await;
    say(&mut agent, json!({ "type": "close" })).await;
    assert_eq!(next(&mut agent).await["type"], "closed");
    drop(agent);
    let client = redis::Client::open(shared::testing::redis_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}assistant:session:{session}", suite.names.redis_prefix);
    let stored: String = redis::AsyncCommands::get(&mut redis, &key).await.unwrap();
    let mut stored: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["minted"], true, "{stored}");
    stored["queued"] = json!(false);
    stored["escalated"] = json!(false);
    let _: () = redis::AsyncCommands::set(&mut redis, &key, stored.to_string())
        .await
        .unwrap();

    let again = suite
        .chat(
            "The replacement arrived broken too!",
            Some(&session),
            Some(&alex.bearer),
        )
        .await;
    let (_, reopened) = get(&suite.assistant, &path, &suite.admin).await;
    assert_eq!(again["intent"], "complaint", "{again}");
    assert_eq!(reopened["data"]["status"], "WAITING", "{reopened}");
    let said = contents(&reopened);
    assert_eq!(
        said.last(),
        Some(&"The replacement arrived broken too!"),
        "{reopened}"
    );
    let asked = said
        .iter()
        .filter(|c| **c == "Do you ship to Canada?")
        .count();
    assert_eq!(asked, 1, "no line twice: {reopened}");
    suite.stop().await;
}
