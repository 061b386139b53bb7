//! Configuration of product-service: the shared settings with this service's defaults
//! (see [`shared::config::ServiceConfig`] for the variables).

use std::{path::PathBuf, time::Duration};

use shared::config::{ConfigError, Env, ServiceConfig, ServiceDefaults};

/// This service's defaults: port 5002, database `products`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "product-service",
    port: 5002,
    database: Some("products"),
    uses_broker: true,
    uses_redis: true,
};

/// How long a cached read lives. Staleness does not depend on it (every write invalidates),
/// only memory use and the window of the one case described in [`crate::cache`].
pub const CACHE_TTL: Duration = crate::cache::DEFAULT_TTL;

/// Products embedded per pass of the start-up backfill.
pub const BACKFILL_BATCH: i64 = 32;

/// How often the outbox relay looks for pending events when no write nudged it.
pub const OUTBOX_POLL: Duration = Duration::from_millis(500);
/// How often image bytes no product lists are looked for.
pub const IMAGE_SWEEP_EVERY: Duration = Duration::from_secs(600);
/// How long such bytes must have gone untouched before they are deleted (an upload between
/// its two writes is never that slow).
pub const IMAGE_SWEEP_QUIET: Duration = Duration::from_secs(3600);

/// Everything product-service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, Redis, shutdown grace.
    pub service: ServiceConfig,
    /// `EMBEDDING_MODEL_DIR`: the folder of the all-MiniLM-L6-v2 files (`config.json`,
    /// `tokenizer.json`, `model.safetensors`) for search by meaning. Unset (the default), or a
    /// folder the model cannot be loaded from: keyword search only, and `/health` says
    /// `features.embeddings: "off"`.
    pub embedding_model_dir: Option<PathBuf>,
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env(env, DEFAULTS)?,
            embedding_model_dir: env.get("EMBEDDING_MODEL_DIR").map(PathBuf::from),
        })
    }
}
