//! The event envelope every message on the bus carries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use uuid::Uuid;

/// `{"id", "type", "occurredAt", "source", "correlationId", "version", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T = serde_json::Value> {
    /// Unique, time-ordered (UUID v7); consumers deduplicate on it.
    pub id: Uuid,
    /// The routing key, e.g. `order.created`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// The publishing service.
    pub source: String,
    /// The request id that caused it.
    pub correlation_id: String,
    /// Payload schema version.
    pub version: u32,
    /// The payload.
    pub data: T,
    /// The W3C trace context of the span that made the event (the request or the consumed
    /// event that caused it), kept with the event in the outbox so that the relay publishes it
    /// in the trace it belongs to; absent when tracing is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The `tracestate` that goes with [`Envelope::traceparent`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
    /// Who caused the event: the signed-in caller of the request that staged it; absent for
    /// what the system did on its own (a consumer, a poller) or an anonymous request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<crate::auth::actor::Actor>,
}

impl<T: Serialize> Envelope<T> {
    /// A new event of `kind` from `source`, version 1, in the trace of the current span. A
    /// correlation id that is not an acceptable request id
    /// ([`crate::telemetry::is_acceptable_request_id`]) is replaced by a fresh one, so what is
    /// stored can always be published.
    pub fn new(kind: &str, source: &str, correlation_id: impl Into<String>, data: T) -> Self {
        let mut correlation_id = correlation_id.into();
        if !crate::telemetry::is_acceptable_request_id(correlation_id.as_bytes()) {
            correlation_id = crate::telemetry::new_request_id();
        }
        let (traceparent, tracestate) = crate::telemetry::trace::current_parts().unzip();
        Self {
            id: Uuid::now_v7(),
            kind: kind.to_owned(),
            occurred_at: Utc::now(),
            source: source.to_owned(),
            correlation_id,
            version: 1,
            data,
            traceparent,
            tracestate: tracestate.flatten(),
            actor: crate::auth::actor::current(),
        }
    }

    /// The same event with its payload as untyped JSON, as the bus carries it.
    pub fn to_value(&self) -> Result<Envelope, serde_json::Error> {
        Ok(Envelope {
            id: self.id,
            kind: self.kind.clone(),
            occurred_at: self.occurred_at,
            source: self.source.clone(),
            correlation_id: self.correlation_id.clone(),
            version: self.version,
            data: serde_json::to_value(&self.data)?,
            traceparent: self.traceparent.clone(),
            tracestate: self.tracestate.clone(),
            actor: self.actor.clone(),
        })
    }
}

impl Envelope {
    /// The payload as a typed value.
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correlation_id_that_is_not_an_acceptable_request_id_is_replaced() {
        let long = "x".repeat(60_000);
        for given in [long.as_str(), "line\nbreak", ""] {
            let event = Envelope::new("order.created", "order-service", given, 1);
            assert_ne!(event.correlation_id, given);
            assert!(crate::telemetry::is_acceptable_request_id(
                event.correlation_id.as_bytes()
            ));
        }
        let kept = Envelope::new("order.created", "order-service", "req-1", 1);
        assert_eq!(kept.correlation_id, "req-1");
    }

    #[test]
    fn the_wire_form_uses_the_documented_field_names() {
        let event = Envelope::new(
            "order.created",
            "order-service",
            "req-1",
            serde_json::json!({"a": 1}),
        );
        let wire = serde_json::to_value(&event).unwrap();
        for field in [
            "id",
            "type",
            "occurredAt",
            "source",
            "correlationId",
            "version",
            "data",
        ] {
            assert!(wire.get(field).is_some(), "missing {field} in {wire}");
        }
        assert_eq!(wire["type"], "order.created");
        assert_eq!(event.id.get_version_num(), 7);
        let back: Envelope = serde_json::from_value(wire).unwrap();
        assert_eq!(back, event);
    }
}
