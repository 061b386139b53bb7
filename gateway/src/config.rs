//! Gateway configuration: the shared settings, the routing table and the upstream timeouts.
//!
//! | variable | default |
//! | --- | --- |
//! | `CUSTOMER_SERVICE_URL` | `http://127.0.0.1:5003` |
//! | `PRODUCT_SERVICE_URL` | `http://127.0.0.1:5002` |
//! | `ORDER_SERVICE_URL` | `http://127.0.0.1:5001` |
//! | `ALERT_SERVICE_URL` | `http://127.0.0.1:5004` |
//! | `ANALYTICS_SERVICE_URL` | `http://127.0.0.1:5005` |
//! | `ASSISTANT_SERVICE_URL` | `http://127.0.0.1:5006` |
//! | `UPSTREAM_TIMEOUT_MS` | `10000` (time to wait for an upstream's next bytes) |
//! | `UPSTREAM_CONNECT_TIMEOUT_MS` | `2000` |
//! | `CORS_ORIGINS` | `*` in development; none (same-origin only) in production |

use std::time::Duration;

use shared::config::{ConfigError, Env, Environment, ServiceConfig, ServiceDefaults};

use crate::routing::{RouteTable, Upstream};

/// The gateway's defaults: port 5000, no database, no broker, Redis for token revocation.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "gateway",
    port: 5000,
    database: None,
    uses_broker: false,
    uses_redis: true,
};

/// The services behind the gateway: name, URL variable, default port.
pub const UPSTREAMS: [(&str, &str, u16); 6] = [
    ("customer-service", "CUSTOMER_SERVICE_URL", 5003),
    ("product-service", "PRODUCT_SERVICE_URL", 5002),
    ("order-service", "ORDER_SERVICE_URL", 5001),
    ("alert-service", "ALERT_SERVICE_URL", 5004),
    ("analytics-service", "ANALYTICS_SERVICE_URL", 5005),
    ("assistant-service", "ASSISTANT_SERVICE_URL", 5006),
];

/// Everything the gateway reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, Redis, shutdown grace.
    pub service: ServiceConfig,
    /// Which service owns which `/api/<area>`.
    pub routes: RouteTable,
    /// How long to wait for an upstream to connect.
    pub connect_timeout: Duration,
    /// How long to wait for an upstream's next bytes (headers or body).
    pub read_timeout: Duration,
    /// Allowed CORS origins; `["*"]` allows any.
    pub cors_origins: Vec<String>,
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut upstreams = Vec::new();
        for (name, var, port) in UPSTREAMS {
            let url = env.string(var, &format!("http://127.0.0.1:{port}"));
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError {
                    name: var.to_owned(),
                    reason: format!("not an http(s) URL: {url:?}"),
                });
            }
            upstreams.push(Upstream::new(name, &url));
        }
        let service = ServiceConfig::from_env(env, DEFAULTS)?;
        let default_origins = match service.environment {
            Environment::Development => "*",
            Environment::Production => "",
        };
        Ok(Self {
            service,
            routes: RouteTable::standard(upstreams),
            connect_timeout: Duration::from_millis(
                env.parse("UPSTREAM_CONNECT_TIMEOUT_MS", 2000u64)?,
            ),
            read_timeout: Duration::from_millis(env.parse("UPSTREAM_TIMEOUT_MS", 10_000u64)?),
            cors_origins: env
                .string("CORS_ORIGINS", default_origins)
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_url_that_is_not_http_is_rejected_by_name() {
        let env = Env::from_pairs(&[("ORDER_SERVICE_URL", "orders:5001")]);
        let err = Config::from_env(&env).unwrap_err();
        assert_eq!(err.name, "ORDER_SERVICE_URL");
    }

    #[test]
    fn any_origin_is_allowed_in_development_only() {
        let dev = Config::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(dev.cors_origins, ["*"]);
        let prod = Config::from_env(&Env::from_pairs(&[("APP_ENV", "production")])).unwrap();
        assert!(prod.cors_origins.is_empty());
    }

    #[test]
    fn defaults_route_every_area_to_its_service() {
        let cfg = Config::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(cfg.service.port, 5000);
        assert_eq!(
            cfg.routes.resolve("orders/abc").unwrap().0.name,
            "order-service"
        );
        assert_eq!(
            cfg.routes.resolve("auth/login").unwrap().0.base_url,
            "http://127.0.0.1:5003"
        );
    }
}
