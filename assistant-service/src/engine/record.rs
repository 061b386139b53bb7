//! The events of a turn: `assistant.replied` for every answer, `support.escalated` for a
//! complaint, `assistant.wrongdoing` for a refused request for other customers' data or for
//! breaking into the shop's systems. All are written to MongoDB with the event in the document's outbox (replies in
//! batches, by the [`Recorder`]); the relay publishes them with confirms. An escalation is written before the answer says it was passed
//! on; if MongoDB is down it is published directly, and only if that fails too does the answer
//! say it could not be passed on.

use std::sync::Arc;

use shared::{
    events::{Bus, Envelope, keys},
    outbox::Nudge,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{ChatReply, Engine, Turn};
use crate::{
    domain::Wrongdoing,
    events::payloads::{self, Escalated, Replied},
    session::Session,
    store,
};

/// How many replies one write may carry.
const MAX_BATCH: usize = 128;
/// Replies waiting for their write; beyond this, a reply goes unrecorded (and is counted)
/// rather than slowing the answers down.
const QUEUE: usize = 8192;

/// Writes the replies' records and their `assistant.replied` events in the background, many
/// to a document when they come quickly. Every reply used to be its own insert plus the relay's
/// update; under load those writes queued in front of a complaint's escalation, the one write
/// an answer waits for. Now a burst of replies costs one insert and one relay update.
#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::Sender<(Replied, Envelope)>,
}

impl Recorder {
    /// Starts the writer; it writes what is queued when `cancel` fires, then stops.
    pub fn spawn(
        db: mongodb::Database,
        nudge: Nudge,
        bus: Option<Bus>,
        cancel: CancellationToken,
    ) -> Self {
        let (queue, mut pending) = mpsc::channel(QUEUE);
        tokio::spawn(async move {
            loop {
                let first = tokio::select! {
                    () = cancel.cancelled() => break,
                    next = pending.recv() => match next {
                        Some(reply) => reply,
                        None => return,
                    },
                };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match pending.try_recv() {
                        Ok(reply) => batch.push(reply),
                        Err(_) => break,
                    }
                }
                write(&db, &nudge, bus.as_ref(), batch).await;
            }
            pending.close();
            let mut rest = Vec::new();
            while let Ok(reply) = pending.try_recv() {
                rest.push(reply);
            }
            for batch in rest.chunks(MAX_BATCH) {
                write(&db, &nudge, bus.as_ref(), batch.to_vec()).await;
            }
        });
        Self { queue }
    }

    fn record(&self, payload: Replied, event: Envelope) {
        if self.queue.try_send((payload, event)).is_err() {
            metrics::counter!("assistant_replies_unrecorded_total").increment(1);
            tracing::debug!("reply queue full; this reply is not recorded");
        }
    }
}

/// One document for `batch`: the replies and their events in its outbox. When MongoDB refuses
/// it, the events go straight to the broker so analytics still counts the replies.
async fn write(
    db: &mongodb::Database,
    nudge: &Nudge,
    bus: Option<&Bus>,
    batch: Vec<(Replied, Envelope)>,
) {
    let events: Vec<Envelope> = batch.iter().map(|(_, event)| event.clone()).collect();
    match store::insert_replies(db, &batch).await {
        Ok(()) => nudge.nudge_collection(store::REPLIES),
        Err(e) => {
            tracing::warn!(error = %e, replies = batch.len(), "replies not stored; publishing their events directly");
            let Some(bus) = bus else { return };
            for event in &events {
                if let Err(e) = bus.publish(event).await {
                    tracing::warn!(error = %e, "an assistant.replied event is lost");
                }
            }
        }
    }
}

/// Queues the reply's record and its event: analytics must not slow the answer.
pub(super) fn replied(
    engine: &Arc<Engine>,
    session: &Session,
    reply: &ChatReply,
    request_id: &str,
) {
    let payload = Replied {
        session_id: session.id.clone(),
        customer_id: session.owner.clone(),
        intent: reply.intent.clone(),
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
    engine.recorder.record(payload, event);
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
    let stored = store_or_publish(
        engine,
        turn,
        (keys::SUPPORT_ESCALATED, store::ESCALATIONS),
        &payload,
        "an escalation",
    )
    .await;
    if stored == Some(true) {
        metrics::counter!("assistant_escalations_total").increment(1);
    }
    stored.is_some()
}

/// Writes `record` to `collection` with its `key` event in the outbox (then nudges the relay):
/// `Some(true)`. When MongoDB refuses, publishes the event directly: `Some(false)`; `None`
/// (logged) if both fail or the event cannot be made.
async fn store_or_publish<T: serde::Serialize>(
    engine: &Engine,
    turn: &Turn,
    (key, collection): (&str, &str),
    record: &T,
    what: &str,
) -> Option<bool> {
    let event = match Envelope::new(key, crate::DEFAULTS.name, &turn.request_id, record).to_value()
    {
        Ok(event) => event,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise {what}");
            return None;
        }
    };
    match store::insert_with_event(&engine.db, collection, record, &event).await {
        Ok(()) => {
            engine.nudge.nudge_collection(collection);
            Some(true)
        }
        Err(e) => {
            tracing::warn!(error = %e, "{what} not stored; publishing it directly");
            let bus = engine.bus.as_ref()?;
            match bus.publish(&event).await {
                Ok(()) => Some(false),
                Err(e) => {
                    tracing::error!(error = %e, "{what} could not be passed on");
                    None
                }
            }
        }
    }
}

/// The longest part of a refused message kept in the security alert.
const INCIDENT_MESSAGE_CHARS: usize = 500;

/// Raises the security alert of a refused request for wrongdoing of `kind`: the incident and
/// its `assistant.wrongdoing` event written together (the outbox), or the event published
/// directly when MongoDB refuses; `false` (logged) only if both fail. The refusal is answered
/// either way.
pub(super) async fn security_incident(
    engine: &Engine,
    session: &Session,
    turn: &Turn,
    kind: Wrongdoing,
) -> bool {
    let payload = payloads::Wrongdoing {
        incident_id: uuid::Uuid::now_v7().to_string(),
        session_id: session.id.clone(),
        customer_id: session.owner.clone(),
        customer_name: session.customer.as_ref().and_then(|c| c.name.clone()),
        kind: kind.as_str().to_owned(),
        message: turn.message.chars().take(INCIDENT_MESSAGE_CHARS).collect(),
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    tracing::warn!(kind = kind.as_str(), session = %session.id, "refused a request for wrongdoing; alerting the admins");
    store_or_publish(
        engine,
        turn,
        (keys::ASSISTANT_WRONGDOING, store::SECURITY_INCIDENTS),
        &payload,
        "a security incident",
    )
    .await
    .is_some()
}
