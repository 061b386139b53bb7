//! What alert-service consumes and publishes (DESIGN.md, "Events").
//!
//! Consumed on the durable queue of [`topology::ALERTS`], plus `stock.rejected`, which the
//! shared table does not bind there yet (binding is additive, so declaring it here as well
//! is safe): each event becomes at most one alert ([`crate::domain::rules`]). The inbox is the
//! unique `eventId` of the alerts themselves: the alert, its `alert.sent` and the record that
//! the event was handled are one insert, so a redelivery makes no second alert.
//! Published: `alert.sent`, through the alert's own outbox. Consumed again, on a per-replica
//! queue, for the live fan-out ([`crate::live`]).

use std::sync::Arc;

use mongodb::Database;
use shared::{
    ApiError,
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, topology},
    outbox::Nudge,
};
use tokio::sync::Notify;

use crate::{domain::rules, store::alerts};

/// What the consumer needs.
#[derive(Clone)]
pub struct Handler {
    /// The service's database.
    pub db: Database,
    /// Wakes the outbox relay after an alert is stored.
    pub outbox: Nudge,
    /// Wakes the webhook worker, when there is one.
    pub webhook: Option<Arc<Notify>>,
}

/// The consumer's queue: the shared definition, plus `stock.rejected`.
pub fn spec() -> ConsumerSpec {
    let mut spec = ConsumerSpec::from(topology::ALERTS);
    for key in rules::KEYS {
        if !spec.bindings.iter().any(|k| k == key) {
            spec.bindings.push(key.to_owned());
        }
    }
    spec
}

/// Starts consuming.
pub fn consume(bus: &Bus, handler: Handler) -> Consuming {
    bus.consume(spec(), move |event| {
        let handler = handler.clone();
        async move { handler.handle(event).await }
    })
}

fn transient(e: ApiError) -> HandlerError {
    HandlerError::from(e)
}

impl Handler {
    /// Makes and stores the alert of `event`, once.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
    pub async fn handle(&self, event: Envelope) -> Result<(), HandlerError> {
        let Some(new) = rules::alert_for(&event).map_err(HandlerError::Reject)? else {
            return Ok(());
        };
        let event_id = event.id.to_string();
        // No look for an alert of this event first: the unique `eventId` decides, and a
        // redelivery (rare) only leaves a gap in the sequence, which replays allow. The look
        // was a read per event for nothing (`cargo xtask bench orders`, issue 22).
        let seq = alerts::next_sequence(&self.db).await.map_err(transient)?;
        let stored = alerts::insert(
            &self.db,
            &self.outbox,
            &new,
            &event_id,
            seq,
            self.webhook.is_some(),
            &event.correlation_id,
        )
        .await
        .map_err(transient)?;
        let Some(alert) = stored else {
            tracing::debug!("alert already made for this event");
            return Ok(());
        };
        metrics::counter!("alerts_created_total", "type" => alert.kind.clone(), "severity" => alert.severity.as_str())
            .increment(1);
        tracing::info!(alert.id = %alert.id, severity = %alert.severity, "alert made");
        if let Some(webhook) = &self.webhook {
            webhook.notify_one();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use shared::events::keys;

    use super::*;

    #[test]
    fn the_queue_binds_the_shared_keys_and_stock_rejected_once() {
        let spec = spec();
        assert!(spec.bindings.iter().any(|k| k == keys::STOCK_REJECTED));
        for key in rules::KEYS {
            assert_eq!(spec.bindings.iter().filter(|k| *k == key).count(), 1);
        }
        assert_eq!(spec.queue, topology::ALERTS.suffix);
    }
}
