//! MongoDB and Redis connections that never block start-up: a service comes up while a
//! database is down, reports it on `/health`, and uses it as soon as it is back.

use std::{sync::Arc, time::Duration};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::{
    config::{MongoConfig, RedisConfig},
    error::ApiError,
};

/// Opens the service's database. Only a malformed URI fails here: the driver connects lazily
/// and a request made while the server is down fails after a short server-selection timeout.
pub async fn mongo(
    cfg: &MongoConfig,
    app_name: &str,
) -> Result<mongodb::Database, mongodb::error::Error> {
    let mut options = mongodb::options::ClientOptions::parse(&cfg.uri).await?;
    options.app_name = Some(app_name.to_owned());
    options.server_selection_timeout = Some(Duration::from_secs(3));
    options.connect_timeout = Some(Duration::from_secs(2));
    let client = mongodb::Client::with_options(options)?;
    Ok(client.database(&cfg.database))
}

/// Whether MongoDB answers a `ping` within `timeout`.
pub async fn mongo_is_up(db: &mongodb::Database, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, db.run_command(bson::doc! { "ping": 1 })).await,
        Ok(Ok(_))
    )
}

/// A Redis connection that is made in the background and then reconnects by itself.
#[derive(Clone)]
pub struct Redis {
    manager: Arc<RwLock<Option<ConnectionManager>>>,
    client: redis::Client,
    prefix: String,
}

impl Redis {
    /// Starts connecting in the background and returns at once. Only a malformed URL fails.
    pub fn start(cfg: &RedisConfig, cancel: CancellationToken) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(cfg.url.as_str())?;
        let redis = Self {
            manager: Arc::new(RwLock::new(None)),
            client: client.clone(),
            prefix: cfg.prefix.clone(),
        };
        let slot = redis.manager.clone();
        tokio::spawn(async move {
            // One quick reconnect attempt per command while Redis is away: the default six,
            // with growing delays, held every command for about ten seconds (the `redis`
            // drill's `POST /orders`, stuck in the revocation check), where a prompt 503 or
            // a fall-through to MongoDB was meant.
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(2)))
                .set_response_timeout(Some(Duration::from_secs(2)))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_millis(500));
            let connect = || client.get_connection_manager_with_config(config.clone());
            let connected = crate::retry::RECONNECT
                .until_ok(&cancel, connect, |e, wait| {
                    tracing::debug!(error = %e, ?wait, "redis not reachable");
                })
                .await;
            if let Some(manager) = connected {
                tracing::info!("connected to redis");
                *slot.write().await = Some(manager);
            }
        });
        Ok(redis)
    }

    /// A connection, or 503 while Redis has never been reached.
    pub async fn connection(&self) -> Result<ConnectionManager, ApiError> {
        self.manager
            .read()
            .await
            .clone()
            .ok_or_else(|| ApiError::UpstreamUnavailable("cache".to_owned()))
    }

    /// The client, for connections of their own (a pub/sub subscription).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// `key` under this service's prefix.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Whether Redis answers `PING` within `timeout`.
    pub async fn is_up(&self, timeout: Duration) -> bool {
        let Ok(mut conn) = self.connection().await else {
            return false;
        };
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        matches!(tokio::time::timeout(timeout, ping).await, Ok(Ok(_)))
    }
}

/// Whether a MongoDB error is a unique-key violation (E11000), for mapping to 409 or for
/// treating a redelivered event as already applied.
pub fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match &*err.kind {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .is_some_and(|errors| errors.iter().any(|e| e.code == 11000)),
        ErrorKind::Command(e) => e.code == 11000,
        _ => err.to_string().contains("E11000"),
    }
}

/// How many documents of `collection` match `filter`, counting at most `cap`: for counts
/// taken again and again in the background (outbox and mail backlogs), where a figure above
/// `cap` says enough.
///
/// It reads the matching ids rather than calling `count_documents`, which the driver sends as
/// an aggregate whose `$group` has a constant key: the MongoDB stand-in cannot run that in SQL
/// and evaluates it in Python over the whole collection (130 ms for 1,140 orders of which 7
/// matched, against 2 ms to read those 7 ids), and a count repeated every pass kept its one
/// thread busy. On MongoDB the ids come from an index when the filter has one.
pub async fn count_up_to(
    collection: &mongodb::Collection<bson::Document>,
    filter: bson::Document,
    cap: u64,
) -> Result<u64, mongodb::error::Error> {
    use futures::TryStreamExt;
    let mut ids = collection
        .find(filter)
        .projection(bson::doc! { "_id": 1 })
        .limit(i64::try_from(cap).unwrap_or(i64::MAX))
        .batch_size(1000)
        .await?;
    let mut n = 0;
    while ids.try_next().await?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// Readers that accept what the MongoDB stand-in returns as well as what MongoDB returns:
/// the stand-in gives back a date written by `$set` as a string (`"2026-11-25 12:16:51.485000"`,
/// UTC) and a boolean written by `$set` as the integer `1`/`0`. Use them with
/// `#[serde(deserialize_with = "...")]` on fields that updates write.
pub mod compat {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::{Deserialize, Deserializer, de::Error};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum RawDate {
        Bson(bson::DateTime),
        Text(String),
    }

    fn parse_date<E: Error>(raw: RawDate) -> Result<DateTime<Utc>, E> {
        match raw {
            RawDate::Bson(d) => Ok(d.to_chrono()),
            RawDate::Text(s) => DateTime::parse_from_rfc3339(&s)
                .map(|d| d.with_timezone(&Utc))
                .or_else(|_| {
                    NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f").map(|n| n.and_utc())
                })
                .map_err(|_| E::custom(format!("not a date: {s:?}"))),
        }
    }

    /// A date stored as a BSON date or as the stand-in's text.
    pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        parse_date(RawDate::deserialize(d)?)
    }

    /// An optional date, either way.
    pub fn optional_date<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<RawDate>::deserialize(d)?
            .map(parse_date)
            .transpose()
    }

    /// A time as epoch milliseconds, stored as a number of milliseconds, a BSON date, or the
    /// stand-in's text (data written by an earlier version may hold any of them).
    pub fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum RawMillis {
            Int(i64),
            Float(f64),
            Date(RawDate),
        }
        Ok(match RawMillis::deserialize(d)? {
            RawMillis::Int(n) => n,
            RawMillis::Float(f) => f as i64,
            RawMillis::Date(raw) => parse_date::<D::Error>(raw)?.timestamp_millis(),
        })
    }

    /// A boolean stored as a boolean or as the stand-in's integer.
    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum RawBool {
            Bool(bool),
            Int(i64),
        }
        Ok(match RawBool::deserialize(d)? {
            RawBool::Bool(b) => b,
            RawBool::Int(n) => n != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(deserialize_with = "super::compat::millis")]
        at: i64,
    }

    #[test]
    fn millis_read_numbers_dates_and_the_stand_ins_text_alike() {
        let ms = 1_764_000_000_123_i64;
        let forms = [
            bson::doc! { "at": ms },
            bson::doc! { "at": bson::DateTime::from_millis(ms) },
            bson::doc! { "at": "2025-11-24 16:00:00.123000" },
        ];
        for form in forms {
            let row: Row = bson::from_document(form.clone()).unwrap();
            assert_eq!(row.at, ms, "{form}");
        }
    }
}
