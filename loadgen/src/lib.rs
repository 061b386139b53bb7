//! `loadgen`: the load generator `cargo xtask bench` runs as a second process beside the
//! services it measures. It takes its parameters on the command line, prints progress on
//! stderr and one JSON document with the figures on stdout.
//!
//! # Layout
//! - [`args`]: the command line, parsed into an [`args::Command`].
//! - [`orders`]: `loadgen orders`: the shop's mix through the gateway (browse, search, sign
//!   in, order, follow the order's event stream) at rising rates.
//! - [`streams`]: `loadgen streams`: N SSE and N WebSocket subscribers of one order on one
//!   order-service; memory per stream and the time one change takes to reach them all.
//! - [`drill`]: `loadgen drill` and the gateway's drill tests: an order load, live
//!   subscribers and the delivery guarantees checked around a fault.
//! - [`relay`]: `loadgen relay`: the outbox relay draining a backlog against the broker's
//!   pipelined-confirm ceiling, both measured in the same run.
//! - [`clean`]: `loadgen clean`: what a finished benchmark run left in the broker, MongoDB and
//!   Redis, removed.
//! - [`api`]: the few calls both need (sign in, create a product, place an order, ...).
//! - [`stats`]: percentiles and summaries; [`clock`]: wall-clock times and the services'
//!   RFC 3339 timestamps; [`limits`]: the open-file limit and a process's resident memory.

pub mod api;
pub mod args;
pub mod clean;
pub mod clock;
pub mod drill;
pub mod limits;
pub mod orders;
pub mod relay;
pub mod stats;
pub mod streams;
