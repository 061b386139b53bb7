//! `GET /ws/chat/{sessionId}`: the same turns over a WebSocket, streamed as typed messages and
//! run by [`shared::ws`] (token, close codes, heartbeats, error frames, revocation).
//!
//! On connect the server sends `history` (`{sessionId, messages, ended, agent}`: the turns,
//! and what was said with a person as `user` and `agent` entries, the latter with the
//! person's name; `agent` names the person holding the conversation now, else `null`). The client sends
//! `{"type":"message","message":"..."}`; the server answers with `thinking` (intent,
//! confidence), one `tool_call` per function called, then `assistant` (the same object as
//! `POST /assistant/chat`'s `data`), or `error` (`{code, message}`). Turns run one at a time:
//! a message sent during a turn waits for it (at most [`WAITING`] of them). After a violation
//! the server closes the socket (1000). While nothing is sent the server sends `heartbeat`
//! every `STREAM_HEARTBEAT_SECS`. The token comes in the `Authorization` header or the `token`
//! query parameter and is optional; a bad one closes with 4401, as a revoked one does, and a
//! session that belongs to someone else is 404 before the upgrade.
//!
//! While a person holds the conversation (`routes::support`), the client's messages go to
//! them and the assistant stays quiet; the server pushes `agent_joined`
//! (`{agent, at}`), the person's messages as `agent` (`{content, agent, at}`), and `handback`
//! (`{at}`) when the conversation returns to the assistant.

use std::{collections::VecDeque, sync::Arc};

use axum::{
    Router,
    extract::{Path, State},
    http::request::Parts,
    response::Response,
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::{
    ApiError,
    auth::Caller,
    ws::{Close, Driver, Reply, Upgrade},
};
use tokio::{
    sync::mpsc,
    task::{JoinError, JoinHandle},
};

use crate::{
    engine::{ChatReply, Engine, Progress, Turn},
    session::SessionId,
    state::AppState,
    support::{Listener, Party},
};

/// Messages that may wait for the turn in progress.
pub const WAITING: usize = 8;

/// `GET /ws/chat/{sessionId}`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/chat/{session_id}", get(upgrade))
}

#[tracing::instrument(skip_all)]
async fn upgrade(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    parts: Parts,
    upgrade: Upgrade,
) -> Result<Response, ApiError> {
    let id = SessionId::parse(&raw)?;
    let (ws, caller) = match upgrade.into_parts() {
        Ok(parts) => parts,
        Err(refused) => return Ok(refused),
    };
    state.engine.open(&id, caller.as_ref()).await?;
    let bearer = caller.as_ref().and(shared::auth::bearer_token(&parts));
    Ok(ws.on_upgrade(move |socket| async move {
        metrics::gauge!("assistant_ws_open").increment(1.0);
        let mut driver = Driver::new(state.heartbeat);
        // A signed-in chat ends when its token is revoked (a logout).
        if let Some(caller) = &caller {
            let verifier = state.infra.verifier.clone();
            driver = driver.revocable(verifier, caller.claims.clone(), state.heartbeat);
        }
        let chat = Chat {
            listener: state.engine.support.board().listen(id.as_str()),
            engine: state.engine.clone(),
            id,
            caller,
            bearer,
            turn: None,
            waiting: VecDeque::new(),
        };
        driver.serve(socket, chat).await;
        metrics::gauge!("assistant_ws_open").decrement(1.0);
    }))
}

/// What a client may send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Incoming {
    Message { message: String },
}

/// One chat socket: who talks, the turn in progress and the messages waiting for it.
struct Chat {
    engine: Arc<Engine>,
    id: SessionId,
    caller: Option<Caller>,
    bearer: Option<String>,
    turn: Option<Running>,
    waiting: VecDeque<String>,
    /// What a person in the conversation sends.
    listener: Listener,
}

/// A turn being answered: its progress, then its answer.
struct Running {
    progress: mpsc::UnboundedReceiver<Progress>,
    answer: JoinHandle<Result<ChatReply, ApiError>>,
}

/// What a turn yields.
enum Step {
    Progress(Progress),
    Done(Result<Result<ChatReply, ApiError>, JoinError>),
    /// From the person holding the conversation.
    Support(Value),
}

fn progress(p: &Progress) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

impl Chat {
    fn begin(&mut self, message: String) {
        let turn = Turn {
            message,
            session_id: Some(self.id.clone()),
            caller: self.caller.clone(),
            bearer: self.bearer.clone(),
            request_id: uuid::Uuid::now_v7().to_string(),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let engine = self.engine.clone();
        self.turn = Some(Running {
            progress: rx,
            answer: tokio::spawn(async move { engine.handle(turn, Some(tx)).await }),
        });
    }
}

impl shared::ws::Session for Chat {
    type Incoming = Incoming;
    type Pushed = Step;
    const EXPECTED: &'static str = r#"{"type":"message","message":"..."}"#;
    const DROPPED_COUNTER: &'static str = "assistant_ws_dropped_total";

    async fn start(&mut self) -> Reply {
        let sessions = &self.engine.sessions;
        let history = sessions.history(self.id.as_str()).await.unwrap_or_default();
        let ended = matches!(sessions.load(&self.id).await, Ok(Some(s)) if s.ended);
        let id = self.id.as_str();
        let agent = self.engine.support.holder(id).await;
        Reply::json([&json!({
            "type": "history", "sessionId": id, "messages": history, "ended": ended,
            "agent": agent,
        })])
    }

    async fn handle(&mut self, Incoming::Message { message }: Incoming) -> Reply {
        let message = match crate::routes::parse_message(&message) {
            Ok(m) => m,
            Err(e) => return Reply::error(&e),
        };
        let id = self.id.as_str();
        if self.engine.support.held(id).await {
            return match self.engine.support.from_customer(id, &message).await {
                Ok(()) => Reply::none(),
                Err(e) => Reply::error(&e),
            };
        }
        if self.turn.is_none() {
            self.begin(message);
        } else if self.waiting.len() < WAITING {
            self.waiting.push_back(message);
        } else {
            let busy = ApiError::Conflict("too many messages waiting for an answer".to_owned());
            return Reply::error(&busy);
        }
        Reply::none()
    }

    async fn next(&mut self) -> Step {
        let listener = &mut self.listener;
        let Some(turn) = self.turn.as_mut() else {
            return Step::Support(listener.recv(Party::Customer).await);
        };
        tokio::select! {
            biased;
            Some(p) = turn.progress.recv() => Step::Progress(p),
            done = &mut turn.answer => Step::Done(done),
            note = listener.recv(Party::Customer) => Step::Support(note),
        }
    }

    async fn push(&mut self, step: Step) -> Reply {
        let done = match step {
            Step::Progress(p) => return Reply::json([&progress(&p)]),
            Step::Support(note) => return Reply::json([&note]),
            Step::Done(done) => done,
        };
        let mut reply = Reply::none();
        // Progress sent just before the answer finished.
        if let Some(mut turn) = self.turn.take() {
            while let Ok(p) = turn.progress.try_recv() {
                reply.push(&progress(&p));
            }
        }
        match done {
            Ok(Ok(answer)) => {
                let mut out = serde_json::to_value(&answer).unwrap_or(Value::Null);
                out["type"] = json!("assistant");
                reply.push(&out);
                if answer.metadata.session_ended {
                    return reply.then(Close::normal("conversation ended"));
                }
            }
            Ok(Err(e)) => reply.push(&shared::ws::api_error(&e)),
            Err(_) => reply.push(&shared::ws::error("INTERNAL", "internal error")),
        }
        if let Some(next) = self.waiting.pop_front() {
            self.begin(next);
        }
        reply
    }
}
