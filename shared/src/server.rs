//! Serving a service: connecting its dependencies without blocking, adding the shared routes
//! (`/health`, `/metrics`) and middleware, and shutting down gracefully.

use std::time::Duration;

use axum::{Router, routing::get};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::ServiceConfig,
    error::ApiError,
    events::Bus,
    health::{Health, Probe},
    store::Redis,
};

/// A service could not start: a setting is malformed (never because a dependency is down).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The MongoDB URI is malformed.
    #[error("MONGODB_URI: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// The Redis URL is malformed.
    #[error("REDIS_URL: {0}")]
    Redis(#[from] redis::RedisError),
    /// `JWT_PUBLIC_KEY` is not an Ed25519 public key.
    #[error("JWT_PUBLIC_KEY: {0}")]
    Auth(String),
    /// The listener failed.
    #[error("cannot serve: {0}")]
    Io(#[from] std::io::Error),
}

/// The live dependencies of a service, each present when its configuration asks for it.
#[derive(Clone)]
pub struct Infra {
    /// The service's own database.
    pub db: Option<mongodb::Database>,
    /// The event bus.
    pub bus: Option<Bus>,
    /// Redis.
    pub redis: Option<Redis>,
    /// The health check over all of them.
    pub health: Health,
    /// Verifies callers' access tokens (and their revocation, where Redis is configured).
    pub verifier: crate::auth::Verifier,
}

impl Infra {
    /// Connects everything in the background; returns at once even when all of it is down.
    pub async fn connect(
        cfg: &ServiceConfig,
        cancel: &CancellationToken,
    ) -> Result<Self, StartError> {
        if cfg.environment == crate::config::Environment::Development {
            tracing::warn!(
                "APP_ENV=development: development secrets (demo admin password, throwaway keys) are allowed; never run it like this in production"
            );
        }
        let mut probes = Vec::new();
        let db = match &cfg.mongo {
            Some(m) => Some(crate::store::mongo(m, cfg.name).await?),
            None => None,
        };
        if let Some(db) = &db {
            probes.push(Probe::Mongo(db.clone()));
        }
        let bus = cfg
            .broker
            .clone()
            .map(|b| Bus::start(b, cfg.name, cancel.clone()));
        if let Some(bus) = &bus {
            probes.push(Probe::Broker(bus.clone()));
        }
        let redis = match &cfg.redis {
            Some(r) => Some(Redis::start(r, cancel.clone())?),
            None => None,
        };
        if let Some(redis) = &redis {
            probes.push(Probe::Redis(redis.clone()));
        }
        let verifier = crate::auth::Verifier::with_trust(cfg.auth.clone(), redis.clone(), &cfg.tls)
            .map_err(|e| StartError::Auth(e.to_string()))?;
        verifier.watch_revocations(cancel.clone());
        Ok(Self {
            db,
            bus,
            redis,
            health: Health::new(cfg.name, probes),
            verifier,
        })
    }

    /// The database, for services that always have one.
    pub fn db(&self) -> &mongodb::Database {
        self.db
            .as_ref()
            .expect("this service is configured with a database")
    }

    /// The bus, for services that always have one.
    pub fn bus(&self) -> &Bus {
        self.bus
            .as_ref()
            .expect("this service is configured with a broker")
    }

    /// Starts the outbox relay over `collections` (and the parked events' notices), polling
    /// every `poll` when no write nudges it, watched by `/health`, until `cancel`; returns the
    /// handle writers nudge it with.
    pub fn relay(
        &self,
        collections: &[&str],
        poll: Duration,
        cancel: &CancellationToken,
    ) -> crate::outbox::Nudge {
        let relay =
            crate::outbox::Relay::new(self.db().clone(), collections, self.bus().clone(), poll);
        self.health.watch(relay.heartbeat());
        let nudge = relay.nudge();
        relay.spawn(cancel.clone());
        nudge
    }

    /// Creates the service's indexes in the background, retrying with backoff while the
    /// database is down or refuses, and then runs `then`: start a consumer whose inbox is a
    /// unique index, or mark a [`crate::health::Readiness`]. Nothing runs `then` if `cancel`
    /// fires first.
    pub fn after_indexes<Fut, E>(
        &self,
        cancel: &CancellationToken,
        ensure: impl Fn(mongodb::Database) -> Fut + Send + Sync + 'static,
        then: impl FnOnce() + Send + 'static,
    ) where
        Fut: std::future::Future<Output = Result<(), E>> + Send,
        E: std::fmt::Display,
    {
        let db = self.db().clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let indexed = crate::retry::STARTUP
                .until_ok(
                    &cancel,
                    || ensure(db.clone()),
                    |e, wait| tracing::warn!(error = %e, ?wait, "cannot create indexes yet"),
                )
                .await;
            if indexed.is_some() {
                tracing::info!("indexes in place");
                then();
            }
        });
    }
}

/// Adds `/health`, `/metrics`, the 404 fallback in our envelope, and the shared middleware.
pub fn finish(router: Router, service: &'static str, health: Health) -> Router {
    // Install the recorder before the first request is counted.
    let _ = crate::telemetry::metrics_handle();
    let router = router
        .merge(health.router())
        .route("/metrics", get(crate::telemetry::metrics_endpoint))
        .fallback(|| async { ApiError::NotFound("no such route".to_owned()) });
    crate::telemetry::layer(router, service)
}

/// Serves `router` until `cancel` fires, then lets in-flight requests finish for at most
/// `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    cancel: CancellationToken,
    grace: Duration,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(cancel.clone().cancelled_owned());
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => return result,
        () = cancel.cancelled() => {}
    }
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                ?grace,
                "in-flight requests did not finish in time; stopping anyway"
            );
            Ok(())
        }
    }
}

/// Cancels `cancel` on SIGTERM or Ctrl-C.
pub fn cancel_on_signal(cancel: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
        tracing::info!("shutdown signal received");
        cancel.cancel();
    });
}

/// Runs a service: connects its dependencies, builds its router with `build`, adds the shared
/// routes and middleware, and serves until `cancel` fires. Cancels `cancel` on the way out, so
/// consumers and relays started by `build` stop too.
pub async fn run_service<F>(
    cfg: &ServiceConfig,
    listener: TcpListener,
    cancel: CancellationToken,
    build: F,
) -> Result<(), StartError>
where
    F: FnOnce(Infra) -> Router,
{
    let infra = Infra::connect(cfg, &cancel).await?;
    let health = infra.health.clone();
    let router = finish(build(infra), cfg.name, health);
    let result = serve(listener, router, cancel.clone(), cfg.shutdown_grace).await;
    cancel.cancel();
    Ok(result?)
}

/// The body of every service's `main`: reads the configuration (exiting with a message naming
/// the bad variable), starts logging, binds, and runs until SIGTERM or Ctrl-C.
pub fn main<C, R, Fut>(
    service: &'static str,
    load: impl FnOnce(&crate::config::Env) -> Result<C, crate::config::ConfigError>,
    bind_address: impl FnOnce(&C) -> String,
    run: R,
) -> std::process::ExitCode
where
    R: FnOnce(C, TcpListener, CancellationToken) -> Fut,
    Fut: std::future::Future<Output = Result<(), StartError>>,
{
    let tracing = crate::telemetry::init(service);
    let config = match load(&crate::config::Env::process()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            eprintln!("{service}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{service}: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let address = bind_address(&config);
        let listener = TcpListener::bind(&address).await.map_err(|e| {
            StartError::Io(std::io::Error::new(
                e.kind(),
                format!("cannot bind {address}: {e}"),
            ))
        })?;
        let cancel = CancellationToken::new();
        cancel_on_signal(cancel.clone());
        run(config, listener, cancel).await
    });
    // The last spans (the shutdown's own) go out before the process ends.
    if let Some(tracing) = tracing {
        tracing.shutdown();
    }
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "stopped with an error");
            eprintln!("{service}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
