//! The read cache in Redis: whole response bodies of `GET /products` and `GET /products/{id}`,
//! invalidated by a generation counter so that a write is never followed by a stale read.
//!
//! Every entry's key carries the generation it was read under:
//! `<prefix>products:v<generation>:<what>`. A reader reads the generation first, then looks up
//! its entry, and on a miss loads from MongoDB and stores the entry under the generation it read
//! at the start. Every write (by a handler or by the stock consumer) `INCR`s the generation after
//! its MongoDB write and before it returns. So once a write has returned, every reader starts
//! from the new generation and cannot find an entry made before it, including the entry of a
//! reader that loaded the old data just before the write and stored it just after: that entry
//! sits under the old generation, where nobody looks any more, until its TTL ends.
//!
//! Redis is an optimisation, never a dependency: when it is down or slow (each call is bounded
//! by [`CALL_TIMEOUT`]) reads go straight to MongoDB. When an `INCR` fails, this replica stops
//! using the cache until an `INCR` succeeds (retried in the background) or twice the TTL has
//! passed, so it cannot serve what the failed `INCR` should have invalidated. (Another replica
//! that still reaches Redis could, for at most the TTL: the one case the counter cannot cover.)

use std::{
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use shared::{ApiError, store::Redis};
use tokio_util::sync::CancellationToken;

/// The default life of an entry.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);
/// The longest a cache call may take before the cache is bypassed for that request.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(500);
/// The generation counter (under the service's prefix).
const GENERATION: &str = "products:generation";
/// How long the counter lives without writes; far beyond any entry's TTL, so its loss can
/// bring back no entry.
const GENERATION_TTL_SECS: u64 = 7 * 24 * 3600;

/// A handle on the cache; cheap to clone.
#[derive(Clone)]
pub struct Cache {
    redis: Option<Redis>,
    ttl: Duration,
    bypass_until: Arc<Mutex<Option<Instant>>>,
    retrying: Arc<AtomicBool>,
}

impl Cache {
    /// A cache over `redis` (none: every read goes to MongoDB) with entries living `ttl`.
    pub fn new(redis: Option<Redis>, ttl: Duration) -> Self {
        Self {
            redis,
            ttl,
            bypass_until: Arc::new(Mutex::new(None)),
            retrying: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The cached body for `what`, or `load()`'s, stored for the next reader. Errors of
    /// `load` are returned and not cached.
    pub async fn read_through<F, Fut>(&self, what: &str, load: F) -> Result<String, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, ApiError>>,
    {
        let Some(generation) = self.generation().await else {
            metrics::counter!("product_cache_total", "outcome" => "bypass").increment(1);
            return load().await;
        };
        let key = format!("products:v{generation}:{what}");
        let cached: Option<Option<String>> = self.call(redis::cmd("GET").arg(self.key(&key))).await;
        if let Some(hit) = cached.flatten() {
            metrics::counter!("product_cache_total", "outcome" => "hit").increment(1);
            return Ok(hit);
        }
        metrics::counter!("product_cache_total", "outcome" => "miss").increment(1);
        let body = load().await?;
        let secs = self.ttl.as_secs().max(1);
        let _: Option<()> = self
            .call(
                redis::cmd("SET")
                    .arg(self.key(&key))
                    .arg(&body)
                    .arg("EX")
                    .arg(secs),
            )
            .await;
        Ok(body)
    }

    /// Makes every entry stored so far unreachable. Call after each MongoDB write that changes
    /// what a read shows, before answering.
    pub async fn invalidate(&self) {
        if self.redis.is_none() {
            return;
        }
        if self.bump().await {
            self.set_bypass(None);
            return;
        }
        tracing::warn!("cannot invalidate the product cache; bypassing it until that works");
        self.set_bypass(Some(Instant::now() + self.ttl * 2));
        if self.retrying.swap(true, Ordering::SeqCst) {
            return;
        }
        let cache = self.clone();
        tokio::spawn(async move {
            let this = &cache;
            let bump = || async move { if this.bump().await { Ok(()) } else { Err(()) } };
            // Until the bypass ends: after that the cache is used again anyway, so this task
            // needs no cancellation of its own.
            let unstopped = CancellationToken::new();
            let retrying = shared::retry::RECONNECT.until_ok(&unstopped, bump, |_, _| {});
            if let Ok(Some(())) = tokio::time::timeout(cache.ttl * 2, retrying).await {
                cache.set_bypass(None);
            }
            cache.retrying.store(false, Ordering::SeqCst);
        });
    }

    /// `INCR`s the generation (and renews its expiry); whether Redis took it.
    async fn bump(&self) -> bool {
        let key = self.key(GENERATION);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(GENERATION_TTL_SECS)
            .ignore();
        let Some(redis) = &self.redis else {
            return false;
        };
        let Ok(mut conn) = redis.connection().await else {
            return false;
        };
        let result = tokio::time::timeout(CALL_TIMEOUT, pipe.query_async::<(i64,)>(&mut conn));
        matches!(result.await, Ok(Ok(_)))
    }

    /// The current generation; `None` when the cache is not to be used now.
    async fn generation(&self) -> Option<i64> {
        if self.bypassing() {
            return None;
        }
        let current: Option<Option<i64>> =
            self.call(redis::cmd("GET").arg(self.key(GENERATION))).await;
        current.map(|g| g.unwrap_or(0))
    }

    /// Runs one command within [`CALL_TIMEOUT`]; `None` when Redis is absent, down or slow.
    async fn call<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        let redis = self.redis.as_ref()?;
        let mut conn = redis.connection().await.ok()?;
        match tokio::time::timeout(CALL_TIMEOUT, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "cache call failed");
                None
            }
            Err(_) => {
                tracing::debug!("cache call timed out");
                None
            }
        }
    }

    fn key(&self, key: &str) -> String {
        self.redis
            .as_ref()
            .map_or_else(|| key.to_owned(), |r| r.key(key))
    }

    fn bypassing(&self) -> bool {
        let mut until = self
            .bypass_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                *until = None;
                false
            }
            None => false,
        }
    }

    fn set_bypass(&self, until: Option<Instant>) {
        *self
            .bypass_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = until;
    }
}

/// The shape of the cached bodies: bumped whenever the product JSON changes, so that a
/// replica never serves a body cached by an older version (2: `categoryId`, `brand`,
/// `stockStatus`).
const SHAPE: u32 = 2;

/// What a cached product is stored as: `product:s<shape>:<id hex>`.
pub fn product_entry(id: &bson::oid::ObjectId) -> String {
    format!("product:s{SHAPE}:{}", id.to_hex())
}

/// What a cached list is stored as: `list:s<shape>:<canonical query>`.
pub fn list_entry(canonical: &str) -> String {
    format!("list:s{SHAPE}:{canonical}")
}
