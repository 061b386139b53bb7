//! `GET /ws/chat/{sessionId}`: a turn streamed as `thinking`, `tool_call` and `assistant`
//! messages; history on reconnect; other people's sessions refused before the upgrade, bad
//! tokens closed with 4401.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{connect_async, tungstenite::Message};

use crate::helpers::{Suite, spawn_suite};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(suite: &Suite, session: &str, token: Option<&str>) -> Result<Socket, u16> {
    let base = suite.assistant.base_url.replace("http://", "ws://");
    let mut url = format!("{base}/ws/chat/{session}");
    if let Some(token) = token {
        url.push_str(&format!("?token={}", token.trim_start_matches("Bearer ")));
    }
    match connect_async(url).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(e) => panic!("connect: {e}"),
    }
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(crate::helpers::WAIT, socket.next())
            .await
            .expect("a message in time")
            .expect("the socket open")
            .expect("a frame");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Close(frame) => {
                return json!({ "type": "closed", "frame": frame.map(|f| f.reason.to_string()) });
            }
            _ => continue,
        }
    }
}

async fn say(socket: &mut Socket, message: &str) {
    let out = json!({ "type": "message", "message": message }).to_string();
    socket.send(Message::Text(out.into())).await.unwrap();
}

#[tokio::test]
async fn a_turn_is_streamed_and_history_comes_back_on_reconnect() {
    let suite = spawn_suite().await;
    suite.product("Yoga Mat", 25.0, 30, &["fitness"]).await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let session = "ws-session-0001";

    let mut socket = connect(&suite, session, Some(&alex.bearer)).await.unwrap();
    let history = next(&mut socket).await;
    say(&mut socket, "Do you sell yoga mats?").await;
    let thinking = next(&mut socket).await;
    let tool = next(&mut socket).await;
    let answer = next(&mut socket).await;
    socket.close(None).await.unwrap();
    let mut again = connect(&suite, session, Some(&alex.bearer)).await.unwrap();
    let replay = next(&mut again).await;

    assert_eq!(history["type"], "history");
    assert_eq!(history["messages"], json!([]));
    assert_eq!(thinking["type"], "thinking");
    assert_eq!(thinking["intent"], "product_search");
    assert_eq!(tool["type"], "tool_call");
    assert_eq!(tool["name"], "searchProducts");
    assert_eq!(tool["ok"], true);
    assert_eq!(answer["type"], "assistant");
    assert_eq!(answer["functionsCalled"], json!(["searchProducts"]));
    assert!(
        answer["text"].as_str().unwrap().contains("Yoga Mat"),
        "{answer}"
    );
    assert_eq!(answer["metadata"]["sessionId"], session);
    assert_eq!(replay["type"], "history");
    let messages = replay["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["text"], "Do you sell yoga mats?");
    assert_eq!(messages[1]["role"], "assistant");
    suite.stop().await;
}

#[tokio::test]
async fn bad_frames_get_typed_errors_and_a_violation_closes_the_socket() {
    let suite = spawn_suite().await;
    let mut socket = connect(&suite, "ws-session-0002", None).await.unwrap();
    let _history = next(&mut socket).await;

    socket
        .send(Message::Text("{not json".into()))
        .await
        .unwrap();
    let error = next(&mut socket).await;
    say(&mut socket, "fuck off").await;
    let _thinking = next(&mut socket).await;
    let answer = next(&mut socket).await;
    let closed = next(&mut socket).await;
    let mut after = connect(&suite, "ws-session-0002", None).await.unwrap();
    let history = next(&mut after).await;
    say(&mut after, "hello?").await;
    let refused = next(&mut after).await;

    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "VALIDATION_ERROR");
    assert_eq!(answer["intent"], "violation");
    assert_eq!(closed["type"], "closed");
    assert_eq!(history["ended"], true);
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "CONFLICT");
    suite.stop().await;
}

#[tokio::test]
async fn other_people_s_sessions_are_refused_before_the_upgrade_and_a_bad_token_closes_with_4401() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let sam = suite.register("Sam Other", "sam@example.com").await;
    let reply = suite.chat("hello", None, Some(&alex.bearer)).await;
    let session = reply["metadata"]["sessionId"].as_str().unwrap();

    let mut garbage = connect(&suite, session, Some("Bearer garbage"))
        .await
        .expect("upgraded, then closed");
    assert_eq!(
        shared::testing::ws_close_code(&mut garbage, crate::helpers::WAIT).await,
        Some(4401)
    );
    assert_eq!(
        connect(&suite, session, Some(&sam.bearer)).await.err(),
        Some(404)
    );
    assert_eq!(connect(&suite, session, None).await.err(), Some(404));
    assert_eq!(connect(&suite, "bad!", None).await.err(), Some(400));
    assert!(connect(&suite, session, Some(&alex.bearer)).await.is_ok());
    suite.stop().await;
}

#[tokio::test]
async fn an_idle_chat_socket_gets_heartbeats_and_still_answers_between_them() {
    let suite = crate::helpers::spawn_with(crate::helpers::Options {
        heartbeat: Some(std::time::Duration::from_millis(100)),
        ..Default::default()
    })
    .await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let mut socket = connect(&suite, "ws-heartbeat-0001", Some(&alex.bearer))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "history");

    let first = next(&mut socket).await;
    let second = next(&mut socket).await;
    say(&mut socket, "What is your return policy?").await;
    let answer = loop {
        let message = next(&mut socket).await;
        // Heartbeats may come before the turn starts; `thinking` and `tool_call` belong to it.
        if !["heartbeat", "thinking", "tool_call"].contains(&message["type"].as_str().unwrap_or(""))
        {
            break message;
        }
    };

    for beat in [&first, &second] {
        assert_eq!(beat["type"], "heartbeat", "{beat}");
        let at = beat["at"].as_str().expect("at");
        chrono::DateTime::parse_from_rfc3339(at).expect("at is RFC 3339");
    }
    assert_eq!(answer["type"], "assistant", "{answer}");
}

#[tokio::test]
async fn a_signed_in_chat_closes_with_4401_once_its_token_is_revoked() {
    let suite = crate::helpers::spawn_with(crate::helpers::Options {
        heartbeat: Some(std::time::Duration::from_millis(200)),
        ..Default::default()
    })
    .await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let mut socket = connect(&suite, "ws-session-0009", Some(&alex.bearer))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "history");

    shared::testing::revoke(&suite.names, &alex.bearer).await;

    let code = shared::testing::ws_close_code(&mut socket, crate::helpers::WAIT).await;
    assert_eq!(code, Some(4401));
    suite.stop().await;
}

#[tokio::test]
async fn two_messages_sent_at_once_are_answered_one_turn_after_the_other() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let mut socket = connect(&suite, "ws-session-0003", Some(&alex.bearer))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["type"], "history");

    say(&mut socket, "What is your return policy?").await;
    say(&mut socket, "hello").await;
    let mut seen = Vec::new();
    while seen.iter().filter(|t| *t == "assistant").count() < 2 {
        let message = next(&mut socket).await;
        let kind = message["type"].as_str().unwrap_or_default().to_owned();
        if kind != "heartbeat" && kind != "tool_call" {
            seen.push(kind);
        }
    }

    assert_eq!(seen, ["thinking", "assistant", "thinking", "assistant"]);
    suite.stop().await;
}
