//! What the gateway's handlers share.

use std::{ops::Deref, sync::Arc};

use shared::server::Infra;

use crate::{routes::proxy::UpstreamClient, routing::RouteTable};

/// Cheap to clone (one reference count): handlers receive a clone per request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state over `shared`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Everything the handlers share.
pub struct Shared {
    /// Redis and the health probes.
    pub infra: Infra,
    /// The pooled client forwarded requests go through.
    pub upstream: UpstreamClient,
    /// A general client (health checks of the services).
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
    /// How long a client may take, and how many connections it may hold.
    pub clients: crate::config::ClientLimits,
    /// The built web front end (`WEB_ROOT`).
    pub web: crate::web::Web,
}

/// One pooled client for the health checks, with the configured timeouts and no redirects.
pub fn upstream_client(config: &crate::Config) -> Result<reqwest::Client, reqwest::Error> {
    shared::http::client_builder(&config.service.tls)
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}
