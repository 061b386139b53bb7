//! Configuration of analytics-service: the shared settings, where the other services live
//! (for `/dashboard/performance` and the rebuild) and the rebuild's token.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `GATEWAY_METRICS_URL` | `http://127.0.0.1:9100` | the gateway's internal metrics listener (its `METRICS_ADDR`) |
//! | `ORDER_SERVICE_URL` | `http://127.0.0.1:5001` | `/metrics`, and the admin listing the rebuild reads |
//! | `PRODUCT_SERVICE_URL` | `http://127.0.0.1:5002` | `/metrics` |
//! | `CUSTOMER_SERVICE_URL` | `http://127.0.0.1:5003` | `/metrics` |
//! | `ALERT_SERVICE_URL` | `http://127.0.0.1:5004` | `/metrics` |
//! | `ANALYTICS_SERVICE_URL` | `http://127.0.0.1:5005` | `/metrics` of this service |
//! | `ASSISTANT_SERVICE_URL` | `http://127.0.0.1:5006` | `/metrics` |
//! | `ANALYTICS_SERVICE_TOKEN` | unset | an admin token for the rebuild; unset, the caller's own bearer is forwarded |
//! | `PERFORMANCE_SCRAPE_SECS` | `15` | how often every service's `/metrics` is scraped |
//! | `PERFORMANCE_WINDOW_SECS` | `300` | the span `/dashboard/performance` reports: the increase between scrapes that far apart |
//! | `WEEKLY_REPORT_HOUR` | `6` | from this hour (UTC) on Mondays the week before is mailed to the staff (`report.weekly`); `off`: never by itself (`POST /analytics/reports/weekly` still does) |
//!
//! A service's `/metrics` is scraped at its URL above. The gateway serves `/metrics` only on its
//! internal listener, never on the public port, so its URL is that listener's (the dashboard
//! reads nothing else from the gateway).
//!
//! The shared variables (`PORT`, `MONGODB_URI`, `AMQP_URL`, ...) are listed on
//! [`shared::config::ServiceConfig`].

use std::time::Duration;

use secrecy::SecretString;
use shared::config::{ConfigError, Env, ServiceConfig, ServiceDefaults};

/// This service's defaults: port 5005, database `analytics`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "analytics-service",
    port: 5005,
    database: Some("analytics"),
    uses_broker: true,
    uses_redis: true,
};

/// Everything analytics-service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, shutdown grace.
    pub service: ServiceConfig,
    /// Every service whose `/metrics` the performance dashboard gathers: name and base URL.
    pub services: Vec<(String, String)>,
    /// Base URL of order-service, for the rebuild.
    pub order_service_url: String,
    /// A token for order-service's admin listing; `None`: forward the caller's.
    pub service_token: Option<SecretString>,
    /// How often `/metrics` is scraped, and the span the performance dashboard covers.
    pub scrape: crate::performance::ScrapeConfig,
    /// The hour (UTC) from which on Mondays last week's report goes out; `None`: only when an
    /// admin asks.
    pub weekly_report_hour: Option<u32>,
}

/// The suite's services and their variables, with the local default ports.
const SERVICES: [(&str, &str, u16); 7] = [
    ("gateway", "GATEWAY_METRICS_URL", 9100),
    ("order-service", "ORDER_SERVICE_URL", 5001),
    ("product-service", "PRODUCT_SERVICE_URL", 5002),
    ("customer-service", "CUSTOMER_SERVICE_URL", 5003),
    ("alert-service", "ALERT_SERVICE_URL", 5004),
    ("analytics-service", "ANALYTICS_SERVICE_URL", 5005),
    ("assistant-service", "ASSISTANT_SERVICE_URL", 5006),
];

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let services: Vec<(String, String)> = SERVICES
            .iter()
            .map(|(name, var, port)| {
                let url = env.string(var, &format!("http://127.0.0.1:{port}"));
                ((*name).to_owned(), url.trim_end_matches('/').to_owned())
            })
            .collect();
        let order_service_url = services[1].1.clone();
        Ok(Self {
            service: ServiceConfig::from_env(env, DEFAULTS)?,
            services,
            order_service_url,
            service_token: env.get("ANALYTICS_SERVICE_TOKEN").map(SecretString::from),
            scrape: crate::performance::ScrapeConfig {
                every: Duration::from_secs(env.parse("PERFORMANCE_SCRAPE_SECS", 15u64)?.max(1)),
                window: Duration::from_secs(env.parse("PERFORMANCE_WINDOW_SECS", 300u64)?.max(1)),
            },
            weekly_report_hour: weekly_report_hour(env)?,
        })
    }

    /// The configuration for a test: `service`, no other services, order-service at `orders`.
    pub fn for_tests(service: ServiceConfig, orders: &str) -> Self {
        Self {
            service,
            services: Vec::new(),
            order_service_url: orders.trim_end_matches('/').to_owned(),
            service_token: None,
            scrape: crate::performance::ScrapeConfig::default(),
            weekly_report_hour: None,
        }
    }
}

/// `WEEKLY_REPORT_HOUR`: `off`, or an hour from 0 to 23 (6 when unset).
fn weekly_report_hour(env: &Env) -> Result<Option<u32>, ConfigError> {
    let name = "WEEKLY_REPORT_HOUR";
    match env.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(Some(6)),
        Some(off) if off == "off" => Ok(None),
        Some(hour) => match hour.parse::<u32>() {
            Ok(hour) if hour < 24 => Ok(Some(hour)),
            _ => Err(ConfigError {
                name: name.to_owned(),
                reason: format!("must be an hour from 0 to 23 or off, got {hour:?}"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_has_its_default_port() {
        let cfg = Config::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(cfg.services.len(), 7);
        assert_eq!(cfg.services[0].1, "http://127.0.0.1:9100");
        assert_eq!(cfg.services[6].1, "http://127.0.0.1:5006");
        assert_eq!(cfg.order_service_url, "http://127.0.0.1:5001");
        assert!(cfg.service_token.is_none());
        assert_eq!(cfg.weekly_report_hour, Some(6));
    }

    #[test]
    fn the_weekly_report_hour_is_an_hour_or_off() {
        let hour = |v: &str| Config::from_env(&Env::from_pairs(&[("WEEKLY_REPORT_HOUR", v)]));
        assert_eq!(hour("0").unwrap().weekly_report_hour, Some(0));
        assert_eq!(hour("Off").unwrap().weekly_report_hour, None);
        for bad in ["24", "-1", "six"] {
            assert!(hour(bad).is_err(), "{bad}");
        }
    }
}
