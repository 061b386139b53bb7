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
//!
//! Every `*_SERVICE_URL` may list several base URLs, comma-separated: the service's replicas.
//! Requests (streams and WebSocket relays too) go to them in turn; a replica that refuses a
//! connection is skipped for five seconds and the request goes to the next (only a refused
//! connection moves on: a request that was sent is never sent again). `/api/health` reports
//! each replica.
//!
//! | variable | default |
//! | --- | --- |
//! | `UPSTREAM_TIMEOUT_MS` | `10000` (time to wait for an upstream's next bytes) |
//! | `UPSTREAM_CONNECT_TIMEOUT_MS` | `2000` |
//! | `CORS_ORIGINS` | `*` in development; none (same-origin only) in production |
//! | `RATE_LIMIT_AUTH_PER_MIN` | `20` per caller, `/api/auth/*` |
//! | `RATE_LIMIT_ASSISTANT_PER_MIN` | `30` per caller, the assistant |
//! | `RATE_LIMIT_CATALOG_PER_MIN` | `600` per caller, `GET /api/products*`, `/api/categories*` and `/api/locations` |
//! | `RATE_LIMIT_CLICKSTREAM_PER_MIN` | `60` per caller, `POST /api/events` (batches of up to 100 events) |
//! | `RATE_LIMIT_DEFAULT_PER_MIN` | `300` per caller, everything else |
//! | `RATE_LIMIT_REDIS` | `false`: quotas per gateway replica; `true`: shared by every replica through the gateway's Redis (`REDIS_URL`, keys under `REDIS_PREFIX`); a `redis://` URL: shared through that Redis. Redis not answering: each replica counts alone meanwhile |
//! | `MAX_BODY_BYTES` | `1048576` |
//! | `TRUSTED_PROXY_HEADER` | unset: the client is the TCP peer; set (e.g. `x-forwarded-for`) only behind a proxy you run |
//! | `JWKS_URL` | `<CUSTOMER_SERVICE_URL>/.well-known/jwks.json` |
//! | `HEAD_TIMEOUT_MS` | `15000` (a whole request head, from its first byte; in the router lane hyper also counts the wait for the next request) |
//! | `KEEP_ALIVE_TIMEOUT_MS` | `60000` (an idle kept-alive connection in the fast lane) |
//! | `METRICS_ADDR` | `127.0.0.1:9100`: `/metrics`, on a listener of its own (never the public port); `off`: none |
//! | `WEB_ROOT` | `web/dist` (relative to the working directory): the built storefront and console; missing, the pages answer 404 and the API works |
//! | `MAX_CONNECTIONS_PER_CLIENT` | `256` open connections per client address (the TCP peer: behind a proxy, raise it or `0` for no cap) |

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
    /// Requests per minute per caller, by route class.
    pub quotas: crate::ratelimit::Quotas,
    /// Where quotas shared by every gateway replica are counted (`None`: per replica).
    pub shared_quotas: Option<SharedQuotaStore>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// The header a trusted proxy in front of the gateway puts the client address in.
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
    /// How long a client may take, and how many connections it may hold.
    pub clients: ClientLimits,
    /// Where `/metrics` is served: an internal address, never the public port (it showed
    /// anyone per-route counts and rate-limit hits; issue 14, item 0b).
    pub metrics: MetricsListener,
    /// The folder of the built web front end (`index.html`, `console/`, `assets/`).
    pub web_root: std::path::PathBuf,
}

/// Where `RATE_LIMIT_REDIS` counts the quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedQuotaStore {
    /// The gateway's own Redis (`REDIS_URL`).
    OwnRedis,
    /// Another Redis, at this URL.
    Redis(String),
}

fn shared_quota_store(env: &Env) -> Result<Option<SharedQuotaStore>, ConfigError> {
    let Some(value) = env.get("RATE_LIMIT_REDIS") else {
        return Ok(None);
    };
    let value = value.trim();
    match value.to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "off" | "no" => Ok(None),
        "true" | "1" | "on" | "yes" => Ok(Some(SharedQuotaStore::OwnRedis)),
        url if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Ok(Some(SharedQuotaStore::Redis(value.to_owned())))
        }
        _ => Err(ConfigError {
            name: "RATE_LIMIT_REDIS".to_owned(),
            reason: format!("neither true/false nor a redis:// URL: {value:?}"),
        }),
    }
}

/// Where the gateway serves `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListener {
    /// Nowhere (`METRICS_ADDR=off`).
    Off,
    /// The default address: if it is taken (another gateway on this host), the gateway runs
    /// without `/metrics` and says so in its log.
    Default(std::net::SocketAddr),
    /// An address set in `METRICS_ADDR`: the gateway does not start without it.
    Set(std::net::SocketAddr),
}

/// `METRICS_ADDR` when it is not set.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9100";

/// What a slow or greedy client may hold: without these, a head trickled one line every few
/// seconds, or idle kept-alive connections, held a connection forever, and one host could
/// hold the gateway's open-file limit (issue 14, item 0b).
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    /// The longest a whole request head may take, from its first byte (not per read).
    pub head_timeout: Duration,
    /// The longest a kept-alive connection may stay idle between requests.
    pub idle_timeout: Duration,
    /// Open connections per client address; 0: no cap.
    pub max_connections: usize,
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let upstreams = upstreams(env)?;
        let mut service = ServiceConfig::from_env(env, DEFAULTS)?;
        if env.get("JWT_PUBLIC_KEY").is_none()
            && env.get("JWKS_URL").is_none()
            && let Some(customer) = upstreams.iter().find(|u| u.name == "customer-service")
        {
            service.auth = shared::auth::KeySource::Jwks(format!(
                "{}/.well-known/jwks.json",
                customer.first().base_url
            ));
        }
        let trusted_proxy_header = trusted_proxy_header(env)?;
        let metrics = metrics_listener(env)?;
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
            quotas: quotas(env)?,
            shared_quotas: shared_quota_store(env)?,
            max_body_bytes: env.parse("MAX_BODY_BYTES", 1_048_576usize)?,
            trusted_proxy_header,
            clients: ClientLimits {
                head_timeout: Duration::from_millis(env.parse("HEAD_TIMEOUT_MS", 15_000u64)?),
                idle_timeout: Duration::from_millis(env.parse("KEEP_ALIVE_TIMEOUT_MS", 60_000u64)?),
                max_connections: env.parse("MAX_CONNECTIONS_PER_CLIENT", 256usize)?,
            },
            metrics,
            web_root: env.string("WEB_ROOT", "web/dist").into(),
        })
    }
}

/// Every `*_SERVICE_URL`: one base URL, or several comma-separated (the service's replicas).
fn upstreams(env: &Env) -> Result<Vec<Upstream>, ConfigError> {
    let mut upstreams = Vec::new();
    for (name, var, port) in UPSTREAMS {
        let url = env.string(var, &format!("http://127.0.0.1:{port}"));
        for one in url.split(',').map(str::trim) {
            if !(one.starts_with("http://") || one.starts_with("https://")) {
                return Err(ConfigError {
                    name: var.to_owned(),
                    reason: format!("not an http(s) URL: {one:?}"),
                });
            }
        }
        upstreams.push(Upstream::new(name, &url));
    }
    Ok(upstreams)
}

/// `TRUSTED_PROXY_HEADER`, a header name, lower-cased.
fn trusted_proxy_header(env: &Env) -> Result<Option<axum::http::HeaderName>, ConfigError> {
    env.get("TRUSTED_PROXY_HEADER")
        .map(|name| {
            name.trim()
                .to_ascii_lowercase()
                .parse()
                .map_err(|_| ConfigError {
                    name: "TRUSTED_PROXY_HEADER".to_owned(),
                    reason: format!("not a header name: {name:?}"),
                })
        })
        .transpose()
}

/// `METRICS_ADDR`: an address and port, `off`, or the default.
fn metrics_listener(env: &Env) -> Result<MetricsListener, ConfigError> {
    Ok(match env.get("METRICS_ADDR") {
        None => {
            MetricsListener::Default(DEFAULT_METRICS_ADDR.parse().map_err(|_| ConfigError {
                name: "METRICS_ADDR".to_owned(),
                reason: "the default does not parse".to_owned(),
            })?)
        }
        Some(off) if off.trim().eq_ignore_ascii_case("off") => MetricsListener::Off,
        Some(addr) => MetricsListener::Set(addr.trim().parse().map_err(|_| ConfigError {
            name: "METRICS_ADDR".to_owned(),
            reason: format!("not an address and port (or off): {addr:?}"),
        })?),
    })
}

/// The `RATE_LIMIT_*_PER_MIN` quotas.
fn quotas(env: &Env) -> Result<crate::ratelimit::Quotas, ConfigError> {
    Ok(crate::ratelimit::Quotas {
        auth: env.parse("RATE_LIMIT_AUTH_PER_MIN", 20u32)?,
        assistant: env.parse("RATE_LIMIT_ASSISTANT_PER_MIN", 30u32)?,
        catalog: env.parse("RATE_LIMIT_CATALOG_PER_MIN", 600u32)?,
        clickstream: env.parse("RATE_LIMIT_CLICKSTREAM_PER_MIN", 60u32)?,
        default: env.parse("RATE_LIMIT_DEFAULT_PER_MIN", 300u32)?,
    })
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
        let dev = Config::from_env(&Env::from_pairs(&[("APP_ENV", "development")])).unwrap();
        assert_eq!(dev.cors_origins, ["*"]);
        let prod = Config::from_env(&Env::from_pairs(&[("APP_ENV", "production")])).unwrap();
        assert!(prod.cors_origins.is_empty());
    }

    #[test]
    fn metrics_are_served_on_an_internal_address_unless_turned_off() {
        let default = Config::from_env(&Env::from_pairs(&[])).unwrap();
        let local = "127.0.0.1:9100".parse().unwrap();
        assert_eq!(default.metrics, MetricsListener::Default(local));
        let set = Config::from_env(&Env::from_pairs(&[("METRICS_ADDR", "0.0.0.0:9200")])).unwrap();
        assert_eq!(
            set.metrics,
            MetricsListener::Set("0.0.0.0:9200".parse().unwrap())
        );
        let off = Config::from_env(&Env::from_pairs(&[("METRICS_ADDR", "off")])).unwrap();
        assert_eq!(off.metrics, MetricsListener::Off);
        let bad = Config::from_env(&Env::from_pairs(&[("METRICS_ADDR", "9100")])).unwrap_err();
        assert_eq!(bad.name, "METRICS_ADDR");
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
            cfg.routes.resolve("auth/login").unwrap().0.first().base_url,
            "http://127.0.0.1:5003"
        );
    }

    #[test]
    fn several_urls_are_replicas_and_each_must_be_http() {
        let env = Env::from_pairs(&[("ORDER_SERVICE_URL", "http://a:1,http://b:2")]);
        let cfg = Config::from_env(&env).unwrap();
        let orders = cfg.routes.resolve("orders").unwrap().0;
        assert_eq!(orders.replicas().len(), 2);
        let bad = Env::from_pairs(&[("ORDER_SERVICE_URL", "http://a:1,b:2")]);
        assert_eq!(
            Config::from_env(&bad).unwrap_err().name,
            "ORDER_SERVICE_URL"
        );
    }

    #[test]
    fn shared_quotas_are_off_unless_rate_limit_redis_says_where() {
        let quotas = |value: &str| {
            Config::from_env(&Env::from_pairs(&[("RATE_LIMIT_REDIS", value)]))
                .map(|c| c.shared_quotas)
        };
        assert_eq!(
            Config::from_env(&Env::from_pairs(&[]))
                .unwrap()
                .shared_quotas,
            None
        );
        assert_eq!(quotas("false").unwrap(), None);
        assert_eq!(quotas("true").unwrap(), Some(SharedQuotaStore::OwnRedis));
        assert_eq!(
            quotas("redis://cache:6379").unwrap(),
            Some(SharedQuotaStore::Redis("redis://cache:6379".to_owned()))
        );
        assert_eq!(quotas("maybe").unwrap_err().name, "RATE_LIMIT_REDIS");
    }
}
