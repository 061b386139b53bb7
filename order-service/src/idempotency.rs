//! `Idempotency-Key` for `POST /orders` (DESIGN.md, "Idempotent requests"): the key is
//! claimed atomically in Redis (`SET NX` with an expiry), scoped to the caller. The first
//! request's answer is kept under the key: a retry with the same body gets it again, with
//! the same status; the same key with another body is 422; a retry while the first request
//! is still running is 409, unless the order it was placing is already stored (its process may
//! have died before keeping the answer): then that order is the answer. An answer that the
//! client may want to retry (a 5xx) is not kept.
//!
//! Redis is the fast path; the order itself also carries `<customer>:<key>` under a unique
//! index, so even a retry after the Redis record expired (or was lost) creates nothing new.
//! Each Redis command is bounded by [`REDIS_STEP`]: while Redis is down the connection
//! manager would wait for it, and the `redis` drill saw `POST /orders` hang for the client's
//! whole 10 s; now a claim that cannot be made is a prompt 503, and an answer that cannot be
//! kept is still answered.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::{ApiError, store::Redis};

/// How long a claim lasts while its request is running.
const IN_FLIGHT_TTL: Duration = Duration::from_secs(60);

/// How long one Redis command may take before Redis counts as unavailable.
const REDIS_STEP: Duration = Duration::from_secs(2);

/// The header.
pub const HEADER: &str = "idempotency-key";

/// Checks a key: 1..=255 visible ASCII characters.
pub fn parse_key(raw: &str) -> Result<String, String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err("must be 1 to 255 visible ASCII characters".to_owned());
    }
    Ok(key.to_owned())
}

/// A fingerprint of a JSON body that ignores key order and whitespace.
pub fn fingerprint(body: &Value) -> String {
    fn canonical(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    canonical(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    canonical(body, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
enum Record {
    Pending {
        hash: String,
    },
    Done {
        hash: String,
        status: u16,
        body: Value,
    },
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// The key is ours: run the request, then [`Idempotency::complete`] or
    /// [`Idempotency::release`].
    Fresh(Ticket),
    /// The key was used before with the same body: answer this again.
    Replay {
        /// The first answer's status.
        status: u16,
        /// The first answer's body.
        body: Value,
    },
    /// The first request with this key is still running.
    InFlight,
    /// The key was used with another body.
    Mismatch,
}

/// A claimed key.
#[derive(Debug)]
pub struct Ticket {
    key: String,
    hash: String,
}

/// Idempotency records in Redis. Cheap to clone.
#[derive(Clone)]
pub struct Idempotency {
    redis: Redis,
    ttl: Duration,
}

impl Idempotency {
    /// Records under `redis`'s prefix, kept for `ttl`.
    pub fn new(redis: Redis, ttl: Duration) -> Self {
        Self { redis, ttl }
    }

    /// Claims `key` for `scope` (the caller) and a body with fingerprint `hash`.
    pub async fn claim(&self, scope: &str, key: &str, hash: &str) -> Result<Claim, ApiError> {
        let full = self.redis.key(&format!("idempotency:{scope}:{key}"));
        let mut conn = self.redis.connection().await?;
        let pending = serde_json::to_string(&Record::Pending {
            hash: hash.to_owned(),
        })
        .map_err(ApiError::internal)?;
        for _ in 0..3 {
            let set: Option<String> = bounded(
                redis::cmd("SET")
                    .arg(&full)
                    .arg(&pending)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(IN_FLIGHT_TTL))
                    .query_async(&mut conn),
            )
            .await?;
            if set.is_some() {
                return Ok(Claim::Fresh(Ticket {
                    key: full,
                    hash: hash.to_owned(),
                }));
            }
            let existing: Option<String> =
                bounded(redis::cmd("GET").arg(&full).query_async(&mut conn)).await?;
            // Gone between the two commands (expired): claim again.
            let Some(existing) = existing else { continue };
            let record: Record = serde_json::from_str(&existing).map_err(ApiError::internal)?;
            return Ok(match record {
                Record::Pending { hash: h } | Record::Done { hash: h, .. } if h != hash => {
                    Claim::Mismatch
                }
                Record::Pending { .. } => Claim::InFlight,
                Record::Done { status, body, .. } => Claim::Replay { status, body },
            });
        }
        Err(ApiError::Conflict(
            "the idempotency key is contended; retry".to_owned(),
        ))
    }

    /// Keeps the answer to a claimed request for the configured time.
    pub async fn complete(
        &self,
        ticket: Ticket,
        status: u16,
        body: &Value,
    ) -> Result<(), ApiError> {
        let record = serde_json::to_string(&Record::Done {
            hash: ticket.hash,
            status,
            body: body.clone(),
        })
        .map_err(ApiError::internal)?;
        let mut conn = self.redis.connection().await?;
        let _: () = bounded(
            redis::cmd("SET")
                .arg(&ticket.key)
                .arg(record)
                .arg("PX")
                .arg(millis(self.ttl))
                .query_async(&mut conn),
        )
        .await?;
        Ok(())
    }

    /// Gives a claimed key up, so that a retry runs the request again.
    pub async fn release(&self, ticket: Ticket) {
        let Ok(mut conn) = self.redis.connection().await else {
            return;
        };
        let result: Result<(), _> =
            bounded(redis::cmd("DEL").arg(&ticket.key).query_async(&mut conn)).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot release an idempotency key; it expires by itself");
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn cache_down(e: redis::RedisError) -> ApiError {
    tracing::warn!(error = %e, "redis command failed");
    ApiError::UpstreamUnavailable("cache".to_owned())
}

/// One Redis command, given up after [`REDIS_STEP`].
async fn bounded<T>(
    command: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, ApiError> {
    match tokio::time::timeout(REDIS_STEP, command).await {
        Ok(result) => result.map_err(cache_down),
        Err(_) => {
            tracing::warn!(after = ?REDIS_STEP, "redis command timed out");
            Err(ApiError::UpstreamUnavailable("cache".to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fingerprints_ignore_key_order_and_whitespace_but_not_values() {
        let a = fingerprint(&json!({"items": [{"productId": "p", "quantity": 1}], "x": null}));
        let b: Value = serde_json::from_str(
            r#"{ "x": null, "items": [ {"quantity": 1, "productId": "p"} ] }"#,
        )
        .unwrap();
        assert_eq!(a, fingerprint(&b));
        assert_ne!(
            a,
            fingerprint(&json!({"items": [{"productId": "p", "quantity": 2}], "x": null}))
        );
    }

    #[test]
    fn keys_are_bounded_visible_ascii() {
        assert_eq!(parse_key(" abc-123 ").unwrap(), "abc-123");
        assert!(parse_key("").is_err());
        assert!(parse_key("has space").is_err());
        assert!(parse_key(&"k".repeat(256)).is_err());
    }
}
