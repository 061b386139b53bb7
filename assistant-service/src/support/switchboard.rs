//! Carries support messages between the customer's chat socket and the agent's socket, on
//! whichever replicas they are: a message is delivered at once to this replica's sockets of
//! the session, and published on one Redis channel (`{prefix}assistant:support`) that every
//! replica follows and delivers to its own sockets (skipping what it published itself).
//! Redis pub/sub is fire-and-forget, which fits: the transcript in MongoDB is the record, the
//! sockets only show it live; an agent who missed a message sees it in the transcript.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::store::Redis;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Messages one session's sockets may fall behind by before the oldest are skipped.
const BUFFER: usize = 64;
/// How long a Redis step may take before the follower reconnects.
const STEP: Duration = Duration::from_secs(5);

/// Who a note is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The customer's chat socket (`/ws/chat/{id}`).
    Customer,
    /// The agent's socket (`/ws/support/{id}`).
    Agent,
}

/// A message for one party of a session: the JSON its socket sends as it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Note {
    /// Who it is for.
    pub to: Party,
    /// What their socket sends.
    pub payload: Value,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    origin: String,
    session: String,
    note: Note,
}

/// The switchboard of one replica. Cheap to clone.
#[derive(Clone)]
pub struct Switchboard {
    inner: Arc<Inner>,
}

struct Inner {
    origin: String,
    redis: Redis,
    channel: String,
    local: Mutex<HashMap<String, broadcast::Sender<Note>>>,
}

/// The notes of one session, for one socket; leaves the switchboard when dropped.
pub struct Listener {
    inner: Arc<Inner>,
    session: String,
    rx: broadcast::Receiver<Note>,
}

impl Switchboard {
    /// A switchboard following the other replicas through `redis` until `cancel` fires.
    pub fn start(redis: Redis, cancel: CancellationToken) -> Self {
        let inner = Arc::new(Inner {
            origin: uuid::Uuid::new_v4().to_string(),
            channel: redis.key("assistant:support"),
            redis,
            local: Mutex::new(HashMap::new()),
        });
        let follower = inner.clone();
        // Supervised: a panic while relaying restarts the follower instead of leaving this
        // replica deaf to the others until the process restarts.
        let stop = cancel.clone();
        shared::supervise::spawn("support-switchboard", stop, move || {
            let (follower, cancel) = (follower.clone(), cancel.clone());
            async move { follower.follow(cancel).await }
        });
        Self { inner }
    }

    /// Starts listening to the notes of `session`.
    pub fn listen(&self, session: &str) -> Listener {
        let mut local = self.inner.local.lock().unwrap_or_else(|p| p.into_inner());
        let rx = local
            .entry(session.to_owned())
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .subscribe();
        Listener {
            inner: self.inner.clone(),
            session: session.to_owned(),
            rx,
        }
    }

    /// Delivers `note` to the sockets of `session` here and on every other replica.
    pub async fn send(&self, session: &str, note: Note) {
        self.inner.deliver(session, note.clone());
        let wire = Wire {
            origin: self.inner.origin.clone(),
            session: session.to_owned(),
            note,
        };
        let Ok(text) = serde_json::to_string(&wire) else {
            return;
        };
        let published = async {
            let mut conn = self.inner.redis.connection().await.ok()?;
            redis::cmd("PUBLISH")
                .arg(&self.inner.channel)
                .arg(text)
                .query_async::<i64>(&mut conn)
                .await
                .ok()
        };
        if tokio::time::timeout(STEP, published)
            .await
            .ok()
            .flatten()
            .is_none()
        {
            metrics::counter!("assistant_support_relay_failed_total").increment(1);
            tracing::warn!(session, "support note not published to the other replicas");
        }
    }
}

impl Inner {
    fn deliver(&self, session: &str, note: Note) {
        let local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = local.get(session) {
            let _ = tx.send(note);
        }
    }

    async fn follow(&self, cancel: CancellationToken) {
        let mut backoff = shared::retry::RECONNECT.backoff();
        loop {
            let outcome = tokio::select! {
                () = cancel.cancelled() => return,
                outcome = self.follow_once() => outcome,
            };
            if outcome.is_ok() {
                backoff.reset();
            }
            let wait = backoff.next_delay();
            if let Err(e) = outcome {
                tracing::debug!(error = %e, ?wait, "support channel unavailable");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn follow_once(&self) -> Result<(), redis::RedisError> {
        let timeout = || redis::RedisError::from((redis::ErrorKind::Io, "timed out"));
        let mut pubsub = tokio::time::timeout(STEP, self.redis.client().get_async_pubsub())
            .await
            .map_err(|_| timeout())??;
        tokio::time::timeout(STEP, pubsub.subscribe(&self.channel))
            .await
            .map_err(|_| timeout())??;
        let (mut sink, mut messages) = pubsub.split();
        let mut ping = tokio::time::interval(Duration::from_secs(15));
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(message) => {
                        let Ok(text) = message.get_payload::<String>() else { continue };
                        match serde_json::from_str::<Wire>(&text) {
                            Ok(wire) if wire.origin != self.origin => self.deliver(&wire.session, wire.note),
                            Ok(_) => {}
                            Err(e) => tracing::debug!(error = %e, "unreadable support note"),
                        }
                    }
                    None => return Ok(()),
                },
                _ = ping.tick() => {
                    tokio::time::timeout(STEP, sink.ping::<redis::Value>())
                        .await
                        .map_err(|_| timeout())??;
                }
            }
        }
    }
}

impl Listener {
    /// The next payload for `party`, skipping the other party's notes. Cancel safe.
    pub async fn recv(&mut self, party: Party) -> Value {
        loop {
            match self.rx.recv().await {
                Ok(note) if note.to == party => return note.payload,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "a support socket fell behind");
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return std::future::pending().await;
                }
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut local = self.inner.local.lock().unwrap_or_else(|p| p.into_inner());
        // This listener's receiver still counts until the end of this function.
        if local
            .get(&self.session)
            .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            local.remove(&self.session);
        }
    }
}
