//! Conversations in Redis, expiring after `SESSION_TTL_SECS` of silence: each session's
//! context (owner, customer, the last order and product talked about, whether it ended or was
//! escalated) and its history, capped. Also the index of each customer's recent orders that
//! the event consumer keeps, so "where is my order?" needs no order number.

use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use shared::{ApiError, store::Redis};

/// Turns of history kept per session (a turn is two entries).
pub const HISTORY_ENTRIES: isize = 100;
/// How long a customer's order index lives after its last change.
const ORDER_INDEX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// A session id: 8 to 64 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    /// Checks a session id given by a client.
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        shared::api::rules::session_id(raw, &())
            .map_err(|e| ApiError::field("sessionId", e.message()))?;
        Ok(Self(raw.to_owned()))
    }

    /// A fresh random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

/// The signed-in customer of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRef {
    /// Id.
    pub id: String,
    /// Display name, when known.
    pub name: Option<String>,
    /// Email, when known.
    pub email: Option<String>,
}

/// A product talked about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRef {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// What a conversation remembers between turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The id.
    pub id: String,
    /// The customer id of the caller who started it; `None` for an anonymous conversation.
    pub owner: Option<String>,
    /// The signed-in customer, once looked up.
    pub customer: Option<CustomerRef>,
    /// The last order talked about.
    pub last_order_id: Option<String>,
    /// The last product talked about.
    pub last_product: Option<ProductRef>,
    /// Ended by a violation: every further message is refused.
    pub ended: bool,
    /// A complaint in it was passed to a person.
    pub escalated: bool,
    /// Turns so far.
    pub turns: u32,
    /// The last answer offered a person ("are you a real person?"): a "yes" now takes it.
    #[serde(default)]
    pub offered_person: bool,
    /// The conversation entered the support queue, so a person may hold it: each message asks
    /// the support desk first (a MongoDB read). A session that never did skips that read. A
    /// session stored before this was kept asks every time, as all did then.
    #[serde(default = "asks")]
    pub queued: bool,
    /// This service made the id when the conversation began (its first message came without
    /// one), so no support record can be older than the session: the support desk is not
    /// asked about it on its first message, and its first hand-over does not look for a
    /// record to reopen.
    #[serde(default)]
    pub minted: bool,
}

/// What a session stored without [`Session::queued`] does: asks the support desk.
fn asks() -> bool {
    true
}

impl Session {
    /// A new session for `owner`.
    pub fn new(id: &SessionId, owner: Option<String>) -> Self {
        Self {
            id: id.as_str().to_owned(),
            owner,
            ..Self::default()
        }
    }

    /// A new session for `owner` under an id this service has just made.
    pub fn minted(id: &SessionId, owner: Option<String>) -> Self {
        Self {
            minted: true,
            ..Self::new(id, owner)
        }
    }

    /// The customer's first name, for addressing them.
    pub fn first_name(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.name.as_deref())
            .and_then(|n| n.split_whitespace().next())
    }
}

/// One message of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// `user`, `assistant`, or `agent` (a person from the team, while one held the chat).
    pub role: String,
    /// What was said.
    pub text: String,
    /// The intent of the turn (on both entries).
    pub intent: Option<String>,
    /// Citations of an assistant answer.
    #[serde(default)]
    pub citations: Vec<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// The person's name, on an `agent` entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

impl Entry {
    /// What was said while a person held the conversation (`user` or `agent`): kept in the
    /// history too, so a reloaded chat shows it.
    pub fn held(role: &str, text: &str, agent: Option<&str>, at: DateTime<Utc>) -> Self {
        Self {
            role: role.to_owned(),
            text: text.to_owned(),
            intent: None,
            citations: Vec::new(),
            at,
            agent: agent.map(str::to_owned),
        }
    }
}

/// The session store.
#[derive(Clone)]
pub struct Sessions {
    redis: Redis,
    ttl: Duration,
}

fn unavailable(e: redis::RedisError) -> ApiError {
    tracing::warn!(error = %e, "session store unavailable");
    ApiError::UpstreamUnavailable("cache".to_owned())
}

impl Sessions {
    /// Sessions in `redis`, expiring `ttl` after their last turn.
    pub fn new(redis: Redis, ttl: Duration) -> Self {
        Self { redis, ttl }
    }

    fn context_key(&self, id: &str) -> String {
        self.redis.key(&format!("assistant:session:{id}"))
    }

    fn history_key(&self, id: &str) -> String {
        self.redis.key(&format!("assistant:history:{id}"))
    }

    /// The sessions a signed-in customer has had (while they last), so an erasure finds them.
    fn sessions_key(&self, customer_id: &str) -> String {
        self.redis
            .key(&format!("assistant:customer:{customer_id}:sessions"))
    }

    fn orders_key(&self, customer_id: &str) -> String {
        self.redis
            .key(&format!("assistant:customer:{customer_id}:orders"))
    }

    /// The session `id`, if it exists and has not expired.
    pub async fn load(&self, id: &SessionId) -> Result<Option<Session>, ApiError> {
        let mut conn = self.redis.connection().await?;
        let raw: Option<String> = conn
            .get(self.context_key(id.as_str()))
            .await
            .map_err(unavailable)?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Stores `session` and appends `entries` to its history, atomically, renewing the expiry.
    pub async fn save(&self, session: &Session, entries: &[Entry]) -> Result<(), ApiError> {
        let mut conn = self.redis.connection().await?;
        let ttl = self.ttl.as_secs().max(1);
        let history = self.history_key(&session.id);
        let mut pipe = redis::pipe();
        pipe.atomic().set_ex(
            self.context_key(&session.id),
            serde_json::to_string(session).map_err(ApiError::internal)?,
            ttl,
        );
        for entry in entries {
            pipe.rpush(
                &history,
                serde_json::to_string(entry).map_err(ApiError::internal)?,
            );
        }
        pipe.ltrim(&history, -HISTORY_ENTRIES, -1)
            .expire(&history, i64::try_from(ttl).unwrap_or(i64::MAX));
        if let Some(owner) = &session.owner {
            let mine = self.sessions_key(owner);
            pipe.sadd(&mine, &session.id)
                .expire(&mine, i64::try_from(ttl).unwrap_or(i64::MAX));
        }
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    /// Forgets `customer_id` (`customer.erased`): every session of theirs still kept, with its
    /// history, and the index of their orders. Safe to repeat.
    pub async fn forget_customer(&self, customer_id: &str) -> Result<usize, ApiError> {
        let mut conn = self.redis.connection().await?;
        let mine = self.sessions_key(customer_id);
        let ids: Vec<String> = conn.smembers(&mine).await.map_err(unavailable)?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        for id in &ids {
            pipe.del(self.context_key(id)).del(self.history_key(id));
        }
        pipe.del(&mine).del(self.orders_key(customer_id));
        pipe.query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(ids.len())
    }

    /// Appends `entries` to the history of `id` (capped like every turn) and renews the
    /// session's expiry, as a turn would.
    pub async fn append(&self, id: &str, entries: &[Entry]) -> Result<(), ApiError> {
        let mut conn = self.redis.connection().await?;
        let ttl = self.ttl.as_secs().max(1);
        let history = self.history_key(id);
        let mut pipe = redis::pipe();
        pipe.atomic();
        for entry in entries {
            pipe.rpush(
                &history,
                serde_json::to_string(entry).map_err(ApiError::internal)?,
            );
        }
        pipe.ltrim(&history, -HISTORY_ENTRIES, -1)
            .expire(&history, i64::try_from(ttl).unwrap_or(i64::MAX))
            .expire(self.context_key(id), i64::try_from(ttl).unwrap_or(i64::MAX));
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }

    /// The history of `id`, oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<Entry>, ApiError> {
        let mut conn = self.redis.connection().await?;
        let raw: Vec<String> = conn
            .lrange(self.history_key(id), 0, -1)
            .await
            .map_err(unavailable)?;
        Ok(raw
            .iter()
            .filter_map(|r| serde_json::from_str(r).ok())
            .collect())
    }

    /// Remembers that `customer_id` placed `order_id` at `placed_ms`. Idempotent: a
    /// redelivered event sets the same member to the same score.
    pub async fn record_order(
        &self,
        customer_id: &str,
        order_id: &str,
        placed_ms: i64,
    ) -> Result<(), ApiError> {
        let mut conn = self.redis.connection().await?;
        let key = self.orders_key(customer_id);
        redis::pipe()
            .atomic()
            .zadd(&key, order_id, placed_ms)
            .zremrangebyrank(&key, 0, -21)
            .expire(
                &key,
                i64::try_from(ORDER_INDEX_TTL.as_secs()).unwrap_or(i64::MAX),
            )
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    /// The most recent order of `customer_id` that the consumer has seen.
    pub async fn latest_order(&self, customer_id: &str) -> Result<Option<String>, ApiError> {
        let mut conn = self.redis.connection().await?;
        let newest: Vec<String> = conn
            .zrevrange(self.orders_key(customer_id), 0, 0)
            .await
            .map_err(unavailable)?;
        Ok(newest.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_checked() {
        assert!(SessionId::parse("abcd-1234_XYZ").is_ok());
        assert!(SessionId::parse("short").is_err());
        assert!(SessionId::parse("has space in it").is_err());
        assert!(SessionId::parse(&"x".repeat(65)).is_err());
        assert_eq!(SessionId::new().as_str().len(), 36);
    }

    #[test]
    fn the_first_name_addresses_the_customer() {
        let mut s = Session::new(&SessionId::new(), Some("c1".to_owned()));
        assert_eq!(s.first_name(), None);
        s.customer = Some(CustomerRef {
            id: "c1".to_owned(),
            name: Some("Alex Demo".to_owned()),
            email: None,
        });
        assert_eq!(s.first_name(), Some("Alex"));
    }
}
