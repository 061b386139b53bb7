//! Live alerts (DESIGN.md, "Real time"): every replica consumes `alert.sent` on its own
//! private queue and fans each alert out, through an in-process [`Hub`], to the WebSocket
//! clients connected to it, so a subscriber sees alerts made on any replica.
//!
//! - [`hub`]: subscribers with filters and bounded buffers; a full buffer drops its client.
//! - [`messages`]: the JSON messages the socket sends.
//! - [`ws`]: `GET /ws/alerts`.

pub mod hub;
pub mod messages;
pub mod ws;

use std::sync::Arc;

use axum::{Router, routing::get};
use shared::events::{Bus, ConsumerSpec, Consuming, HandlerError, keys};

pub use hub::{Filter, Hub, Subscription};

use crate::{domain::Alert, state::AppState};

/// `GET /ws/alerts`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/alerts", get(ws::upgrade))
}

/// Consumes `alert.sent` on this replica's private queue into `hub`.
pub fn consume(bus: &Bus, hub: Hub) -> Consuming {
    let spec = ConsumerSpec::per_replica("alert.live", &[keys::ALERT_SENT]);
    bus.consume(spec, move |event| {
        let hub = hub.clone();
        async move {
            let alert: Alert = event
                .data_as()
                .map_err(|e| HandlerError::Reject(format!("malformed alert.sent: {e}")))?;
            let reached = hub::publish(&hub, Arc::new(alert));
            tracing::debug!(reached, "alert fanned out");
            Ok(())
        }
    })
}
