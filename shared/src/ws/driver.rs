//! The loop every socket runs: a [`Session`] says what to answer and what to push; the
//! [`Driver`] reads, writes, beats, watches revocation, shutdown and laggards, and closes.

use std::{future::Future, pin::Pin, time::Duration};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::{CLOSE_TIMEOUT, Close, Reply, SEND_TIMEOUT, error, heartbeat};
use crate::auth::{Claims, Verifier};

/// What one kind of socket does; the [`Driver`] does the rest.
pub trait Session: Send {
    /// A client message: a serde enum tagged by `type`.
    type Incoming: DeserializeOwned + Send;
    /// What the session's feed yields ([`Session::next`]).
    type Pushed: Send;
    /// What a client should have sent, quoted in the error frame for a message that does not
    /// parse.
    const EXPECTED: &'static str;
    /// The counter of clients dropped for reading too slowly (labelled `kind="ws"`).
    const DROPPED_COUNTER: &'static str;

    /// What is sent at once when the socket opens.
    fn start(&mut self) -> impl Future<Output = Reply> + Send {
        async { Reply::none() }
    }

    /// The answer to one client message.
    fn handle(&mut self, message: Self::Incoming) -> impl Future<Output = Reply> + Send;

    /// Waits for the next thing to push. Must be cancel safe (a channel's `recv`, a watch's
    /// `changed`): it is dropped whenever something else happens first.
    fn next(&mut self) -> impl Future<Output = Self::Pushed> + Send;

    /// What to send for a pushed thing.
    fn push(&mut self, pushed: Self::Pushed) -> impl Future<Output = Reply> + Send;
}

type Revoked = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs a [`Session`] over a socket with the behaviour of the [module](super) doc.
pub struct Driver {
    heartbeat: Duration,
    send_timeout: Duration,
    shutdown: CancellationToken,
    dropped: CancellationToken,
    revoked: Revoked,
}

/// How a write or a reply went.
enum Flow {
    Open,
    Close(Close),
    Gone,
}

impl Driver {
    /// Heartbeats after `heartbeat` without a message; nothing else ends the socket but the
    /// client, the session and the settings below.
    pub fn new(heartbeat: Duration) -> Self {
        Self {
            heartbeat,
            send_timeout: SEND_TIMEOUT,
            shutdown: CancellationToken::new(),
            dropped: CancellationToken::new(),
            revoked: Box::pin(std::future::pending()),
        }
    }

    /// Closes with 1001 when `shutdown` fires.
    pub fn shutdown_on(mut self, shutdown: CancellationToken) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Closes with 1008 when `dropped` fires (a hub dropped the client: its buffer was full),
    /// even in the middle of a write.
    pub fn dropped_by(mut self, dropped: CancellationToken) -> Self {
        self.dropped = dropped;
        self
    }

    /// Drops a client whose write waits longer than `timeout` ([`SEND_TIMEOUT`] by default).
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// Closes with 4401 once `revoked` resolves.
    pub fn closes_when(mut self, revoked: impl Future<Output = ()> + Send + 'static) -> Self {
        self.revoked = Box::pin(revoked);
        self
    }

    /// Closes with 4401 once the token of `claims` is revoked, checked every `every`.
    pub fn revocable(self, verifier: Verifier, claims: Claims, every: Duration) -> Self {
        self.closes_when(async move { verifier.until_revoked(&claims, every).await })
    }

    /// Runs `session` over an axum socket.
    pub async fn serve<S: Session>(self, socket: WebSocket, session: S) {
        let (tx, rx) = socket.split();
        self.run(tx, rx, session).await;
    }

    /// Runs `session` over `tx` and `rx` until either side ends it.
    pub async fn run<S, Tx, Rx, E>(self, mut tx: Tx, mut rx: Rx, mut session: S)
    where
        S: Session,
        Tx: Sink<Message> + Unpin + Send,
        Rx: Stream<Item = Result<Message, E>> + Unpin + Send,
    {
        let Self {
            heartbeat: every,
            send_timeout,
            shutdown,
            dropped,
            mut revoked,
        } = self;
        let mut out = Out {
            tx: &mut tx,
            send_timeout,
            dropped: &dropped,
            counter: S::DROPPED_COUNTER,
        };
        let mut beat = tokio::time::interval(every);
        beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        beat.reset();
        let first = session.start().await;
        let mut flow = out.deliver(first).await;
        while let Flow::Open = flow {
            let reply = tokio::select! {
                () = shutdown.cancelled() => Reply::close(Close::going_away()),
                () = &mut revoked => Reply::close(Close::unauthorized("token revoked")),
                () = dropped.cancelled() => {
                    tracing::warn!("websocket client dropped: too slow");
                    Reply::close(Close::too_slow())
                }
                incoming = rx.next() => match incoming {
                    Some(Ok(Message::Text(text))) => match parse::<S::Incoming>(&text, S::EXPECTED) {
                        Ok(message) => session.handle(message).await,
                        Err(frame) => Reply::json([&frame]),
                    },
                    Some(Ok(Message::Binary(_))) => {
                        Reply::json([&error("VALIDATION_ERROR", "messages must be JSON text")])
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Reply::none(),
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                },
                pushed = session.next() => session.push(pushed).await,
                _ = beat.tick() => Reply::json([&heartbeat()]),
            };
            let sent = !reply.messages.is_empty();
            flow = out.deliver(reply).await;
            if sent {
                beat.reset();
            }
        }
        // Whatever the session holds (a hub subscription) goes now, not after the close.
        drop(session);
        if let Flow::Close(close) = flow {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, tx.send(close.message())).await;
        }
    }
}

/// A client message: JSON with a string `type`, then the session's own type.
fn parse<T: DeserializeOwned>(text: &str, expected: &str) -> Result<T, Value> {
    let refuse = |why: &dyn std::fmt::Display| {
        error("VALIDATION_ERROR", &format!("expected {expected}: {why}"))
    };
    let value: Value = serde_json::from_str(text).map_err(|e| refuse(&e))?;
    if !value.get("type").is_some_and(Value::is_string) {
        return Err(refuse(&"a message is a JSON object with a \"type\""));
    }
    serde_json::from_value(value).map_err(|e| refuse(&e))
}

/// The writing half and what ends a write.
struct Out<'a, Tx> {
    tx: &'a mut Tx,
    send_timeout: Duration,
    dropped: &'a CancellationToken,
    counter: &'static str,
}

impl<Tx: Sink<Message> + Unpin> Out<'_, Tx> {
    /// Sends the reply's messages, then says whether to go on.
    async fn deliver(&mut self, reply: Reply) -> Flow {
        for text in reply.messages {
            match self.send(text).await {
                Flow::Open => {}
                other => return other,
            }
        }
        reply.close.map_or(Flow::Open, Flow::Close)
    }

    async fn send(&mut self, text: Utf8Bytes) -> Flow {
        let mut send = self.tx.send(Message::Text(text));
        // Usually the socket takes the frame at once: no timer for that (a fan-out to
        // thousands of clients would arm and drop one per client).
        if let Some(sent) = (&mut send).now_or_never() {
            return if sent.is_ok() { Flow::Open } else { Flow::Gone };
        }
        tokio::select! {
            sent = send => if sent.is_ok() { Flow::Open } else { Flow::Gone },
            // The hub dropped it and counted it already.
            () = self.dropped.cancelled() => Flow::Close(Close::too_slow()),
            () = tokio::time::sleep(self.send_timeout) => {
                tracing::warn!(timeout = ?self.send_timeout, "websocket client dropped: a write waited too long");
                metrics::counter!(self.counter, "kind" => "ws").increment(1);
                Flow::Close(Close::too_slow())
            }
        }
    }
}
