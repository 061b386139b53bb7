//! The gateway: the one entry point of the shop suite. It routes `/api/<area>/...` to the
//! owning service over pooled connections, streams bodies both ways, and aggregates health.
//!
//! # Layout
//! - `config`: the settings, including the service URLs.
//! - `routing`: the routing table (area prefix to service).
//! - `state`: the pooled client and the table.
//! - `guard`: the door: token check, rate limits (`ratelimit`), role rules (`access`) and
//!   validation (`validate`) before anything is forwarded.
//! - `api/`: the route table (access, query and body rules) and the OpenAPI document made from it.
//! - `routes/`: `/api/health`, `/api/openapi.json`, `/api/docs`, the streaming proxy and the
//!   WebSocket relay.
//! - `lane`: the fast lane — bodiless `GET`/`HEAD`/`DELETE` requests proxied straight off
//!   the connection, through the same `guard`; `serve`: the accept loop that hands every
//!   other request to hyper and the router (`serve/drain`: the body of a refused request;
//!   `serve/per_client`: the cap on connections per client address).
//! - `telemetry`: request ids, spans, metrics and panics, in one layer (the gateway's
//!   lighter version of `shared::telemetry::layer`); `/metrics` has a listener of its own
//!   (`METRICS_ADDR`), never the public port.
//! - `web`: the storefront and the console, built files from `WEB_ROOT`, for every `GET` no
//!   API route takes.

pub mod access;
pub mod api;
pub mod config;
pub mod guard;
pub mod lane;
pub mod ratelimit;
pub mod routes;
pub mod routing;
pub mod serve;
pub mod state;
pub mod telemetry;
pub mod validate;
pub mod web;

use axum::Router;
use shared::server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

pub use config::{Config, DEFAULTS};
pub use state::AppState;

/// The gateway's routes over `state`, with CORS from `cors_origins`.
pub fn app(state: AppState, cors_origins: &[String]) -> Router {
    response_layers(routes::router(state), cors_origins)
}

/// What every answer gets on its way out: CORS, and security headers unless the service set
/// its own. (The fast lane reads off these layers what they add.)
fn response_layers(router: Router, cors_origins: &[String]) -> Router {
    use axum::http::{HeaderName, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    let header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    router
        .layer(cors(cors_origins))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header(
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new().allow_methods(Any).allow_headers(Any);
    if origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        let list = origins
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect::<Vec<_>>();
        layer.allow_origin(AllowOrigin::list(list))
    }
}

/// Connects Redis (without waiting for it) and serves on `listener` until `cancel` fires,
/// with `/metrics` on the listener `METRICS_ADDR` names.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    let metrics = match config.metrics {
        config::MetricsListener::Off => None,
        config::MetricsListener::Set(addr) => Some(TcpListener::bind(addr).await?),
        config::MetricsListener::Default(addr) => match TcpListener::bind(addr).await {
            Ok(listener) => Some(listener),
            Err(e) => {
                tracing::warn!(%addr, error = %e, "cannot serve /metrics; set METRICS_ADDR");
                None
            }
        },
    };
    run_with_metrics(config, listener, metrics, cancel).await
}

/// [`run`], with `/metrics` on `metrics` (tests bind it on a port of their own).
pub async fn run_with_metrics(
    config: Config,
    listener: TcpListener,
    metrics: Option<TcpListener>,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    // Install the recorder before the first request is counted.
    let _ = shared::telemetry::metrics_handle();
    if let Some(metrics) = metrics {
        serve_metrics(metrics, cancel.clone())?;
    }
    let client = state::upstream_client(&config).map_err(std::io::Error::other)?;
    let upstream = routes::proxy::upstream_client(&config);
    let mut limits = ratelimit::RateLimits::new(config.quotas);
    limits.purge_periodically(cancel.clone());
    let infra = shared::server::Infra::connect(&config.service, &cancel).await?;
    if let Some(store) = &config.shared_quotas {
        let prefix = config
            .service
            .redis
            .as_ref()
            .map(|r| r.prefix.clone())
            .unwrap_or_default();
        let redis = match (store, &infra.redis) {
            (config::SharedQuotaStore::OwnRedis, Some(redis)) => redis.clone(),
            (config::SharedQuotaStore::OwnRedis, None) => shared::store::Redis::start(
                &shared::config::RedisConfig {
                    url: shared::config::DEFAULT_REDIS_URL.to_owned(),
                    prefix,
                },
                cancel.clone(),
            )
            .map_err(std::io::Error::other)?,
            (config::SharedQuotaStore::Redis(url), _) => shared::store::Redis::start(
                &shared::config::RedisConfig {
                    url: url.clone(),
                    prefix,
                },
                cancel.clone(),
            )
            .map_err(std::io::Error::other)?,
        };
        tracing::info!("rate limits shared by every gateway replica through redis");
        limits = limits.shared_through(ratelimit::SharedQuotas::new(redis));
    }
    let health = infra.health.clone();
    let state = AppState::new(state::Shared {
        infra,
        upstream,
        client,
        routes: std::sync::Arc::new(config.routes.clone()),
        limits,
        max_body_bytes: config.max_body_bytes,
        trusted_proxy_header: config.trusted_proxy_header.clone(),
        connect_timeout: config.connect_timeout,
        read_timeout: config.read_timeout,
        clients: config.clients,
        web: web::Web::new(&config.web_root),
    });
    let telemetry = telemetry::TelemetryLayer::default();
    let origins = &config.cors_origins;
    let lane = lane::Lane::new(&state, |r| response_layers(r, origins), telemetry.clone()).await;
    let router = finish(app(state.clone(), origins), health, telemetry);
    let grace = config.service.shutdown_grace;
    let result = serve::serve(
        listener,
        router,
        state,
        std::sync::Arc::new(lane),
        cancel.clone(),
        grace,
    )
    .await;
    cancel.cancel();
    Ok(result?)
}

/// `/metrics` on its own listener, until `cancel` fires. Not on the public port: it told
/// anyone per-route counts and rate-limit hits (issue 14, item 0b).
fn serve_metrics(listener: TcpListener, cancel: CancellationToken) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving /metrics");
    let router = Router::new().route(
        "/metrics",
        axum::routing::get(shared::telemetry::metrics_endpoint),
    );
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(cancel.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "the /metrics listener failed");
        }
    });
    Ok(())
}

/// What `shared::server::finish` adds to every service (`/health`; the 404 envelope is the
/// web fallback's, in `routes`), with the gateway's own telemetry layer instead of the shared
/// one; `/metrics` is served apart ([`serve_metrics`]).
fn finish(
    router: Router,
    health: shared::health::Health,
    telemetry: telemetry::TelemetryLayer,
) -> Router {
    router.merge(health.router()).layer(telemetry)
}
