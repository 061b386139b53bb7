//! Configuration of assistant-service: the shared settings with this service's defaults
//! (see [`shared::config::ServiceConfig`] for the variables).

use shared::config::{ConfigError, Env, ServiceConfig, ServiceDefaults};

/// This service's defaults: port 5006, database `assistant`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "assistant-service",
    port: 5006,
    database: Some("assistant"),
    uses_broker: true,
    uses_redis: true,
};

/// Everything assistant-service reads at start.
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
