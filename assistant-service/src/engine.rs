//! One turn of a conversation: open the session, classify, answer (calling functions), let the
//! LLM phrase it when one is configured, check citations and identity, remember, publish.
//!
//! - `answer`: the deterministic answer of each intent, calling functions as needed.
//! - `phrasing`, `catalog`, `loyalty`: how orders, products and points are described in words
//!   (`loyalty` also calls `getLoyalty`).
//! - `grounding`: the LLM prompt and the checks its draft must pass.
//! - `record`: the `assistant.replied` and `support.escalated` events.
//! - `returns`: the caller's returnable orders beside the returns policy.

mod answer;
mod catalog;
mod grounding;
mod loyalty;
mod phrasing;
mod record;
mod returns;

pub use record::Recorder;

use std::{sync::Arc, time::Instant};

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use shared::{ApiError, auth::Caller, outbox::Nudge};
use tokio::sync::mpsc::UnboundedSender;

use crate::{
    domain::{Classification, Classifier, Intent, KnowledgeBase, Persona, citations},
    functions::Registry,
    llm::Llm,
    session::{CustomerRef, Entry, Session, SessionId, Sessions},
    upstream::Upstream,
};

/// Everything a turn needs. Built once at start; cheap to share.
pub struct Engine {
    /// The intent classifier.
    pub classifier: Classifier,
    /// The policies.
    pub knowledge: KnowledgeBase,
    /// The embedding model and what it embedded at start; `None`: words and rules only.
    pub meaning: Option<crate::meaning::Meaning>,
    /// Identity, replies and the output filter.
    pub persona: Persona,
    /// The functions.
    pub functions: Registry,
    /// The other services (for the caller's own name).
    pub upstream: Upstream,
    /// The optional LLM.
    pub llm: Option<Llm>,
    /// Conversations.
    pub sessions: Sessions,
    /// The hand-over to a person: the queue and the relay.
    pub support: crate::support::Desk,
    /// Where replies and escalations are recorded with their events.
    pub db: mongodb::Database,
    /// Wakes the outbox relay.
    pub nudge: Nudge,
    /// Publishes directly when the outbox cannot be written.
    pub bus: Option<shared::events::Bus>,
    /// Writes reply records and their events in the background.
    pub recorder: Recorder,
}

/// One message from a caller.
#[derive(Debug, Clone)]
pub struct Turn {
    /// What they said (already checked to be non-empty and not too long).
    pub message: String,
    /// The conversation; a new one when `None`.
    pub session_id: Option<SessionId>,
    /// The signed-in caller.
    pub caller: Option<Caller>,
    /// Their bearer token, forwarded to the services.
    pub bearer: Option<String>,
    /// The request id.
    pub request_id: String,
}

/// What happened while answering, for streaming clients.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Progress {
    /// The intent is known.
    Thinking {
        /// The intent.
        intent: Intent,
        /// The classifier's confidence.
        confidence: f64,
        /// The rule or the words that decided.
        because: Vec<String>,
    },
    /// A function was called.
    ToolCall {
        /// Its name.
        name: String,
        /// Its validated arguments.
        arguments: Value,
        /// Whether it gave a result.
        ok: bool,
    },
}

/// The answer (`{text, intent, citations, functionsCalled, metadata}`) and its `metadata`:
/// the API's types.
pub use shared::api::assistant::{ChatMetadata as Metadata, ChatReply};

/// Receives progress while a turn is answered.
pub type Observer = Option<UnboundedSender<Progress>>;

pub(crate) fn emit(observer: &Observer, progress: Progress) {
    if let Some(tx) = observer {
        let _ = tx.send(progress);
    }
}

/// The message refused in an ended conversation.
pub fn ended() -> ApiError {
    ApiError::Conflict("this conversation has ended; please start a new one".to_owned())
}

impl Engine {
    /// The session `id` for `caller`: 404 when it belongs to someone else, 409 when it ended.
    pub async fn open(
        &self,
        id: &SessionId,
        caller: Option<&Caller>,
    ) -> Result<Option<Session>, ApiError> {
        let Some(session) = self.sessions.load(id).await? else {
            return Ok(None);
        };
        if session.owner.as_deref() != caller.map(|c| c.id.as_str()) {
            return Err(ApiError::NotFound("no such session".to_owned()));
        }
        Ok(Some(session))
    }

    /// The session `turn` continues, and whether it is new (not found, or its id made just
    /// now); an ended one is refused.
    async fn session_for(
        self: &Arc<Self>,
        id: &SessionId,
        turn: &Turn,
    ) -> Result<(Session, bool), ApiError> {
        let caller_id = turn.caller.as_ref().map(|c| c.id.clone());
        Ok(match &turn.session_id {
            // A new id: nothing can be stored under it yet.
            None => (Session::minted(id, caller_id), true),
            Some(_) => match self.open(id, turn.caller.as_ref()).await? {
                Some(s) if s.ended => return Err(ended()),
                Some(s) => (s, false),
                None => (Session::new(id, caller_id), true),
            },
        })
    }

    /// Answers one message.
    #[tracing::instrument(skip_all, fields(session.id))]
    pub async fn handle(
        self: &Arc<Self>,
        turn: Turn,
        observer: Observer,
    ) -> Result<ChatReply, ApiError> {
        let started = Instant::now();
        let id = turn.session_id.clone().unwrap_or_default();
        tracing::Span::current().record("session.id", id.as_str());
        let (mut session, fresh) = self.session_for(&id, &turn).await?;
        // Only a conversation that entered the support queue can be held by a person; one
        // not found in Redis may be such a conversation whose session expired, so it asks.
        // One whose id was made just now cannot be.
        if ((fresh && !session.minted) || session.queued) && self.support.held(&session.id).await {
            return self.to_person(&session, &turn, started).await;
        }
        self.know_customer(&mut session, &turn).await;
        let vector = self.embed(&turn.message).await;
        let class = self.understand(&mut session, &turn.message, vector.as_deref());
        let because = match class.rule {
            Some(rule) => vec![rule.as_str().to_owned()],
            None => class.evidence.clone(),
        };
        emit(
            &observer,
            Progress::Thinking {
                intent: class.intent,
                confidence: class.confidence,
                because,
            },
        );
        let draft = answer::compose(
            self,
            &mut session,
            &class,
            &turn,
            vector.as_deref(),
            &observer,
        )
        .await;
        let (text, llm) = match &self.llm {
            Some(llm) if grounding::wanted(class.intent) => {
                grounding::phrase(self, llm, &session, &turn, &class, &draft).await
            }
            _ => (draft.text.clone(), false),
        };
        let checked = citations::check(&text, &self.knowledge);
        if !checked.valid() {
            tracing::warn!(removed = ?checked.removed, "removed invalid citations");
        }
        session.turns += 1;
        session.ended |= draft.end_session;
        let entries = exchange(&turn.message, &checked, class.intent);
        self.sessions.save(&session, &entries).await?;
        let elapsed = started.elapsed();
        let reply = ChatReply {
            text: checked.text.clone(),
            intent: class.intent.as_str().to_owned(),
            citations: checked.citations.clone(),
            functions_called: draft.functions.clone(),
            metadata: Metadata {
                processing_time: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                citations_valid: checked.valid(),
                session_id: session.id.clone(),
                confidence: (class.confidence * 1000.0).round() / 1000.0,
                llm,
                session_ended: session.ended,
            },
        };
        metrics::counter!("assistant_replies_total", "intent" => class.intent.as_str())
            .increment(1);
        metrics::histogram!("assistant_reply_seconds", "intent" => class.intent.as_str())
            .record(elapsed.as_secs_f64());
        record::replied(self, &session, &reply, &turn.request_id);
        Ok(reply)
    }

    /// What `message` asks, by the classifier, then read in the light of the session: a yes
    /// to the offer of a person, or a follow-up about the last product shown.
    fn understand(
        &self,
        session: &mut Session,
        message: &str,
        vector: Option<&[f32]>,
    ) -> Classification {
        let mut class = self.classifier.classify_with(message, vector);
        if std::mem::take(&mut session.offered_person)
            && class.rule.is_none()
            && crate::domain::rules::is_yes(message)
        {
            class.intent = Intent::Complaint;
            class.rule = Some(crate::domain::rules::Rule::AcceptedPerson);
        }
        if session.last_product.is_some()
            && class.rule.is_none()
            && class.intent != Intent::Complaint
            && crate::domain::rules::is_product_follow_up(message)
        {
            class.intent = Intent::ProductSearch;
            class.evidence = vec!["follow-up about the last product".to_owned()];
        }
        class
    }

    /// A message while a person holds the conversation: it goes to them, and the answer only
    /// says so (no assistant reply, no function, nothing recorded as the assistant's).
    async fn to_person(
        &self,
        session: &Session,
        turn: &Turn,
        started: Instant,
    ) -> Result<ChatReply, ApiError> {
        self.support
            .from_customer(&session.id, &turn.message)
            .await?;
        let class = self.classifier.classify(&turn.message);
        let text = self.persona.reply(
            crate::domain::persona::Reply::WithPerson,
            session.first_name(),
        );
        let elapsed = started.elapsed();
        Ok(ChatReply {
            text,
            intent: class.intent.as_str().to_owned(),
            citations: vec![],
            functions_called: vec![],
            metadata: Metadata {
                processing_time: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                citations_valid: true,
                session_id: session.id.clone(),
                confidence: (class.confidence * 1000.0).round() / 1000.0,
                llm: false,
                session_ended: false,
            },
        })
    }

    /// The embedding of `message`, when the model is loaded; `None` (and a warning) when it
    /// fails, so this message is understood by words and rules alone.
    async fn embed(&self, message: &str) -> Option<Vec<f32>> {
        let meaning = self.meaning.as_ref()?;
        let started = Instant::now();
        match meaning.embed(message).await {
            Ok(vector) => {
                metrics::histogram!("assistant_embedding_seconds")
                    .record(started.elapsed().as_secs_f64());
                Some(vector)
            }
            Err(error) => {
                tracing::warn!(%error, "cannot embed a message; understood by words only");
                None
            }
        }
    }

    /// Fills in the signed-in customer's name and email once per session (best effort).
    async fn know_customer(&self, session: &mut Session, turn: &Turn) {
        let (Some(caller), Some(bearer)) = (&turn.caller, &turn.bearer) else {
            return;
        };
        if session.customer.is_some() {
            return;
        }
        match self.upstream.me(bearer, &turn.request_id).await {
            Ok(me) => {
                session.customer = Some(CustomerRef {
                    id: caller.id.clone(),
                    name: me["name"].as_str().map(str::to_owned),
                    email: me["email"].as_str().map(str::to_owned),
                });
            }
            Err(e) => tracing::debug!(error = %e, "caller's record not available"),
        }
    }
}

/// The progress of a tool call, and whether it gave a result.
pub(crate) fn tool_call(
    observer: &Observer,
    name: &str,
    arguments: &Value,
    result: &Result<Value, crate::functions::FunctionError>,
) {
    emit(
        observer,
        Progress::ToolCall {
            name: name.to_owned(),
            arguments: arguments.clone(),
            ok: result.is_ok(),
        },
    );
}

/// A JSON view of a function result for prompts and logs.
pub(crate) fn result_json(result: &Result<Value, crate::functions::FunctionError>) -> Value {
    match result {
        Ok(v) => v.clone(),
        Err(e) => e.to_json(),
    }
}

/// The two entries a turn adds to the session's history: the customer's message and the
/// checked answer, both under the intent recognised.
fn exchange(message: &str, checked: &citations::Checked, intent: Intent) -> [Entry; 2] {
    let now = Utc::now();
    let intent = Some(intent.as_str().to_owned());
    [
        Entry {
            role: "user".to_owned(),
            text: message.to_owned(),
            intent: intent.clone(),
            citations: vec![],
            at: now,
            agent: None,
        },
        Entry {
            role: "assistant".to_owned(),
            text: checked.text.clone(),
            intent,
            citations: checked.citations.clone(),
            at: now,
            agent: None,
        },
    ]
}
