//! Live alerts (DESIGN.md, "Real time"): every replica consumes `alert.sent` and
//! `notification.created` on its own private queue and fans each out, through an in-process
//! [`Hub`], to the WebSocket clients connected to it, so a subscriber sees alerts (and, on
//! topic `me`, their own notifications) made on any replica.
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

pub use hub::{Filter, Hub, Live, Subscription};

use crate::{
    domain::{Alert, notification::Notification},
    state::AppState,
};

/// `GET /ws/alerts`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/alerts", get(ws::upgrade))
}

/// Consumes `alert.sent` and `notification.created` on this replica's private queue into
/// `hub`.
pub fn consume(bus: &Bus, hub: Hub) -> Consuming {
    let spec = ConsumerSpec::per_replica(
        "alert.live",
        &[keys::ALERT_SENT, keys::NOTIFICATION_CREATED],
    );
    bus.consume(spec, move |event| {
        let hub = hub.clone();
        async move {
            let malformed = |e: serde_json::Error| {
                HandlerError::Reject(format!("malformed {}: {e}", event.kind))
            };
            if event.kind == keys::NOTIFICATION_CREATED {
                let notification: Notification = event.data_as().map_err(malformed)?;
                let reached = hub::publish_notification(&hub, Arc::new(notification));
                tracing::debug!(reached, "notification fanned out");
                return Ok(());
            }
            let alert: Alert = event.data_as().map_err(malformed)?;
            let reached = hub::publish(&hub, Arc::new(alert));
            tracing::debug!(reached, "alert fanned out");
            Ok(())
        }
    })
}
