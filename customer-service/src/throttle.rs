//! Sign-in limits, kept in Redis so every replica shares them: attempts per client address
//! per minute; failed attempts per account *and* address, which slow that address down on
//! that account (progressive delays, then a lock); and failed attempts per account from
//! anywhere, which raise an alarm rather than a lock. Without Redis the limits cannot be
//! enforced, so sign-in answers 503 rather than run unlimited.
//!
//! An account is never locked for everyone: five wrong passwords from anywhere used to lock it,
//! the owner and the admin included. Now only the failing address waits; the right password
//! from an address that has not been failing goes through.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::http::HeaderMap;
use redis::AsyncCommands;
use shared::{ApiError, store::Redis};

use crate::config::LoginLimits;

fn unavailable(_: redis::RedisError) -> ApiError {
    ApiError::UpstreamUnavailable("cache".to_owned())
}

/// The client's address: the direct peer, or, when the peer is inside our own network (the
/// gateway), the last address it appended to `x-forwarded-for`.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let internal = match peer.ip() {
        IpAddr::V4(ip) => ip.is_loopback() || ip.is_private(),
        IpAddr::V6(ip) => ip.is_loopback() || ip.is_unique_local(),
    };
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse().ok());
    match (internal, forwarded) {
        (true, Some(ip)) => ip,
        _ => peer.ip(),
    }
}

/// Counts one attempt from `ip`; 429 past the per-minute quota.
pub async fn count_client(redis: &Redis, limits: LoginLimits, ip: IpAddr) -> Result<(), ApiError> {
    let key = redis.key(&format!("auth:login:client:{ip}"));
    let mut conn = redis.connection().await?;
    let (count, ttl): (u32, i64) = redis::pipe()
        .atomic()
        .incr(&key, 1)
        .cmd("EXPIRE")
        .arg(&key)
        .arg(60)
        .arg("NX")
        .ignore()
        .ttl(&key)
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    if count > limits.per_client_per_minute {
        return Err(ApiError::RateLimited {
            retry_after_secs: ttl.max(1).unsigned_abs(),
        });
    }
    Ok(())
}

/// The failures of `email` from `ip`, and the key whose life is that pair's wait.
fn pair_keys(redis: &Redis, email: &str, ip: IpAddr) -> (String, String) {
    (
        redis.key(&format!("auth:login:failures:{email}|{ip}")),
        redis.key(&format!("auth:login:wait:{email}|{ip}")),
    )
}

fn account_key(redis: &Redis, email: &str) -> String {
    redis.key(&format!("auth:login:account:{email}"))
}

/// 429 while `ip` waits out its delay (or lock) on `email` after failed sign-ins.
pub async fn check(redis: &Redis, email: &str, ip: IpAddr) -> Result<(), ApiError> {
    let (_, wait) = pair_keys(redis, email, ip);
    let mut conn = redis.connection().await?;
    let remaining_ms: i64 = conn.pttl(&wait).await.map_err(unavailable)?;
    // -2: no wait; -1 cannot happen (every wait is set with an expiry), read as none.
    if remaining_ms > 0 {
        let secs = u64::try_from(remaining_ms)
            .unwrap_or(0)
            .div_ceil(1000)
            .max(1);
        tracing::warn!(
            retry_after_secs = secs,
            "sign-in delayed after failures from this address"
        );
        return Err(ApiError::RateLimited {
            retry_after_secs: secs,
        });
    }
    Ok(())
}

/// How long an address waits after its `failures`-th failure on an account: the base delay,
/// doubled at each failure, and the lock from the `max_failures`-th on.
pub fn delay_after(limits: LoginLimits, failures: u32) -> Duration {
    if failures >= limits.max_failures {
        return limits.lock;
    }
    let doubling = 2u32.saturating_pow(failures.saturating_sub(1));
    limits.delay.saturating_mul(doubling).min(limits.lock)
}

/// What a failure found about the account as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Burst {
    /// Nothing to report.
    Quiet,
    /// This failure is the one that reached the alarm threshold (once per window).
    Started,
}

/// Records a failed sign-in of `email` from `ip`: that pair's delay starts, and the account's
/// count from anywhere goes up; both counts expire `limits.lock` after their first failure.
pub async fn record_failure(
    redis: &Redis,
    limits: LoginLimits,
    email: &str,
    ip: IpAddr,
) -> Result<Burst, ApiError> {
    let (failures, wait) = pair_keys(redis, email, ip);
    let account = account_key(redis, email);
    let window = limits.lock.as_secs().max(1);
    let mut conn = redis.connection().await?;
    let (pair, total): (u32, u32) = redis::pipe()
        .atomic()
        .incr(&failures, 1)
        .cmd("EXPIRE")
        .arg(&failures)
        .arg(window)
        .arg("NX")
        .ignore()
        .incr(&account, 1)
        .cmd("EXPIRE")
        .arg(&account)
        .arg(window)
        .arg("NX")
        .ignore()
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    let delay = delay_after(limits, pair);
    if !delay.is_zero() {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        let _: () = redis::cmd("SET")
            .arg(&wait)
            .arg(1)
            .arg("PX")
            .arg(ms)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
    }
    // INCR is atomic: exactly one failure sees the threshold, so the alarm goes once a window.
    Ok(if total == limits.burst_alert {
        Burst::Started
    } else {
        Burst::Quiet
    })
}

/// Forgets the failures of `email` from `ip` after a successful sign-in from there. The
/// account's count from anywhere stays: a success does not end a burst elsewhere.
pub async fn clear(redis: &Redis, email: &str, ip: IpAddr) -> Result<(), ApiError> {
    let (failures, wait) = pair_keys(redis, email, ip);
    let mut conn = redis.connection().await?;
    conn.del::<_, ()>(&[failures, wait])
        .await
        .map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_with_each_failure_then_become_the_lock() {
        let limits = LoginLimits {
            max_failures: 5,
            lock: Duration::from_secs(300),
            per_client_per_minute: 30,
            delay: Duration::from_secs(1),
            burst_alert: 20,
        };
        let delays: Vec<u64> = (1..=6).map(|n| delay_after(limits, n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 300, 300]);
    }

    #[test]
    fn forwarded_addresses_count_only_behind_an_internal_peer() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let gateway: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let outsider: SocketAddr = "192.0.2.1:40000".parse().unwrap();
        assert_eq!(
            client_ip(gateway, &headers),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(outsider, &headers), outsider.ip());
    }
}
