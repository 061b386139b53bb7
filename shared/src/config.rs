//! Configuration from environment variables: a small reader that names the bad variable, and
//! the settings every service shares.
//!
//! Each service builds its own typed `Config` on top of [`ServiceConfig`]; tests build the
//! structs directly (port 0, unique database and exchange names) instead of touching the
//! process environment.

use std::{fmt, str::FromStr};

use secrecy::SecretString;

/// A configuration value that is missing or cannot be parsed; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {name}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Reads variables from a source (the process environment, or a map in tests).
pub struct Env {
    lookup: Lookup,
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self {
            lookup: Box::new(|name| std::env::var(name).ok()),
        }
    }

    /// A fixed set of variables, for tests.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self {
            lookup: Box::new(move |name| map.get(name).cloned()),
        }
    }

    /// The raw value, with empty strings treated as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// The value, or `default` when unset.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    /// The value parsed as `T`, or `default` when unset; a value that does not parse is an error
    /// naming the variable.
    pub fn parse<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.trim().parse().map_err(|e: T::Err| ConfigError {
                name: name.to_owned(),
                reason: format!("cannot parse {raw:?}: {e}"),
            }),
        }
    }

    /// A secret: required outside development, `dev_default` in development.
    pub fn secret(
        &self,
        name: &str,
        environment: Environment,
        dev_default: &str,
    ) -> Result<SecretString, ConfigError> {
        match (self.get(name), environment) {
            (Some(v), _) => Ok(SecretString::from(v)),
            (None, Environment::Development) => Ok(SecretString::from(dev_default.to_owned())),
            (None, Environment::Production) => Err(ConfigError {
                name: name.to_owned(),
                reason: "must be set outside development".to_owned(),
            }),
        }
    }
}

/// Where the suite runs: development allows default secrets, production does not.
///
/// Production is the default: a binary started with nothing set refuses to run without its
/// secrets instead of starting with the demo admin password and a throwaway signing key.
/// Whatever runs the suite locally (`cargo xtask`, the tests, docker-compose.yml) says
/// `APP_ENV=development` explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Local machines, tests and CI; chosen only by `APP_ENV=development`.
    Development,
    /// The default: every secret must be set.
    Production,
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" | "test" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            other => Err(format!("expected development or production, got {other:?}")),
        }
    }
}

/// Defaults that differ from one service to another.
#[derive(Debug, Clone, Copy)]
pub struct ServiceDefaults {
    /// The service name, as in logs, events (`source`) and health.
    pub name: &'static str,
    /// Default HTTP port (DESIGN.md: gateway 5000, order 5001, ... assistant 5006).
    pub port: u16,
    /// Default MongoDB database name; `None` for a service without one (the gateway).
    pub database: Option<&'static str>,
    /// Whether the service talks to RabbitMQ.
    pub uses_broker: bool,
    /// Whether the service talks to Redis.
    pub uses_redis: bool,
}

/// The settings every service shares.
///
/// | variable | default |
/// | --- | --- |
/// | `APP_ENV` | `production` (`development` allows the development secrets) |
/// | `HOST` | `127.0.0.1` |
/// | `PORT` | the service's port |
/// | `MONGODB_URI` | `mongodb://127.0.0.1:27017` |
/// | `MONGODB_DB` | the service's database |
/// | `AMQP_URL` | `amqp://guest:guest@127.0.0.1:5672/%2f` |
/// | `EVENTS_EXCHANGE` | `shop.events` |
/// | `EVENTS_PREFETCH` | `16` |
/// | `EVENTS_MAX_DELIVERIES` | `5` |
/// | `EVENTS_RETRY_BASE_MS` | `500` |
/// | `EVENTS_QUEUE_TYPE` | `classic`; `quorum` replicates the durable queues over a RabbitMQ cluster |
/// | `REDIS_URL` | `redis://127.0.0.1:6379` |
/// | `REDIS_PREFIX` | empty (tests set a unique one) |
/// | `SHUTDOWN_GRACE_SECS` | `10` |
/// | `JWT_PUBLIC_KEY` | unset: keys come from `JWKS_URL` |
/// | `JWKS_URL` | `http://127.0.0.1:5003/.well-known/jwks.json` |
/// | `EXTRA_CA_CERTS` | unset: the system's root certificates only |
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Service name.
    pub name: &'static str,
    /// Development or production.
    pub environment: Environment,
    /// Interface to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// MongoDB, when the service owns a database.
    pub mongo: Option<MongoConfig>,
    /// RabbitMQ, when the service uses the broker.
    pub broker: Option<crate::events::BusConfig>,
    /// Redis, when the service uses it.
    pub redis: Option<RedisConfig>,
    /// How long in-flight work may take to finish after a shutdown signal.
    pub shutdown_grace: std::time::Duration,
    /// Where the public keys for verifying access tokens come from.
    pub auth: crate::auth::KeySource,
    /// The CAs every outbound HTTPS client trusts: the system's, plus `EXTRA_CA_CERTS`.
    pub tls: crate::http::Trust,
}

/// Where a service's MongoDB database lives.
#[derive(Debug, Clone)]
pub struct MongoConfig {
    /// Connection string.
    pub uri: String,
    /// The service's own database.
    pub database: String,
}

/// Where Redis lives, and the prefix for every key this service writes.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// Connection URL.
    pub url: String,
    /// Prepended to every key (tests use a unique one).
    pub prefix: String,
}

/// Default RabbitMQ URL for local development.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// Default MongoDB URI for local development.
pub const DEFAULT_MONGODB_URI: &str = "mongodb://127.0.0.1:27017";
/// Where customer-service publishes its public keys, locally.
pub const DEFAULT_JWKS_URL: &str = "http://127.0.0.1:5003/.well-known/jwks.json";
/// Default Redis URL for local development.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

impl ServiceConfig {
    /// Reads the shared settings, with this service's defaults.
    pub fn from_env(env: &Env, defaults: ServiceDefaults) -> Result<Self, ConfigError> {
        let mongo = defaults.database.map(|db| MongoConfig {
            uri: env.string("MONGODB_URI", DEFAULT_MONGODB_URI),
            database: env.string("MONGODB_DB", db),
        });
        let broker = if defaults.uses_broker {
            Some(crate::events::BusConfig {
                url: env.string("AMQP_URL", DEFAULT_AMQP_URL),
                exchange: env.string("EVENTS_EXCHANGE", crate::events::DEFAULT_EXCHANGE),
                prefetch: env.parse("EVENTS_PREFETCH", 16u16)?,
                max_deliveries: env.parse("EVENTS_MAX_DELIVERIES", 5u32)?,
                retry_base: std::time::Duration::from_millis(
                    env.parse("EVENTS_RETRY_BASE_MS", 500u64)?,
                ),
                ephemeral: false,
                queue_type: env.parse("EVENTS_QUEUE_TYPE", crate::events::QueueType::Classic)?,
            })
        } else {
            None
        };
        let redis = defaults.uses_redis.then(|| RedisConfig {
            url: env.string("REDIS_URL", DEFAULT_REDIS_URL),
            prefix: env.string("REDIS_PREFIX", ""),
        });
        Ok(Self {
            name: defaults.name,
            environment: env.parse("APP_ENV", Environment::Production)?,
            host: env.string("HOST", "127.0.0.1"),
            port: env.parse("PORT", defaults.port)?,
            mongo,
            broker,
            redis,
            shutdown_grace: std::time::Duration::from_secs(
                env.parse("SHUTDOWN_GRACE_SECS", 10u64)?,
            ),
            // A PEM in one line of an env file may carry literal "\n"s.
            auth: match env.get("JWT_PUBLIC_KEY") {
                Some(pem) => crate::auth::KeySource::Static(pem.replace("\\n", "\n")),
                None => crate::auth::KeySource::Jwks(env.string("JWKS_URL", DEFAULT_JWKS_URL)),
            },
            tls: crate::http::Trust::from_env(env)?,
        })
    }

    /// The address to bind.
    pub fn bind_address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: ServiceDefaults = ServiceDefaults {
        name: "order-service",
        port: 5001,
        database: Some("orders"),
        uses_broker: true,
        uses_redis: false,
    };

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cfg = ServiceConfig::from_env(&Env::from_pairs(&[]), DEFAULTS).unwrap();
        assert_eq!(cfg.port, 5001);
        assert_eq!(cfg.mongo.unwrap().database, "orders");
        assert_eq!(cfg.broker.unwrap().exchange, "shop.events");
        assert!(cfg.redis.is_none());
    }

    #[test]
    fn without_app_env_the_environment_is_production_and_secrets_are_required() {
        let env = Env::from_pairs(&[]);

        let cfg = ServiceConfig::from_env(&env, DEFAULTS).unwrap();

        assert_eq!(cfg.environment, Environment::Production);
        let err = env
            .secret("ADMIN_PASSWORD", cfg.environment, "admin-dev-password")
            .unwrap_err();
        assert_eq!(err.name, "ADMIN_PASSWORD");
    }

    #[test]
    fn development_is_chosen_only_by_saying_so() {
        let env = Env::from_pairs(&[("APP_ENV", "development")]);
        let cfg = ServiceConfig::from_env(&env, DEFAULTS).unwrap();
        assert_eq!(cfg.environment, Environment::Development);
        assert!(env.secret("ADMIN_PASSWORD", cfg.environment, "dev").is_ok());
    }

    #[test]
    fn a_bad_port_is_an_error_naming_the_variable() {
        let err =
            ServiceConfig::from_env(&Env::from_pairs(&[("PORT", "eighty")]), DEFAULTS).unwrap_err();
        assert_eq!(err.name, "PORT");
        assert!(err.to_string().contains("PORT"), "{err}");
    }

    #[test]
    fn secrets_are_required_outside_development() {
        let env = Env::from_pairs(&[]);
        assert!(
            env.secret("JWT_KEY", Environment::Development, "dev")
                .is_ok()
        );
        let err = env
            .secret("JWT_KEY", Environment::Production, "dev")
            .unwrap_err();
        assert_eq!(err.name, "JWT_KEY");
    }
}
