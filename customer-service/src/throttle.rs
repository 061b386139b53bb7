//! Sign-in limits, kept in Redis so every replica shares them: attempts per client address
//! per minute, and failed attempts per account, which lock it for a while. Without Redis the
//! limits cannot be enforced, so sign-in answers 503 rather than run unlimited.

use std::net::{IpAddr, SocketAddr};

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

fn account_key(redis: &Redis, email: &str) -> String {
    redis.key(&format!("auth:login:failures:{email}"))
}

/// 429 while the account is locked after too many failures.
pub async fn check_account(
    redis: &Redis,
    limits: LoginLimits,
    email: &str,
) -> Result<(), ApiError> {
    let key = account_key(redis, email);
    let mut conn = redis.connection().await?;
    let (failures, ttl): (Option<u32>, i64) = redis::pipe()
        .get(&key)
        .ttl(&key)
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    if failures.unwrap_or(0) >= limits.max_failures {
        return Err(locked(ttl));
    }
    Ok(())
}

fn locked(ttl: i64) -> ApiError {
    let secs = ttl.max(1).unsigned_abs();
    tracing::warn!(
        retry_after_secs = secs,
        "account locked after failed sign-ins"
    );
    ApiError::RateLimited {
        retry_after_secs: secs,
    }
}

/// Records a failed attempt; the count expires `limits.lock` after the first failure.
pub async fn record_failure(
    redis: &Redis,
    limits: LoginLimits,
    email: &str,
) -> Result<(), ApiError> {
    let key = account_key(redis, email);
    let mut conn = redis.connection().await?;
    let _: () = redis::pipe()
        .atomic()
        .incr(&key, 1)
        .ignore()
        .cmd("EXPIRE")
        .arg(&key)
        .arg(limits.lock.as_secs())
        .arg("NX")
        .ignore()
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Forgets the failures of an account after a successful sign-in.
pub async fn clear(redis: &Redis, email: &str) -> Result<(), ApiError> {
    let mut conn = redis.connection().await?;
    conn.del::<_, ()>(account_key(redis, email))
        .await
        .map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use super::*;

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
