//! The events of a turn: `assistant.replied` for every answer, `support.escalated` for a
//! complaint. Both are written to MongoDB with the event in the document's outbox; the relay
//! publishes them with confirms. An escalation is written before the answer says it was passed
//! on; if MongoDB is down it is published directly, and only if that fails too does the answer
//! say it could not be passed on.

use std::sync::Arc;

use shared::events::{Envelope, keys};

use super::{ChatReply, Engine, Turn};
use crate::{
    events::payloads::{Escalated, Replied},
    session::Session,
    store,
};

/// Records the reply and its event in the background: analytics must not slow the answer.
pub(super) fn replied(
    engine: &Arc<Engine>,
    session: &Session,
    reply: &ChatReply,
    request_id: &str,
) {
    let payload = Replied {
        session_id: session.id.clone(),
        customer_id: session.owner.clone(),
        intent: reply.intent.as_str().to_owned(),
        confidence: reply.metadata.confidence,
        functions: reply.functions_called.clone(),
        latency_ms: reply.metadata.processing_time,
        citations: reply.citations.clone(),
        citations_valid: reply.metadata.citations_valid,
        llm: reply.metadata.llm,
    };
    let Ok(event) = Envelope::new(
        keys::ASSISTANT_REPLIED,
        crate::DEFAULTS.name,
        request_id,
        &payload,
    )
    .to_value() else {
        return;
    };
    let engine = engine.clone();
    tokio::spawn(async move {
        match store::insert_with_event(&engine.db, store::REPLIES, &payload, &event).await {
            Ok(()) => engine.nudge.nudge(),
            Err(e) => tracing::warn!(error = %e, "reply not recorded; its analytics event is lost"),
        }
    });
}

/// Passes the complaint in `turn` on; `true` once it is durably on its way.
pub(super) async fn escalate(engine: &Engine, session: &Session, turn: &Turn) -> bool {
    let order_id = crate::domain::text::order_ids(&turn.message)
        .into_iter()
        .next()
        .or_else(|| session.last_order_id.clone());
    let payload = Escalated {
        escalation_id: uuid::Uuid::now_v7().to_string(),
        session_id: session.id.clone(),
        customer_id: session.owner.clone(),
        customer_name: session.customer.as_ref().and_then(|c| c.name.clone()),
        order_id,
        message: turn.message.clone(),
        severity: "high".to_owned(),
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    let event = match Envelope::new(
        keys::SUPPORT_ESCALATED,
        crate::DEFAULTS.name,
        &turn.request_id,
        &payload,
    )
    .to_value()
    {
        Ok(event) => event,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise an escalation");
            return false;
        }
    };
    match store::insert_with_event(&engine.db, store::ESCALATIONS, &payload, &event).await {
        Ok(()) => {
            engine.nudge.nudge();
            metrics::counter!("assistant_escalations_total").increment(1);
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "escalation not stored; publishing it directly");
            let Some(bus) = &engine.bus else { return false };
            match bus.publish(&event).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(error = %e, "escalation could not be passed on");
                    false
                }
            }
        }
    }
}
