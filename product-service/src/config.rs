//! Configuration of product-service: the shared settings with this service's defaults
//! (see [`shared::config::ServiceConfig`] for the variables).

use std::time::Duration;

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

/// How often the outbox relay looks for pending events when no write nudged it.
pub const OUTBOX_POLL: Duration = Duration::from_millis(500);

/// Everything product-service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, Redis, shutdown grace.
    pub service: ServiceConfig,
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            service: ServiceConfig::from_env(env, DEFAULTS)?,
        })
    }
}
