//! What the gateway's handlers share.

use std::sync::Arc;

use shared::server::Infra;

use crate::routing::RouteTable;

/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Redis and the health probes.
    pub infra: Infra,
    /// One pooled HTTP client for every upstream.
    pub client: reqwest::Client,
    /// Which service owns which area.
    pub routes: Arc<RouteTable>,
    /// Rate limiters per route class.
    pub limits: crate::ratelimit::RateLimits,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// How long to wait for a service to accept a connection.
    pub connect_timeout: std::time::Duration,
    /// How long to wait for an upstream's headers, and for each chunk of a body that is not
    /// an event stream (event streams stay open as long as the service keeps them).
    pub read_timeout: std::time::Duration,
    /// A header set by a trusted proxy in front of the gateway that carries the client address.
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
}

/// One pooled client for every upstream, with the configured timeouts and no redirects
/// (an upstream's redirect goes back to the caller as it is).
pub fn upstream_client(config: &crate::Config) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}
