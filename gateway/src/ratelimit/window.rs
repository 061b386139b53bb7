//! Quotas shared by every gateway replica (`RATE_LIMIT_REDIS`): a fixed one-minute window per
//! caller and class in Redis, counted atomically by one Lua script (`INCR`, and `PEXPIRE` when
//! the window opens), keys under the gateway's `REDIS_PREFIX`.
//!
//! When Redis does not answer within [`ANSWER_WITHIN`], the caller is counted by this replica's
//! own limiter instead (logged once per outage, `gateway_rate_limit_fallback_total` and
//! `gateway_rate_limit_shared` 0 on `/metrics`), and Redis is left alone for [`PAUSE`]: a slow
//! or absent Redis neither refuses everything nor holds requests.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::{RouteClass, Verdict};

/// The window every quota is counted over.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The longest a count in Redis may take before the local limiter decides.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(250);
/// How long Redis is left alone after it failed to answer.
pub const PAUSE: Duration = Duration::from_secs(1);

/// Counts a request; returns the window's count and the milliseconds left in it.
const SCRIPT: &str = "local n = redis.call('INCR', KEYS[1]) \
    if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
    local ttl = redis.call('PTTL', KEYS[1]) \
    if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end \
    return {n, ttl}";

/// The Redis side of the quotas. Cheap to clone.
#[derive(Clone)]
pub struct SharedQuotas {
    redis: shared::store::Redis,
    state: Arc<Outage>,
}

struct Outage {
    /// Milliseconds since `epoch` until which Redis is not asked.
    paused_until: AtomicU64,
    /// Whether the last attempt failed (for logging once per outage).
    failing: AtomicBool,
    epoch: Instant,
}

impl SharedQuotas {
    /// Quotas counted in `redis` (under its prefix).
    pub fn new(redis: shared::store::Redis) -> Self {
        metrics::gauge!("gateway_rate_limit_shared").set(1.0);
        Self {
            redis,
            state: Arc::new(Outage {
                paused_until: AtomicU64::new(0),
                failing: AtomicBool::new(false),
                epoch: Instant::now(),
            }),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.state.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Counts one request of `class` from `key` against `limit`; `None` when Redis did not
    /// answer (the caller falls back to the local limiter).
    pub async fn check(&self, class: RouteClass, key: &str, limit: u32) -> Option<Verdict> {
        if self.state.paused_until.load(Ordering::Relaxed) > self.now_ms() {
            metrics::counter!("gateway_rate_limit_fallback_total").increment(1);
            return None;
        }
        let redis_key = self
            .redis
            .key(&format!("ratelimit:{}:{key}", class.as_str()));
        let counted = tokio::time::timeout(ANSWER_WITHIN, async {
            let mut conn = self.redis.connection().await.map_err(|e| e.to_string())?;
            redis::cmd("EVAL")
                .arg(SCRIPT)
                .arg(1)
                .arg(&redis_key)
                .arg(WINDOW.as_millis() as u64)
                .query_async::<(u64, i64)>(&mut conn)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        match counted {
            Ok(Ok((count, ttl_ms))) => {
                if self.state.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("rate limits shared through redis again");
                    metrics::gauge!("gateway_rate_limit_shared").set(1.0);
                }
                let allowed = count <= u64::from(limit);
                Some(Verdict {
                    limit,
                    remaining: u32::try_from(u64::from(limit).saturating_sub(count)).unwrap_or(0),
                    retry_after_secs: if allowed {
                        0
                    } else {
                        u64::try_from(ttl_ms).unwrap_or(0).div_ceil(1000).max(1)
                    },
                    allowed,
                })
            }
            Ok(Err(error)) => {
                self.failed(&error);
                None
            }
            Err(_) => {
                self.failed("no answer in time");
                None
            }
        }
    }

    fn failed(&self, error: &str) {
        self.state
            .paused_until
            .store(self.now_ms() + PAUSE.as_millis() as u64, Ordering::Relaxed);
        metrics::counter!("gateway_rate_limit_fallback_total").increment(1);
        if !self.state.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, "redis unavailable: rate limits counted per replica until it is back");
            metrics::gauge!("gateway_rate_limit_shared").set(0.0);
        }
    }
}
