//! Configuration of alert-service: the shared settings, live streams and the optional webhook.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `STREAM_HEARTBEAT_SECS` | `15` | heartbeat interval of idle WebSocket streams |
//! | `STREAM_BUFFER` | `64` | alerts buffered per client before it is dropped as too slow |
//! | `ALERT_WEBHOOK_URL` | unset (no webhook) | every new alert is POSTed here |
//! | `ALERT_WEBHOOK_SECRET` | required with the URL | HMAC-SHA256 key of the signature |
//! | `ALERT_WEBHOOK_MAX_ATTEMPTS` | `8` | deliveries tried before an alert's webhook is given up |
//! | `ALERT_WEBHOOK_BACKOFF_MS` | `1000` | wait before the first retry; doubles, at most 5 minutes |
//! | `ALERT_WEBHOOK_TIMEOUT_MS` | `10000` | how long one delivery may take |
//! | `SMTP_URL` | `smtp://127.0.0.1:1025` (the local sink `cargo xtask up` starts) | where notification mail goes (`smtp://`, `smtps://`, `smtp://host?tls=required`, lettre's URL form); `off`: no mail |
//! | `MAIL_FROM` | `Shop <shop@localhost>` | the sender of notification mail |
//! | `MAIL_BACKOFF_MS` | `1000` | wait before the first retry of a mail; doubles, at most 5 minutes |
//! | `SERVICE_TOKEN_KEY` | unset (no look-up) | the suite's service key (Ed25519, PKCS#8 PEM, `\n` allowed; the same as customer-service's): alert-service mints a one-minute service token with it for each look-up of the address of a customer whose `customer.registered` it never saw (`shared::auth::service`) |
//! | `CUSTOMER_SERVICE_URL` | `http://127.0.0.1:5003` | where that look-up goes |
//!
//! The shared variables (`PORT`, `MONGODB_URI`, `AMQP_URL`, ...) are listed on
//! [`shared::config::ServiceConfig`].

use std::time::Duration;

use secrecy::SecretString;
use shared::{
    auth::service::ServiceSigner,
    config::{ConfigError, Env, ServiceConfig, ServiceDefaults},
};

/// This service's defaults: port 5004, database `alerts`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "alert-service",
    port: 5004,
    database: Some("alerts"),
    uses_broker: true,
    uses_redis: true,
};

/// Everything alert-service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, shutdown grace.
    pub service: ServiceConfig,
    /// Live streams.
    pub streams: StreamConfig,
    /// Outbound delivery, when configured.
    pub webhook: Option<WebhookConfig>,
    /// Notification mail; `None`: in-app notifications only.
    pub mail: Option<MailConfig>,
    /// Asking customer-service for addresses never announced; `None`: such customers get
    /// in-app notifications only.
    pub customers: Option<CustomerLookup>,
}

/// How customer-service is asked for a customer's address.
#[derive(Debug, Clone)]
pub struct CustomerLookup {
    /// customer-service's base URL.
    pub url: String,
    /// Mints the short-lived service token each look-up carries (customer-service accepts it on
    /// its internal contact route only).
    pub identity: ServiceSigner,
    /// How long one look-up may take.
    pub timeout: Duration,
}

/// `CUSTOMER_SERVICE_URL`'s default.
pub const DEFAULT_CUSTOMER_SERVICE_URL: &str = "http://127.0.0.1:5003";

/// Where and how notification mail is sent.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// lettre's SMTP URL, e.g. `smtp://127.0.0.1:1025`.
    pub smtp_url: String,
    /// The sender, `Name <address>` or a bare address.
    pub from: String,
    /// Wait before the first retry; each later one up to twice the last ceiling, at most 5 min.
    pub backoff: Duration,
}

impl MailConfig {
    /// The local sink's URL and a development sender, retrying after `backoff`.
    pub fn local(smtp_url: impl Into<String>, backoff: Duration) -> Self {
        Self {
            smtp_url: smtp_url.into(),
            from: DEFAULT_FROM.to_owned(),
            backoff,
        }
    }

    /// The wait after `attempts` failed sends, with jitter so mail that failed together (the
    /// server was down) is not retried together.
    pub fn delay_after(&self, attempts: u32) -> Duration {
        shared::retry::Policy::new(self.backoff, Duration::from_secs(300)).delay_after(attempts)
    }
}

/// `SMTP_URL`'s default: the sink `cargo xtask up` starts.
pub const DEFAULT_SMTP_URL: &str = "smtp://127.0.0.1:1025";
/// `MAIL_FROM`'s default.
pub const DEFAULT_FROM: &str = "Shop <shop@localhost>";

/// WebSocket stream settings.
#[derive(Debug, Clone, Copy)]
pub struct StreamConfig {
    /// Heartbeat interval while a stream is idle.
    pub heartbeat: Duration,
    /// Alerts buffered per client; a client whose buffer is full is dropped.
    pub buffer: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(15),
            buffer: 64,
        }
    }
}

/// Where and how alerts are forwarded.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The receiver's URL.
    pub url: String,
    /// The HMAC key of `x-alert-signature`.
    pub secret: SecretString,
    /// Attempts per alert before it is marked `failed`.
    pub max_attempts: u32,
    /// Wait before the first retry; each later one is drawn up to twice the last ceiling.
    pub backoff: Duration,
    /// Timeout of one delivery.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// The wait after `attempts` failed deliveries: between `backoff` and
    /// `backoff × 2^(attempts-1)` (at most 5 min), drawn at random so that alerts that failed
    /// together (the receiver was down) are not retried together.
    pub fn delay_after(&self, attempts: u32) -> Duration {
        shared::retry::Policy::new(self.backoff, Duration::from_secs(300)).delay_after(attempts)
    }
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let buffer: usize = env.parse("STREAM_BUFFER", 64usize)?;
        if buffer == 0 {
            return Err(ConfigError {
                name: "STREAM_BUFFER".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        let webhook = match env.get("ALERT_WEBHOOK_URL") {
            None => None,
            Some(url) => {
                let url = url.trim().to_owned();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError {
                        name: "ALERT_WEBHOOK_URL".to_owned(),
                        reason: "must be an http:// or https:// URL".to_owned(),
                    });
                }
                let secret = env.get("ALERT_WEBHOOK_SECRET").ok_or_else(|| ConfigError {
                    name: "ALERT_WEBHOOK_SECRET".to_owned(),
                    reason: "must be set when ALERT_WEBHOOK_URL is".to_owned(),
                })?;
                Some(WebhookConfig {
                    url,
                    secret: SecretString::from(secret),
                    max_attempts: env.parse("ALERT_WEBHOOK_MAX_ATTEMPTS", 8u32)?.max(1),
                    backoff: Duration::from_millis(env.parse("ALERT_WEBHOOK_BACKOFF_MS", 1000u64)?),
                    timeout: Duration::from_millis(
                        env.parse("ALERT_WEBHOOK_TIMEOUT_MS", 10_000u64)?.max(1),
                    ),
                })
            }
        };
        let mail = mail_from_env(env)?;
        let identity = env
            .get("SERVICE_TOKEN_KEY")
            .filter(|pem| !pem.trim().is_empty())
            .map(|pem| {
                ServiceSigner::from_pem(DEFAULTS.name, &pem).map_err(|reason| ConfigError {
                    name: "SERVICE_TOKEN_KEY".to_owned(),
                    reason,
                })
            })
            .transpose()?;
        Ok(Self {
            service: ServiceConfig::from_env(env, DEFAULTS)?,
            streams: StreamConfig {
                heartbeat: Duration::from_secs(env.parse("STREAM_HEARTBEAT_SECS", 15u64)?.max(1)),
                buffer,
            },
            webhook,
            mail,
            customers: identity.map(|identity| CustomerLookup {
                url: env
                    .get("CUSTOMER_SERVICE_URL")
                    .unwrap_or_else(|| DEFAULT_CUSTOMER_SERVICE_URL.to_owned()),
                identity,
                timeout: Duration::from_secs(5),
            }),
        })
    }
}

/// `SMTP_URL` (`off`: no mail), `MAIL_FROM` and `MAIL_BACKOFF_MS`, checked now so that a typo
/// stops the service at start rather than every mail later.
fn mail_from_env(env: &Env) -> Result<Option<MailConfig>, ConfigError> {
    let url = env
        .get("SMTP_URL")
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_SMTP_URL.to_owned());
    if url == "off" {
        return Ok(None);
    }
    let bad = |name: &str, reason: String| ConfigError {
        name: name.to_owned(),
        reason,
    };
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err(bad(
            "SMTP_URL",
            "must be an smtp:// or smtps:// URL, or off".to_owned(),
        ));
    }
    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&url)
        .map_err(|e| bad("SMTP_URL", e.to_string()))?;
    let from = env
        .get("MAIL_FROM")
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| DEFAULT_FROM.to_owned());
    from.parse::<lettre::message::Mailbox>()
        .map_err(|e| bad("MAIL_FROM", e.to_string()))?;
    Ok(Some(MailConfig {
        smtp_url: url,
        from,
        backoff: Duration::from_millis(env.parse("MAIL_BACKOFF_MS", 1000u64)?.max(1)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_url_there_is_no_webhook() {
        let cfg = Config::from_env(&Env::from_pairs(&[])).unwrap();
        assert!(cfg.webhook.is_none());
        assert_eq!(cfg.streams.buffer, 64);
        assert_eq!(cfg.streams.heartbeat, Duration::from_secs(15));
        let mail = cfg.mail.expect("mail to the local sink by default");
        assert_eq!(
            (mail.smtp_url.as_str(), mail.from.as_str()),
            (DEFAULT_SMTP_URL, DEFAULT_FROM)
        );
    }

    #[test]
    fn mail_can_be_turned_off_and_a_bad_url_or_sender_is_named() {
        let off = Config::from_env(&Env::from_pairs(&[("SMTP_URL", "off")])).unwrap();
        assert!(off.mail.is_none());
        let env = Env::from_pairs(&[("SMTP_URL", "http://mail.example")]);
        assert_eq!(Config::from_env(&env).unwrap_err().name, "SMTP_URL");
        let env = Env::from_pairs(&[("MAIL_FROM", "not an address")]);
        assert_eq!(Config::from_env(&env).unwrap_err().name, "MAIL_FROM");
    }

    #[test]
    fn a_webhook_url_without_a_secret_is_named() {
        let env = Env::from_pairs(&[("ALERT_WEBHOOK_URL", "http://hooks.example/x")]);
        assert_eq!(
            Config::from_env(&env).unwrap_err().name,
            "ALERT_WEBHOOK_SECRET"
        );
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_five_minutes() {
        let env = Env::from_pairs(&[
            ("ALERT_WEBHOOK_URL", "http://hooks.example/x"),
            ("ALERT_WEBHOOK_SECRET", "s"),
        ]);
        let hook = Config::from_env(&env).unwrap().webhook.unwrap();
        let secs = Duration::from_secs;
        assert_eq!(hook.delay_after(1), secs(1));
        for _ in 0..100 {
            assert!((secs(1)..=secs(4)).contains(&hook.delay_after(3)));
            assert!((secs(1)..=secs(300)).contains(&hook.delay_after(30)));
        }
        let late: std::collections::HashSet<Duration> =
            (0..20).map(|_| hook.delay_after(30)).collect();
        assert!(late.len() > 1, "alerts that failed together retry apart");
    }

    #[test]
    fn the_service_key_turns_the_address_look_up_on_and_a_bad_one_is_named() {
        let off = Config::from_env(&Env::from_pairs(&[])).unwrap();
        let bad = Env::from_pairs(&[("SERVICE_TOKEN_KEY", "not a key")]);

        assert!(off.customers.is_none(), "no key, no look-up");
        assert_eq!(
            Config::from_env(&bad).unwrap_err().name,
            "SERVICE_TOKEN_KEY"
        );
    }
}
