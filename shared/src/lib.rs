//! `shared`: what every service of the shop suite needs, once.
//!
//! # Layout
//! - [`api`]: the public API's request bodies as types (serde, garde rules, utoipa schemas),
//!   shared by the gateway, the services and the OpenAPI document.
//! - [`auth`]: roles, token claims, verification and the `Caller` extractor.
//! - [`client`]: calling another service (timeouts, the caller's token and request id, one
//!   reading of the answer's status).
//! - [`config`]: typed settings from environment variables, failing with the variable's name.
//! - `embed` (feature `embed`): sentence embeddings (all-MiniLM-L6-v2 on candle), offline.
//! - [`error`]: [`error::ApiError`], the JSON envelope of every response, and
//!   [`error::Problems`], which gathers every bad field of a request into one answer.
//! - [`money`]: [`money::Money`], exact integer cents parsed and printed the one way.
//! - [`extract`]: extractors that answer bad input in that envelope (`AppJson`, `Valid`, `ObjectIdPath`).
//! - [`telemetry`]: JSON logs, request ids, Prometheus metrics and the HTTP middleware stack;
//!   `telemetry::trace`: W3C trace context in and out, OTLP export.
//! - [`events`]: the event envelope and the RabbitMQ bus (confirms, acks, retries, reconnects).
//! - [`outbox`]: events written with the state change, and the relay that publishes them.
//! - [`payment`]: the payment provider trait, the card rules and the built-in `test` provider.
//! - [`retry`]: backoff with a cap and jitter, for every retry after a failure.
//! - [`store`]: MongoDB and Redis connections that never block start-up.
//! - [`http`]: every outbound reqwest client, over rustls (ring) with the system's and extra CAs.
//! - [`health`]: `/health` from dependency probes.
//! - [`supervise`]: background tasks restarted when they die, and heartbeats for `/health`.
//! - [`server`]: serving a router with the shared routes, middleware and graceful shutdown.
//! - [`ws`]: the WebSocket scaffold: authenticated upgrade, close codes, one session driver.
//! - `testing` (feature `test-support`): isolated names, a severable TCP proxy, polling, and a
//!   local HTTPS server under a test CA.

pub mod api;
pub mod auth;
pub mod client;
pub mod config;
#[cfg(feature = "embed")]
pub mod embed;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod http;
pub mod live;
pub mod money;
pub mod outbox;
pub mod payment;
pub mod retry;
pub mod server;
pub mod store;
pub mod supervise;
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod ws;

pub use error::{ApiError, Problems, Result};
pub use money::Money;
