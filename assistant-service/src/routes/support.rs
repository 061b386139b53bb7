//! Human support, the admin's side: `GET /support/queue` (waiting and active conversations,
//! oldest first, paged), `GET /support/conversations/{sessionId}` (one, with its transcript),
//! and `GET /ws/support/{sessionId}`, the agent's socket.
//!
//! The socket: token in `Authorization` or `?token=` (a bad one closes with 4401); a customer
//! is 403, a session never escalated 404, one another person holds 409, all before the
//! upgrade. Joining marks the conversation `ACTIVE` for this agent. The server sends
//! `{"type":"conversation","conversation":{...transcript}}` first, then the customer's
//! messages as `{"type":"customer","content","at"}`. The agent sends
//! `{"type":"message","content":"..."}` (stored, pushed to the customer's chat socket as
//! `{"type":"agent","content","agent","at"}`) and `{"type":"close"}`, which hands the
//! conversation back to the assistant (the customer gets `{"type":"handback","reason":"closed"}`)
//! and closes the socket (1000). Leaving without `close` puts the conversation back in the
//! queue (`WAITING`; the customer gets `handback` with reason `agent_left`). While the socket
//! lives it renews the agent's lease (see [`crate::support`]); a socket whose lease was lost
//! (its renewals failed for longer than the lease and the conversation went back to the
//! queue) is told `{"type":"error","code":"CONFLICT",...}` and closed (1011; joining again
//! claims it anew if nobody else did).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::request::Parts,
    response::Response,
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::{
    ApiError,
    api::query::Paging,
    auth::Caller,
    error::{ok, page},
    extract::ValidQuery,
    ws::{Close, Driver, Reply, Upgrade},
};

use crate::{
    session::SessionId,
    state::AppState,
    support::{Desk, Listener, Party, store},
};

/// What an agent is called when customer-service cannot say.
const DEFAULT_AGENT_NAME: &str = "Support team";

/// The queue, the transcripts and the agent's socket.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/support/queue", get(queue))
        .route("/support/conversations/{session_id}", get(conversation))
        .route("/ws/support/{session_id}", get(upgrade))
}

#[tracing::instrument(skip_all)]
async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(paging): ValidQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let (page_no, limit) = (paging.page(), paging.limit());
    let (entries, total) = store::queue(state.engine.support.db(), page_no, limit).await?;
    Ok(page(entries, page_no, limit, total))
}

#[tracing::instrument(skip_all)]
async fn conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let id = SessionId::parse(&raw)?;
    let found = store::conversation(state.engine.support.db(), id.as_str()).await?;
    found
        .map(ok)
        .ok_or_else(|| ApiError::NotFound("no support conversation for this session".to_owned()))
}

#[tracing::instrument(skip_all)]
async fn upgrade(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    parts: Parts,
    upgrade: Upgrade,
) -> Result<Response, ApiError> {
    let (ws, caller) = match upgrade.require() {
        Ok(parts) => parts,
        Err(refused) => return Ok(refused),
    };
    caller.require_admin()?;
    let id = SessionId::parse(&raw)?;
    let name = agent_name(&state, &parts).await;
    let desk = state.engine.support.clone();
    let lease = desk.claim(id.as_str(), &caller.id, &name).await?;
    let failed = (desk.clone(), id.clone(), lease.clone());
    let ws = ws.on_failed_upgrade(move |e| {
        tracing::warn!(error = %e, "the agent's upgrade failed; the conversation goes back to the queue");
        let (desk, id, lease) = failed;
        tokio::spawn(async move { desk.leave(id.as_str(), &lease).await });
    });
    Ok(ws.on_upgrade(move |socket| async move {
        metrics::gauge!("assistant_support_ws_open").increment(1.0);
        let driver = Driver::new(state.heartbeat).revocable(
            state.infra.verifier.clone(),
            caller.claims.clone(),
            state.heartbeat,
        );
        let mut renewal = tokio::time::interval(desk.renew_every());
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let agent = Agent {
            listener: desk.board().listen(id.as_str()),
            desk,
            id,
            lease,
            agent_name: name,
            renewal,
            released: false,
        };
        driver.serve(socket, agent).await;
        metrics::gauge!("assistant_support_ws_open").decrement(1.0);
    }))
}

/// The admin's name from customer-service, as the customer will see it.
async fn agent_name(state: &AppState, parts: &Parts) -> String {
    let Some(bearer) = shared::auth::bearer_token(parts) else {
        return DEFAULT_AGENT_NAME.to_owned();
    };
    let request_id = shared::telemetry::request_id(&parts.headers);
    match state.engine.upstream.me(&bearer, &request_id).await {
        Ok(me) => me["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(DEFAULT_AGENT_NAME)
            .to_owned(),
        Err(e) => {
            tracing::debug!(error = %e, "the agent's name is not available");
            DEFAULT_AGENT_NAME.to_owned()
        }
    }
}

/// What an agent may send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Incoming {
    Message { content: String },
    Close,
}

/// One agent in one conversation.
struct Agent {
    desk: Desk,
    id: SessionId,
    /// The lease this socket holds the conversation under.
    lease: String,
    agent_name: String,
    listener: Listener,
    /// When the lease is next renewed.
    renewal: tokio::time::Interval,
    /// Whether the conversation was closed or lost, so there is nothing to hand back.
    released: bool,
}

/// What an agent's socket pushes.
enum Pushed {
    /// A note for the agent.
    Note(Value),
    /// The lease no longer holds the conversation.
    Lost,
}

impl shared::ws::Session for Agent {
    type Incoming = Incoming;
    type Pushed = Pushed;
    const EXPECTED: &'static str = r#"{"type":"message","content":"..."} or {"type":"close"}"#;
    const DROPPED_COUNTER: &'static str = "assistant_support_ws_dropped_total";

    async fn start(&mut self) -> Reply {
        match store::conversation(self.desk.db(), self.id.as_str()).await {
            Ok(Some(conversation)) => {
                Reply::json([&json!({ "type": "conversation", "conversation": conversation })])
            }
            Ok(None) => Reply::none(),
            Err(e) => Reply::error(&e),
        }
    }

    async fn handle(&mut self, message: Incoming) -> Reply {
        match message {
            Incoming::Message { content } => {
                let content = match parse_content(&content) {
                    Ok(c) => c,
                    Err(e) => return Reply::error(&e),
                };
                let sent = self
                    .desk
                    .from_agent(self.id.as_str(), &self.agent_name, &content)
                    .await;
                match sent {
                    Ok(()) => Reply::none(),
                    Err(e) => Reply::error(&e),
                }
            }
            Incoming::Close => {
                self.released = true;
                self.desk.release(self.id.as_str(), &self.lease).await;
                Reply::close(Close::normal("handed back to the assistant"))
            }
        }
    }

    /// The agent's notes, and between them the lease's renewals. Cancel safe: the listener's
    /// `recv` and the interval's `tick` are, and a renewal cut short is made at the next tick.
    async fn next(&mut self) -> Pushed {
        loop {
            tokio::select! {
                note = self.listener.recv(Party::Agent) => return Pushed::Note(note),
                _ = self.renewal.tick() => {
                    match self.desk.renew(self.id.as_str(), &self.lease).await {
                        Ok(true) => {}
                        Ok(false) => return Pushed::Lost,
                        Err(e) => tracing::warn!(error = %e, "a support lease could not be renewed; trying again"),
                    }
                }
            }
        }
    }

    async fn push(&mut self, pushed: Pushed) -> Reply {
        match pushed {
            Pushed::Note(payload) => Reply::json([&payload]),
            Pushed::Lost => {
                self.released = true;
                tracing::warn!(
                    session = self.id.as_str(),
                    "a support agent lost their lease; closing their socket"
                );
                let error = ApiError::Conflict(
                    "this conversation went back to the queue; join it again".to_owned(),
                );
                Reply::error(&error)
                    .then(Close::internal("the conversation went back to the queue"))
            }
        }
    }
}

impl Drop for Agent {
    /// An agent who leaves without `close` puts the conversation back in the queue. Should
    /// this not run (the process died), the lease runs out and a sweep does the same.
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (desk, id, lease) = (self.desk.clone(), self.id.clone(), self.lease.clone());
        runtime.spawn(async move { desk.leave(id.as_str(), &lease).await });
    }
}

/// An agent's message checked at the edge: trimmed, 1 to 2000 characters.
fn parse_content(raw: &str) -> Result<String, ApiError> {
    shared::api::rules::text(1, crate::routes::MAX_MESSAGE)(raw, &())
        .map_err(|e| ApiError::field("content", e.message()))?;
    Ok(raw.trim().to_owned())
}
