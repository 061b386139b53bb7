//! The driver over channels standing in for the socket: first messages, heartbeats, bad
//! client messages, pushes, closes (session done, shutdown, revocation, laggards) and clean-up.

use std::{convert::Infallible, time::Duration};

use axum::extract::ws::Message;
use futures::{SinkExt, StreamExt, channel::mpsc as socket};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::*;

/// How long a test waits for something that should happen.
const WAIT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum In {
    Say { text: String },
    Bye,
}

/// Answers `say` with `said`, pushes what its feed yields, says when it is dropped.
struct Echo {
    feed: mpsc::Receiver<Value>,
    _gone: oneshot::Sender<()>,
}

impl Session for Echo {
    type Incoming = In;
    type Pushed = Option<Value>;
    const EXPECTED: &'static str = r#"{"type":"say","text":"…"}"#;
    const DROPPED_COUNTER: &'static str = "test_ws_dropped_total";

    async fn start(&mut self) -> Reply {
        Reply::json([&json!({ "type": "hello" })])
    }

    async fn handle(&mut self, message: In) -> Reply {
        match message {
            In::Say { text } => Reply::json([&json!({ "type": "said", "text": text })]),
            In::Bye => Reply::json([&json!({ "type": "bye" })]).then(Close::normal("done")),
        }
    }

    fn next(&mut self) -> impl Future<Output = Option<Value>> + Send {
        self.feed.recv()
    }

    async fn push(&mut self, pushed: Option<Value>) -> Reply {
        pushed.map_or_else(|| Reply::close(Close::going_away()), |v| Reply::json([&v]))
    }
}

/// The client's end of a driven session.
struct Client {
    to_server: socket::Sender<Result<Message, Infallible>>,
    from_server: socket::Receiver<Message>,
    feed: mpsc::Sender<Value>,
    /// Resolves when the session is dropped.
    gone: oneshot::Receiver<()>,
}

/// Runs an [`Echo`] under `driver`; the server's writes wait once `room` are unread.
fn spawn(driver: Driver, room: usize) -> Client {
    let (to_server, server_rx) = socket::channel(16);
    let (server_tx, from_server) = socket::channel(room);
    let (feed, feed_rx) = mpsc::channel(16);
    let (gone_tx, gone) = oneshot::channel();
    let session = Echo {
        feed: feed_rx,
        _gone: gone_tx,
    };
    tokio::spawn(driver.run(server_tx, server_rx, session));
    Client {
        to_server,
        from_server,
        feed,
        gone,
    }
}

impl Client {
    async fn say(&mut self, message: Message) {
        self.to_server
            .send(Ok(message))
            .await
            .expect("the driver reads");
    }

    /// The next message: JSON text as `Ok`, a close as `Err(code)`.
    async fn next(&mut self) -> Result<Value, Option<u16>> {
        let message = tokio::time::timeout(WAIT, self.from_server.next())
            .await
            .expect("a message in time");
        match message {
            Some(Message::Text(text)) => Ok(serde_json::from_str(text.as_str()).expect("JSON")),
            Some(Message::Close(frame)) => Err(frame.map(|f| f.code)),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Waits until the session is dropped.
    async fn cleaned_up(&mut self) {
        let gone = tokio::time::timeout(WAIT, &mut self.gone).await;
        assert!(gone.is_ok(), "the session was dropped in time");
    }
}

fn slow_heartbeat() -> Driver {
    Driver::new(Duration::from_secs(3600))
}

#[tokio::test]
async fn a_socket_gets_its_first_messages_then_heartbeats_while_idle() {
    let mut client = spawn(Driver::new(Duration::from_millis(20)), 16);

    let hello = client.next().await;
    let beats = [client.next().await, client.next().await];

    assert_eq!(hello.unwrap()["type"], "hello");
    for beat in beats {
        let beat = beat.unwrap();
        assert_eq!(beat["type"], "heartbeat");
        chrono::DateTime::parse_from_rfc3339(beat["at"].as_str().unwrap()).unwrap();
    }
}

#[tokio::test]
async fn messages_that_are_not_json_with_a_known_type_get_error_frames_and_the_socket_stays_open() {
    let mut client = spawn(slow_heartbeat(), 16);
    client.next().await.unwrap();

    for bad in ["{not json", r#"{"text":"x"}"#, r#"{"type":"shout"}"#, "[1]"] {
        client.say(Message::Text(bad.into())).await;
    }
    client.say(Message::Binary(vec![1, 2].into())).await;
    client
        .say(Message::Text(r#"{"type":"say","text":"hi"}"#.into()))
        .await;

    for _ in 0..5 {
        let error = client.next().await.unwrap();
        assert_eq!(error["type"], "error", "{error}");
        assert_eq!(error["code"], "VALIDATION_ERROR");
        assert!(error["message"].is_string());
        assert_eq!(error.as_object().unwrap().len(), 3, "one shape: {error}");
    }
    assert_eq!(
        client.next().await.unwrap(),
        json!({ "type": "said", "text": "hi" })
    );
}

#[tokio::test]
async fn pushes_reach_the_client_and_a_reply_may_close_after_its_messages() {
    let mut client = spawn(slow_heartbeat(), 16);
    client.next().await.unwrap();

    client.feed.send(json!({ "type": "news" })).await.unwrap();
    let news = client.next().await;
    client.say(Message::Text(r#"{"type":"bye"}"#.into())).await;

    assert_eq!(news.unwrap()["type"], "news");
    assert_eq!(client.next().await.unwrap()["type"], "bye");
    assert_eq!(client.next().await, Err(Some(code::NORMAL)));
    client.cleaned_up().await;
}

#[tokio::test]
async fn a_revoked_token_closes_the_socket_with_4401() {
    let (revoke, revoked) = oneshot::channel::<()>();
    let driver = slow_heartbeat().closes_when(async move {
        let _ = revoked.await;
    });
    let mut client = spawn(driver, 16);
    client.next().await.unwrap();

    revoke.send(()).unwrap();

    assert_eq!(client.next().await, Err(Some(code::UNAUTHORIZED)));
    client.cleaned_up().await;
}

#[tokio::test]
async fn shutdown_closes_with_1001_and_a_hub_drop_with_1008() {
    let shutdown = CancellationToken::new();
    let dropped = CancellationToken::new();
    let mut stopping = spawn(slow_heartbeat().shutdown_on(shutdown.clone()), 16);
    let mut laggard = spawn(slow_heartbeat().dropped_by(dropped.clone()), 16);
    stopping.next().await.unwrap();
    laggard.next().await.unwrap();

    shutdown.cancel();
    dropped.cancel();

    assert_eq!(stopping.next().await, Err(Some(code::GOING_AWAY)));
    assert_eq!(laggard.next().await, Err(Some(code::TOO_SLOW)));
}

#[tokio::test]
async fn a_client_that_does_not_read_is_dropped_counted_and_cleaned_up() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    // The test runs on one thread, the driver's task too: the recorder sees its counter.
    let _local = metrics::set_default_local_recorder(&recorder);
    let driver = slow_heartbeat().send_timeout(Duration::from_millis(50));
    // Room for the first message only, and the client never reads.
    let mut client = spawn(driver, 0);

    client.feed.send(json!({ "type": "news" })).await.unwrap();
    client.cleaned_up().await;

    assert!(
        handle
            .render()
            .contains("test_ws_dropped_total{kind=\"ws\"} 1"),
        "{}",
        handle.render()
    );
}

#[tokio::test]
async fn a_client_that_goes_away_is_cleaned_up_at_once_without_a_close_frame() {
    let mut client = spawn(slow_heartbeat(), 16);
    client.next().await.unwrap();

    client.to_server.close_channel();

    client.cleaned_up().await;
    let end = tokio::time::timeout(WAIT, client.from_server.next()).await;
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[test]
fn internal_errors_are_opaque_in_error_frames() {
    let frame = api_error(&crate::ApiError::internal("disk on fire"));
    let missing = api_error(&crate::ApiError::NotFound("no such order".to_owned()));

    assert_eq!(
        frame,
        json!({ "type": "error", "code": "INTERNAL", "message": "internal error" })
    );
    assert_eq!(missing["code"], "NOT_FOUND");
}
