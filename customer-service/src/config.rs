//! Configuration of customer-service: the shared settings, the signing key, token lifetimes,
//! the admin account and the sign-in limits.
//!
//! | variable | default |
//! | --- | --- |
//! | `JWT_PRIVATE_KEY` | the signing key (Ed25519, PKCS#8 PEM); production: this or the file below is required |
//! | `JWT_PRIVATE_KEY_FILE` | a file holding it; in development, created with a new key when missing, so tokens survive a restart (`cargo xtask up` uses `.local/run/jwt-dev.pem`) |
//! | (neither) | development only: a fresh key at every start (logged); tokens do not survive a restart |
//! | `ACCESS_TOKEN_TTL_SECS` | `900` |
//! | `REFRESH_TOKEN_TTL_SECS` | `2592000` (30 days) |
//! | `ADMIN_EMAIL` | `admin@example.com` |
//! | `ADMIN_PASSWORD` | development: `admin-dev-password`; production: required |
//! | `LOGIN_MAX_FAILURES` | `5` failed sign-ins of an account from one address lock that address out of it... |
//! | `LOGIN_LOCK_SECS` | `...for 300 s` (also the window failures are counted in) |
//! | `LOGIN_DELAY_MS` | `1000`: after each failure the address waits this, doubled per failure, before its next try on that account (`0`: no delay before the lock) |
//! | `LOGIN_BURST_ALERT` | `20` failed sign-ins of one account from anywhere within the window raise `auth.login_burst` (and a WARN and `customer_login_bursts_total`) |
//! | `LOGIN_MAX_PER_CLIENT` | `30` sign-in attempts per client address per minute |
//! | `ORDER_SERVICE_URL` | `http://127.0.0.1:5001`: asked by the orphan hold sweep whether a hold's order exists (empty: no sweep in this process) |
//! | `ORPHAN_HOLD_TTL_SECS` | `3600`: a points hold still held this long after its checkout, with no order, is given back (see `orphans`) |
//! | `ORPHAN_SWEEP_POLL_SECS` | `60`: how often the sweep runs |
//! | `PRODUCT_SERVICE_URL` | `http://127.0.0.1:5002`: asked whether a product added to a wishlist exists, and for a wished product's stock after a stock move |
//! | `SERVICE_TOKEN_KEY` | unset: no service token is accepted. The suite's service key (Ed25519, PKCS#8 PEM, `\n` allowed): service tokens signed with it open `GET /internal/customers/{id}/contact`, and nothing else (see `shared::auth::service`) |

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
    /// The payment provider that tokenises saved cards (`PAYMENT_PROVIDER`).
    pub payment: shared::payment::Settings,
    /// The sweep of points holds whose checkout placed no order.
    pub orphans: crate::orphans::Settings,
    /// product-service's base URL (`PRODUCT_SERVICE_URL`), for the wishlist.
    pub product_service_url: String,
    /// Checks the service tokens of the internal look-ups (`SERVICE_TOKEN_KEY`); `None`: none
    /// is accepted.
    pub service_tokens: Option<shared::auth::service::ServiceVerifier>,
}

/// Where product-service listens unless `PRODUCT_SERVICE_URL` says otherwise.
pub const DEFAULT_PRODUCT_SERVICE_URL: &str = "http://127.0.0.1:5002";

/// How sign-in attempts are limited.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failed attempts of one account from one address that lock that address out of it.
    pub max_failures: u32,
    /// How long the lock lasts (and the window failures are counted in).
    pub lock: Duration,
    /// Attempts per client address per minute.
    pub per_client_per_minute: u32,
    /// The wait after a first failure, doubled at each further one until the lock.
    pub delay: Duration,
    /// Failures of one account from anywhere, within the window, that raise the alarm.
    pub burst_alert: u32,
}

/// The admin account of [`Config::for_tests`].
pub const TEST_ADMIN_EMAIL: &str = "admin@example.com";
/// Its password.
pub const TEST_ADMIN_PASSWORD: &str = "admin-test-password";

impl Config {
    /// What the tests of this and the other services start customer-service with: `service`
    /// and `signer` from the test's own names, the admin [`TEST_ADMIN_EMAIL`], refresh tokens
    /// living an hour, sign-in limits that tests do not trip by accident (no delay between
    /// failures), the `test` payment provider, product-service at its default address and no
    /// service tokens. Tests change the fields they are about.
    pub fn for_tests(service: ServiceConfig, signer: Signer) -> Self {
        Self {
            service,
            signer,
            refresh_ttl: Duration::from_secs(3600),
            admin_email: TEST_ADMIN_EMAIL.to_owned(),
            admin_password: TEST_ADMIN_PASSWORD.to_owned().into(),
            limits: LoginLimits {
                max_failures: 100,
                lock: Duration::from_secs(60),
                per_client_per_minute: 10_000,
                delay: Duration::ZERO,
                burst_alert: 1000,
            },
            payment: Default::default(),
            orphans: Default::default(),
            product_service_url: DEFAULT_PRODUCT_SERVICE_URL.to_owned(),
            service_tokens: None,
        }
    }

    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut service = ServiceConfig::from_env(env, DEFAULTS)?;
        let access_ttl = Duration::from_secs(env.parse("ACCESS_TOKEN_TTL_SECS", 900u64)?);
        let signer = signer(env, service.environment, access_ttl)?;
        // customer-service verifies its own tokens with its own key, not through JWKS.
        service.auth = signer.key_source();
        // A misspelt provider stops the start, not the first saved card.
        let payment = shared::payment::Settings::parse(
            &env.string("PAYMENT_PROVIDER", "test"),
            &env.string("PAYMENT_TEST_UNAVAILABLE", ""),
        )?;
        let orphans = crate::orphans::Settings {
            order_service_url: env
                .string("ORDER_SERVICE_URL", "http://127.0.0.1:5001")
                .trim_end_matches('/')
                .to_owned(),
            ttl: Duration::from_secs(env.parse("ORPHAN_HOLD_TTL_SECS", 3600u64)?.max(1)),
            poll: Duration::from_secs(env.parse("ORPHAN_SWEEP_POLL_SECS", 60u64)?.max(1)),
        };
        let service_tokens = env
            .get("SERVICE_TOKEN_KEY")
            .filter(|pem| !pem.trim().is_empty())
            .map(|pem| {
                shared::auth::service::ServiceVerifier::from_private_pem(&pem).map_err(|reason| {
                    ConfigError {
                        name: "SERVICE_TOKEN_KEY".to_owned(),
                        reason,
                    }
                })
            })
            .transpose()?;
        Ok(Self {
            service_tokens,
            payment,
            orphans,
            product_service_url: env
                .string("PRODUCT_SERVICE_URL", DEFAULT_PRODUCT_SERVICE_URL)
                .trim_end_matches('/')
                .to_owned(),
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
                delay: Duration::from_millis(env.parse("LOGIN_DELAY_MS", 1000u64)?),
                burst_alert: env.parse("LOGIN_BURST_ALERT", 20u32)?.max(1),
            },
            service,
        })
    }
}

/// The signing key: `JWT_PRIVATE_KEY`, else the file `JWT_PRIVATE_KEY_FILE` (made with a new
/// key when missing, in development), else in development a key for this run only.
fn signer(
    env: &Env,
    environment: Environment,
    access_ttl: Duration,
) -> Result<Signer, ConfigError> {
    let bad = |name: &str, reason: String| ConfigError {
        name: name.to_owned(),
        reason,
    };
    if let Some(pem) = env.get("JWT_PRIVATE_KEY") {
        return Signer::from_pem(&pem.replace("\\n", "\n"), access_ttl)
            .map_err(|reason| bad("JWT_PRIVATE_KEY", reason));
    }
    if let Some(path) = env.get("JWT_PRIVATE_KEY_FILE") {
        let path = std::path::Path::new(&path);
        let pem = match std::fs::read_to_string(path) {
            Ok(pem) => pem,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && environment == Environment::Development =>
            {
                let pem = new_key_file(path).map_err(|e| {
                    bad(
                        "JWT_PRIVATE_KEY_FILE",
                        format!("cannot create {}: {e}", path.display()),
                    )
                })?;
                tracing::info!(path = %path.display(), "signing key created; tokens survive restarts while it is kept");
                pem
            }
            Err(e) => {
                return Err(bad(
                    "JWT_PRIVATE_KEY_FILE",
                    format!("cannot read {}: {e}", path.display()),
                ));
            }
        };
        return Signer::from_pem(&pem, access_ttl)
            .map_err(|reason| bad("JWT_PRIVATE_KEY_FILE", reason));
    }
    match environment {
        Environment::Development => {
            tracing::warn!(
                "JWT_PRIVATE_KEY is not set: signing with a key generated for this run (development only); tokens do not survive a restart"
            );
            Ok(Signer::generate(access_ttl))
        }
        Environment::Production => Err(bad(
            "JWT_PRIVATE_KEY",
            "must be set (or JWT_PRIVATE_KEY_FILE) outside development".to_owned(),
        )),
    }
}

/// Writes a new Ed25519 key as PKCS#8 PEM to `path` (readable by its owner only), never over
/// an existing file: two starts racing keep the first key.
fn new_key_file(path: &std::path::Path) -> std::io::Result<String> {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
    use std::io::Write;
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(pem.as_bytes())?;
            Ok(pem.to_string())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path),
        Err(e) => Err(e),
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
    fn without_app_env_the_secrets_are_required_as_in_production() {
        let err = Config::from_env(&Env::from_pairs(&[])).err().unwrap();
        assert_eq!(err.name, "JWT_PRIVATE_KEY");

        let path = std::env::temp_dir().join(format!("jwt-{}.pem", uuid::Uuid::new_v4()));
        let pem = new_key_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = Config::from_env(&Env::from_pairs(&[("JWT_PRIVATE_KEY", &pem)]))
            .err()
            .unwrap();
        assert_eq!(err.name, "ADMIN_PASSWORD");
    }

    #[test]
    fn an_unknown_payment_provider_stops_the_start() {
        let dev = [("APP_ENV", "development")];
        assert!(Config::from_env(&Env::from_pairs(&dev)).is_ok());
        let err = Config::from_env(&Env::from_pairs(&[dev[0], ("PAYMENT_PROVIDER", "stripe")]))
            .err()
            .unwrap();
        assert_eq!(err.name, "PAYMENT_PROVIDER");
        assert!(err.reason.contains("stripe"), "{err}");
    }

    fn key_id(config: &Config) -> Option<String> {
        config.signer.jwks().keys[0].common.key_id.clone()
    }

    #[test]
    fn a_key_file_is_made_once_in_development_and_kept_across_starts() {
        let dir = std::env::temp_dir().join(format!("jwt-{}", uuid::Uuid::new_v4()));
        let path = dir.join("run").join("jwt-dev.pem");
        let file = path.to_str().unwrap();
        let env = Env::from_pairs(&[("APP_ENV", "development"), ("JWT_PRIVATE_KEY_FILE", file)]);

        let first = Config::from_env(&env).unwrap();
        let second = Config::from_env(&env).unwrap();

        assert!(key_id(&first).is_some());
        assert_eq!(
            key_id(&first),
            key_id(&second),
            "the same key after a restart"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Production reads the same file but never makes one.
        let production = Env::from_pairs(&[
            ("APP_ENV", "production"),
            ("ADMIN_PASSWORD", "a-production-password"),
            ("JWT_PRIVATE_KEY_FILE", file),
        ]);
        assert_eq!(
            key_id(&Config::from_env(&production).unwrap()),
            key_id(&first)
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let err = Config::from_env(&production).err().unwrap();
        assert_eq!(err.name, "JWT_PRIVATE_KEY_FILE");
        assert!(err.reason.contains("cannot read"), "{}", err.reason);
        assert!(!path.exists());
    }

    #[test]
    fn a_key_file_that_holds_no_key_is_named() {
        let path = std::env::temp_dir().join(format!("jwt-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&path, "not a key").unwrap();
        let err = Config::from_env(&Env::from_pairs(&[(
            "JWT_PRIVATE_KEY_FILE",
            path.to_str().unwrap(),
        )]))
        .err()
        .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(err.name, "JWT_PRIVATE_KEY_FILE");
    }

    #[test]
    fn a_malformed_signing_key_is_named() {
        let err = Config::from_env(&Env::from_pairs(&[("JWT_PRIVATE_KEY", "not a key")]))
            .err()
            .unwrap();
        assert_eq!(err.name, "JWT_PRIVATE_KEY");
    }

    #[test]
    fn a_service_token_key_is_read_and_a_bad_one_names_the_variable() {
        let none = Config::from_env(&Env::from_pairs(&[("APP_ENV", "development")])).unwrap();
        let bad = Config::from_env(&Env::from_pairs(&[
            ("APP_ENV", "development"),
            ("SERVICE_TOKEN_KEY", "not a key"),
        ]))
        .err()
        .unwrap();

        assert!(none.service_tokens.is_none());
        assert_eq!(bad.name, "SERVICE_TOKEN_KEY");
    }
}
