//! Configuration of alert-service: the shared settings with this service's defaults
//! (see [`shared::config::ServiceConfig`] for the variables).

use shared::config::{ConfigError, Env, ServiceConfig, ServiceDefaults};

/// This service's defaults: port 5004, database `alerts`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "alert-service",
    port: 5004,
    database: Some("alerts"),
    uses_broker: true,
    uses_redis: false,
};

/// Everything alert-service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, shutdown grace.
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
