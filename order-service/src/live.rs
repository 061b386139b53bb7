//! Live order updates (DESIGN.md, "Real time"): every replica consumes `order.status_changed`
//! on its own private queue and fans each change out, through an in-process [`Hub`], to the
//! SSE and WebSocket clients connected to it, so a client sees changes made on any replica.
//!
//! - [`hub`]: subscribers with bounded buffers; a full buffer drops its client.
//! - [`messages`]: the JSON messages both transports send.
//! - [`resume`]: replay after a client's last index, and filling gaps in the live feed.
//! - [`sse`]: `GET /orders/{id}/stream`.
//! - [`ws`]: `GET /ws/orders`.

pub mod hub;
pub mod messages;
pub mod resume;
pub mod sse;
pub mod ws;

use std::sync::Arc;

use axum::{Router, routing::get};
use shared::events::{Bus, ConsumerSpec, Consuming, HandlerError, keys};

pub use hub::{Filter, Hub, Subscription};

use crate::{events::StatusChanged, state::AppState};

/// `GET /orders/{id}/stream` and `GET /ws/orders`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}/stream", get(sse::stream))
        .route("/ws/orders", get(ws::upgrade))
}

/// Consumes `order.status_changed` on this replica's private queue into `hub`.
pub fn consume(bus: &Bus, hub: Hub) -> Consuming {
    let spec = ConsumerSpec::per_replica("order.live", &[keys::ORDER_STATUS_CHANGED]);
    bus.consume(spec, move |event| {
        let hub = hub.clone();
        async move {
            let change: StatusChanged = event.data_as().map_err(|e| {
                HandlerError::Reject(format!("malformed order.status_changed: {e}"))
            })?;
            let reached = hub::publish(&hub, Arc::new(change));
            tracing::debug!(reached, "status change fanned out");
            Ok(())
        }
    })
}
