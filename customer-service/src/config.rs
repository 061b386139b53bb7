//! Configuration of customer-service: the shared settings, the signing key, token lifetimes,
//! the admin account and the sign-in limits.
//!
//! | variable | default |
//! | --- | --- |
//! | `JWT_PRIVATE_KEY` | development: a fresh key at every start (logged); production: required (Ed25519, PKCS#8 PEM) |
//! | `ACCESS_TOKEN_TTL_SECS` | `900` |
//! | `REFRESH_TOKEN_TTL_SECS` | `2592000` (30 days) |
//! | `ADMIN_EMAIL` | `admin@example.com` |
//! | `ADMIN_PASSWORD` | development: `admin-dev-password`; production: required |
//! | `LOGIN_MAX_FAILURES` | `5` failed sign-ins lock an account... |
//! | `LOGIN_LOCK_SECS` | `...for 300 s` |
//! | `LOGIN_MAX_PER_CLIENT` | `30` sign-in attempts per client address per minute |

use std::time::Duration;

use secrecy::SecretString;
use shared::{
    auth::Signer,
    config::{ConfigError, Env, Environment, ServiceConfig, ServiceDefaults},
};

/// This service's defaults: port 5003, database `customers`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "customer-service",
    port: 5003,
    database: Some("customers"),
    uses_broker: true,
    uses_redis: true,
};

/// Everything customer-service reads at start.
#[derive(Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, Redis, shutdown grace.
    pub service: ServiceConfig,
    /// Signs access tokens; its public half is served as JWKS.
    pub signer: Signer,
    /// How long a refresh token lives.
    pub refresh_ttl: Duration,
    /// The admin account ensured at start.
    pub admin_email: String,
    /// Its password.
    pub admin_password: SecretString,
    /// Sign-in limits.
    pub limits: LoginLimits,
}

/// How sign-in attempts are limited.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failed attempts that lock an account.
    pub max_failures: u32,
    /// How long the lock lasts (and the window failures are counted in).
    pub lock: Duration,
    /// Attempts per client address per minute.
    pub per_client_per_minute: u32,
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut service = ServiceConfig::from_env(env, DEFAULTS)?;
        let access_ttl = Duration::from_secs(env.parse("ACCESS_TOKEN_TTL_SECS", 900u64)?);
        let signer = match (env.get("JWT_PRIVATE_KEY"), service.environment) {
            (Some(pem), _) => {
                Signer::from_pem(&pem.replace("\\n", "\n"), access_ttl).map_err(|reason| {
                    ConfigError {
                        name: "JWT_PRIVATE_KEY".to_owned(),
                        reason,
                    }
                })?
            }
            (None, Environment::Development) => {
                tracing::warn!(
                    "JWT_PRIVATE_KEY is not set: signing with a key generated for this run (development only); tokens do not survive a restart"
                );
                Signer::generate(access_ttl)
            }
            (None, Environment::Production) => {
                return Err(ConfigError {
                    name: "JWT_PRIVATE_KEY".to_owned(),
                    reason: "must be set outside development".to_owned(),
                });
            }
        };
        // customer-service verifies its own tokens with its own key, not through JWKS.
        service.auth = signer.key_source();
        Ok(Self {
            signer,
            refresh_ttl: Duration::from_secs(env.parse("REFRESH_TOKEN_TTL_SECS", 2_592_000u64)?),
            admin_email: env
                .string("ADMIN_EMAIL", "admin@example.com")
                .trim()
                .to_lowercase(),
            admin_password: env.secret(
                "ADMIN_PASSWORD",
                service.environment,
                "admin-dev-password",
            )?,
            limits: LoginLimits {
                max_failures: env.parse("LOGIN_MAX_FAILURES", 5u32)?,
                lock: Duration::from_secs(env.parse("LOGIN_LOCK_SECS", 300u64)?),
                per_client_per_minute: env.parse("LOGIN_MAX_PER_CLIENT", 30u32)?,
            },
            service,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_requires_a_signing_key_and_an_admin_password() {
        let err = Config::from_env(&Env::from_pairs(&[("APP_ENV", "production")]))
            .err()
            .unwrap();
        assert_eq!(err.name, "JWT_PRIVATE_KEY");
    }

    #[test]
    fn a_malformed_signing_key_is_named() {
        let err = Config::from_env(&Env::from_pairs(&[("JWT_PRIVATE_KEY", "not a key")]))
            .err()
            .unwrap();
        assert_eq!(err.name, "JWT_PRIVATE_KEY");
    }
}
