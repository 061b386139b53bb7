//! The read cache in Redis: whole response bodies of `GET /products` and `GET /products/{id}`,
//! invalidated by generation counters so that a write is never followed by a stale read.
//!
//! Every entry's key carries the generations it was read under. A reader reads them first, then
//! looks up its entry, and on a miss loads from MongoDB and stores the entry under the
//! generations it read at the start. Every write `INCR`s the counters of what it changed after
//! its MongoDB write and before it returns. So once a write has returned, every reader starts
//! from the new generation and cannot find an entry made before it, including the entry of a
//! reader that loaded the old data just before the write and stored it just after: that entry
//! sits under the old generation, where nobody looks any more, until its TTL ends.
//!
//! Three counters, so that a stock move does not empty the whole cache (at 40 orders a second
//! it did, forty times a second, and nearly every read went to MongoDB):
//! - **everything** (`products:generation`): a handler's write ([`Cache::invalidate`]) and
//!   anything else that may change many products. Every key carries it.
//! - **lists** (`products:generation:lists`): lists show stock, so every stock move bumps it
//!   ([`Cache::invalidate_stock`]); a list's key carries it
//!   (`products:v<everything>.<lists>:<what>`).
//! - **one product** (`products:generation:p:<id>`): bumped by a move of that product's stock;
//!   a product's key carries it (`products:v<everything>.p<product>:<what>`). A product sold in
//!   variants shows their stock, which moves under their own counters: its entry also records
//!   the lists generation it was read under and is a miss once that has moved on
//!   ([`Cache::read_product`]).
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
/// The generation counter of everything (under the service's prefix).
const GENERATION: &str = "products:generation";
/// The generation counter of lists.
const LISTS: &str = "products:generation:lists";

/// The generation counter of the product `id` (hex, in any case: an ObjectId's hex may come
/// in capitals, and names the same product).
fn product_counter(id: &str) -> String {
    format!("products:generation:p:{}", id.to_ascii_lowercase())
}
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

    /// The cached body for `what`, a list (any read that may show any product's stock), or
    /// `load()`'s, stored for the next reader. Errors of `load` are returned and not cached.
    pub async fn read_through<F, Fut>(&self, what: &str, load: F) -> Result<String, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, ApiError>>,
    {
        let Some([everything, lists]) = self.generations([GENERATION, LISTS]).await else {
            metrics::counter!("product_cache_total", "outcome" => "bypass").increment(1);
            return load().await;
        };
        let key = format!("products:v{everything}.{lists}:{what}");
        if let Some(hit) = self.get(&key).await {
            metrics::counter!("product_cache_total", "outcome" => "hit").increment(1);
            return Ok(hit);
        }
        metrics::counter!("product_cache_total", "outcome" => "miss").increment(1);
        let body = load().await?;
        self.set(&key, &body).await;
        Ok(body)
    }

    /// The cached body for `what`, product `id` (hex) as read alone, or `load()`'s: its body
    /// and whether it is sold in variants (so it shows their stock). Errors of `load` are
    /// returned and not cached.
    pub async fn read_product<F, Fut>(
        &self,
        id: &str,
        what: &str,
        load: F,
    ) -> Result<String, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, bool), ApiError>>,
    {
        let own = product_counter(id);
        let Some([everything, lists, product]) =
            self.generations([GENERATION, LISTS, own.as_str()]).await
        else {
            metrics::counter!("product_cache_total", "outcome" => "bypass").increment(1);
            return load().await.map(|(body, _)| body);
        };
        let key = format!("products:v{everything}.p{product}:{what}");
        // The entry: `-` (alone) or `L<lists generation>` (sold in variants), a line break,
        // the body (compact JSON: no line break of its own).
        let entry = self.get(&key).await;
        let hit = entry
            .as_deref()
            .and_then(|e| e.split_once('\n'))
            .and_then(|(tag, body)| {
                let current = tag == "-"
                    || tag.strip_prefix('L').and_then(|g| g.parse::<i64>().ok()) == Some(lists);
                current.then(|| body.to_owned())
            });
        if let Some(hit) = hit {
            metrics::counter!("product_cache_total", "outcome" => "hit").increment(1);
            return Ok(hit);
        }
        metrics::counter!("product_cache_total", "outcome" => "miss").increment(1);
        let (body, in_variants) = load().await?;
        let tag = if in_variants {
            format!("L{lists}")
        } else {
            "-".to_owned()
        };
        self.set(&key, &format!("{tag}\n{body}")).await;
        Ok(body)
    }

    async fn get(&self, key: &str) -> Option<String> {
        let cached: Option<Option<String>> = self.call(redis::cmd("GET").arg(self.key(key))).await;
        cached.flatten()
    }

    async fn set(&self, key: &str, value: &str) {
        let secs = self.ttl.as_secs().max(1);
        let _: Option<()> = self
            .call(
                redis::cmd("SET")
                    .arg(self.key(key))
                    .arg(value)
                    .arg("EX")
                    .arg(secs),
            )
            .await;
    }

    /// Makes every entry stored so far unreachable. Call after each MongoDB write that changes
    /// what a read shows, before answering.
    pub async fn invalidate(&self) {
        if self.redis.is_none() {
            return;
        }
        if self.bump(&[GENERATION.to_owned()]).await {
            self.set_bypass(None);
            return;
        }
        self.bypass_and_retry();
    }

    /// Makes the entries that show the stock of `products` (ids in hex) unreachable: theirs,
    /// the products sold in them as variants, and every list. Call after a MongoDB write that
    /// moved their stock (and nothing else), before answering or acknowledging.
    pub async fn invalidate_stock(&self, products: impl IntoIterator<Item = impl AsRef<str>>) {
        if self.redis.is_none() {
            return;
        }
        let counters: Vec<String> = std::iter::once(LISTS.to_owned())
            .chain(products.into_iter().map(|id| product_counter(id.as_ref())))
            .collect();
        // A success does not end a bypass: that waits for the counter of everything.
        if !self.bump(&counters).await {
            self.bypass_and_retry();
        }
    }

    /// Stops using the cache here until the counter of everything is bumped (retried in the
    /// background) or twice the TTL has passed.
    fn bypass_and_retry(&self) {
        tracing::warn!("cannot invalidate the product cache; bypassing it until that works");
        self.set_bypass(Some(Instant::now() + self.ttl * 2));
        if self.retrying.swap(true, Ordering::SeqCst) {
            return;
        }
        let cache = self.clone();
        tokio::spawn(async move {
            let this = &cache;
            let everything = &[GENERATION.to_owned()];
            let bump = || async move {
                if this.bump(everything).await {
                    Ok(())
                } else {
                    Err(())
                }
            };
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

    /// `INCR`s the `counters` in one transaction (and renews their expiry); whether Redis
    /// took it.
    async fn bump(&self, counters: &[String]) -> bool {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for counter in counters {
            let key = self.key(counter);
            pipe.cmd("INCR")
                .arg(&key)
                .ignore()
                .cmd("EXPIRE")
                .arg(&key)
                .arg(GENERATION_TTL_SECS)
                .ignore();
        }
        let Some(redis) = &self.redis else {
            return false;
        };
        let Ok(mut conn) = redis.connection().await else {
            return false;
        };
        let result = tokio::time::timeout(CALL_TIMEOUT, pipe.query_async::<()>(&mut conn));
        matches!(result.await, Ok(Ok(())))
    }

    /// The current generations of `counters`, in one round trip; `None` when the cache is not
    /// to be used now.
    async fn generations<const N: usize>(&self, counters: [&str; N]) -> Option<[i64; N]> {
        if self.bypassing() {
            return None;
        }
        let mut get = redis::cmd("MGET");
        for counter in counters {
            get.arg(self.key(counter));
        }
        let current: Vec<Option<i64>> = self.call(&get).await?;
        let current: Vec<i64> = current.into_iter().map(|g| g.unwrap_or(0)).collect();
        current.try_into().ok()
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

/// The shape of the cached bodies: bumped whenever the product JSON or the entry's form
/// changes, so that a replica never serves a body cached by an older version (2: `categoryId`,
/// `brand`, `stockStatus`; 3: a product's entry starts with its tag line).
const SHAPE: u32 = 3;

/// What a cached product is stored as: `product:s<shape>:<id hex>`.
pub fn product_entry(id: &bson::oid::ObjectId) -> String {
    format!("product:s{SHAPE}:{}", id.to_hex())
}

/// What a cached list is stored as: `list:s<shape>:<canonical query>`.
pub fn list_entry(canonical: &str) -> String {
    format!("list:s{SHAPE}:{canonical}")
}
