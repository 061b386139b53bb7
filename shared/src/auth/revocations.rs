//! Revoked access tokens, known in memory. customer-service marks a token revoked in Redis
//! (`auth:revoked:<jti>`, until the token would have expired) and announces it on the
//! `auth:revocations` channel; every verifier keeps the revoked ids in a local set, fed by that
//! channel and refilled from the keys (SCAN) each time it (re)subscribes.
//!
//! A whole session (refresh family) is revoked the same way, under the id `sid:<sid>`
//! (`auth:revoked:sid:<sid>`, until the last access token the session can hold expires): a
//! token is refused when its `jti` or its session is listed, so a check is still one local
//! lookup, or one `EXISTS` over both keys while the list is incomplete.
//!
//! The set is only trusted while it is complete: subscribed, and every key read since. Until
//! then (at start, after the connection drops, while Redis is down) each check asks Redis, as
//! it always did, and answers 503 when Redis cannot say. A silent connection loss (no reset)
//! is noticed by a ping every [`PING_EVERY`]; that, plus the channel's delivery time, is how
//! late another process can learn of a revocation. The process that revokes (customer-service
//! at logout, the gateway when it forwards a logout) notes it locally first, so reuse through
//! it is refused at once.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::{error::ApiError, store::Redis};

/// The channel revocations are announced on (under the Redis prefix); a message is
/// `<jti> <exp>`, `exp` in seconds since the epoch.
pub const CHANNEL: &str = "auth:revocations";

/// How often the subscription is checked with a ping.
pub const PING_EVERY: Duration = Duration::from_secs(1);

/// How long one Redis step of the subscriber may take before the connection is dropped.
const STEP_TIMEOUT: Duration = Duration::from_secs(2);

/// How many revoked ids are kept before the expired ones are dropped.
const PRUNE_ABOVE: usize = 4096;

/// The Redis key that marks an access token as revoked (under the service's prefix).
pub fn revoked_key(jti: &str) -> String {
    format!("auth:revoked:{jti}")
}

/// The revocation id of session `sid`: kept apart from token ids by its prefix.
pub(super) fn session_id(sid: &str) -> String {
    format!("sid:{sid}")
}

fn cache_down<E>(_: E) -> ApiError {
    ApiError::UpstreamUnavailable("cache".to_owned())
}

fn revoked() -> ApiError {
    ApiError::Unauthorized("token revoked".to_owned())
}

/// The revocation list of one process. Cheap to clone.
#[derive(Clone)]
pub(super) struct Revocations {
    redis: Redis,
    known: Arc<Known>,
}

#[derive(Default)]
struct Known {
    /// Revoked token ids and when each token expires (seconds since the epoch).
    revoked: RwLock<HashMap<String, i64>>,
    /// Subscribed, and every key read since: `revoked` misses nothing.
    complete: AtomicBool,
}

impl Known {
    fn contains(&self, jti: &str) -> bool {
        self.revoked.read().is_ok_and(|set| set.contains_key(jti))
    }

    fn insert(&self, jti: &str, exp: i64) {
        let Ok(mut set) = self.revoked.write() else {
            return;
        };
        if set.len() >= PRUNE_ABOVE {
            let now = chrono::Utc::now().timestamp();
            set.retain(|_, exp| *exp >= now);
        }
        // Announced and noted twice (the revoker's own note, then the channel): keep the
        // longer life, so a session is not forgotten before its last token expires.
        let kept = set.entry(jti.to_owned()).or_insert(exp);
        *kept = (*kept).max(exp);
    }
}

impl Revocations {
    pub(super) fn new(redis: Redis) -> Self {
        Self {
            redis,
            known: Arc::default(),
        }
    }

    /// Whether the local set is complete (subscribed and resynchronised).
    pub(super) fn is_complete(&self) -> bool {
        self.known.complete.load(Ordering::Acquire)
    }

    /// 401 when token `jti` or its session `sid` (empty: none) is revoked; asks Redis, in
    /// one command, only while the local set is incomplete.
    pub(super) async fn check(&self, jti: &str, sid: &str) -> Result<(), ApiError> {
        let session = (!sid.is_empty()).then(|| session_id(sid));
        if self.known.contains(jti) || session.as_deref().is_some_and(|s| self.known.contains(s)) {
            return Err(revoked());
        }
        if self.is_complete() {
            return Ok(());
        }
        let mut exists = redis::cmd("EXISTS");
        exists.arg(self.redis.key(&revoked_key(jti)));
        if let Some(session) = &session {
            exists.arg(self.redis.key(&revoked_key(session)));
        }
        let mut conn = self.redis.connection().await?;
        let found: u32 = exists.query_async(&mut conn).await.map_err(cache_down)?;
        if found > 0 { Err(revoked()) } else { Ok(()) }
    }

    /// Remembers `jti` as revoked here only (its owner has told Redis).
    pub(super) fn note(&self, jti: &str, exp: i64) {
        self.known.insert(jti, exp);
    }

    /// Revokes `jti` until `exp`: here at once, in Redis for everyone, announced on the channel.
    pub(super) async fn revoke(&self, jti: &str, exp: i64) -> Result<(), ApiError> {
        self.note(jti, exp);
        let remaining = (exp - chrono::Utc::now().timestamp()).max(1);
        let mut conn = self.redis.connection().await?;
        redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(self.redis.key(&revoked_key(jti)))
            .arg(1)
            .arg("EX")
            .arg(remaining)
            .ignore()
            .cmd("PUBLISH")
            .arg(self.redis.key(CHANNEL))
            .arg(format!("{jti} {exp}"))
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(cache_down)
    }

    /// Keeps the local set fed from the channel until `cancel`, resubscribing (and rereading
    /// the keys) whenever the connection is lost. Runs under a supervisor: a watcher that died would leave the local set complete but
    /// no longer fed, and revoked tokens would pass.
    pub(super) fn watch(&self, cancel: CancellationToken) {
        let this = self.clone();
        let stop = cancel.clone();
        crate::supervise::spawn("revocation-watch", cancel, move || {
            let (this, cancel) = (this.clone(), stop.clone());
            async move {
                // Until the channel is followed again, ask Redis for every token.
                this.known.complete.store(false, Ordering::Release);
                this.follow_until_cancelled(cancel).await;
            }
        });
    }

    async fn follow_until_cancelled(&self, cancel: CancellationToken) {
        let mut backoff = crate::retry::RECONNECT.backoff();
        loop {
            let outcome = tokio::select! {
                () = cancel.cancelled() => return,
                outcome = self.subscribe_and_follow() => outcome,
            };
            self.known.complete.store(false, Ordering::Release);
            if outcome.is_ok() {
                backoff.reset();
            }
            let wait = backoff.next_delay();
            if let Err(e) = outcome {
                tracing::debug!(error = %e, ?wait, "revocation channel unavailable");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Subscribes, reads every revocation key, then follows the channel until the connection
    /// fails (returns `Ok` when it ended after having been complete).
    async fn subscribe_and_follow(&self) -> Result<(), redis::RedisError> {
        let client = self.redis.client();
        let mut pubsub = within(client.get_async_pubsub()).await?;
        within(pubsub.subscribe(self.redis.key(CHANNEL))).await?;
        let (mut sink, mut messages) = pubsub.split();
        // Subscribed first, then the keys: a revocation is either announced after the
        // subscription (and arrives below) or stored before the scan (and is read by it).
        self.resync().await?;
        self.known.complete.store(true, Ordering::Release);
        tracing::debug!("revocation list complete; following the channel");
        let mut ping = tokio::time::interval(PING_EVERY);
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(message) => {
                        if let Ok(text) = message.get_payload::<String>() {
                            self.note_announced(&text);
                        }
                    }
                    None => return Ok(()),
                },
                _ = ping.tick() => {
                    within(sink.ping::<redis::Value>()).await?;
                }
            }
        }
    }

    fn note_announced(&self, text: &str) {
        let (jti, exp) = text.split_once(' ').unwrap_or((text, ""));
        // An expiry that cannot be read keeps the id for a day: too long is only memory.
        let exp = exp
            .parse()
            .unwrap_or_else(|_| chrono::Utc::now().timestamp() + 86_400);
        self.note(jti, exp);
    }

    /// Reads every `auth:revoked:*` key and its time to live into the local set.
    async fn resync(&self) -> Result<(), redis::RedisError> {
        let mut conn = self.redis.connection().await.map_err(|_| {
            redis::RedisError::from((redis::ErrorKind::Io, "redis not connected yet"))
        })?;
        let prefix = self.redis.key(&revoked_key(""));
        let pattern = format!("{}*", glob_escape(&prefix));
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = within(
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn),
            )
            .await?;
            if !keys.is_empty() {
                let mut ttls = redis::pipe();
                for key in &keys {
                    ttls.cmd("TTL").arg(key);
                }
                let ttls: Vec<i64> = within(ttls.query_async(&mut conn)).await?;
                let now = chrono::Utc::now().timestamp();
                for (key, ttl) in keys.iter().zip(ttls) {
                    let Some(jti) = key.strip_prefix(&prefix) else {
                        continue;
                    };
                    match ttl {
                        -2 => {}                        // gone meanwhile
                        -1 => self.note(jti, i64::MAX), // no expiry: kept for good
                        ttl => self.note(jti, now + ttl + 1),
                    }
                }
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

/// `future`, or an I/O error after [`STEP_TIMEOUT`].
async fn within<T>(
    future: impl Future<Output = Result<T, redis::RedisError>>,
) -> Result<T, redis::RedisError> {
    tokio::time::timeout(STEP_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| Err((redis::ErrorKind::Io, "redis did not answer in time").into()))
}

/// `text` with the glob characters of `SCAN MATCH` escaped.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_in_the_prefix_are_escaped() {
        assert_eq!(glob_escape("test:[a]*?:"), r"test:\[a\]\*\?:");
    }

    #[test]
    fn expired_ids_are_dropped_once_the_set_is_large() {
        let known = Known::default();
        let now = chrono::Utc::now().timestamp();
        for i in 0..PRUNE_ABOVE {
            known.insert(&format!("old-{i}"), now - 10);
        }
        known.insert("fresh", now + 60);
        known.insert("fresher", now + 60);
        assert!(known.contains("fresh") && known.contains("fresher"));
        assert!(!known.contains("old-0"));
    }
}
