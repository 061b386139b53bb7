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
//! conversation back to the assistant (the customer gets `{"type":"handback"}`) and closes
//! the socket (1000). Leaving without `close` hands it back too.

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
    desk.claim(id.as_str(), &caller.id, &name).await?;
    let failed = (desk.clone(), id.clone(), caller.id.clone());
    let ws = ws.on_failed_upgrade(move |e| {
        tracing::warn!(error = %e, "the agent's upgrade failed; handing the conversation back");
        let (desk, id, agent) = failed;
        tokio::spawn(async move { desk.release(id.as_str(), &agent).await });
    });
    Ok(ws.on_upgrade(move |socket| async move {
        metrics::gauge!("assistant_support_ws_open").increment(1.0);
        let driver = Driver::new(state.heartbeat).revocable(
            state.infra.verifier.clone(),
            caller.claims.clone(),
            state.heartbeat,
        );
        let agent = Agent {
            listener: desk.board().listen(id.as_str()),
            desk,
            id,
            agent_id: caller.id,
            agent_name: name,
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
    agent_id: String,
    agent_name: String,
    listener: Listener,
    released: bool,
}

impl shared::ws::Session for Agent {
    type Incoming = Incoming;
    type Pushed = Value;
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
                self.desk.release(self.id.as_str(), &self.agent_id).await;
                Reply::close(Close::normal("handed back to the assistant"))
            }
        }
    }

    async fn next(&mut self) -> Value {
        self.listener.recv(Party::Agent).await
    }

    async fn push(&mut self, payload: Value) -> Reply {
        Reply::json([&payload])
    }
}

impl Drop for Agent {
    /// An agent who leaves without `close` hands the conversation back all the same.
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (desk, id, agent) = (self.desk.clone(), self.id.clone(), self.agent_id.clone());
        runtime.spawn(async move { desk.release(id.as_str(), &agent).await });
    }
}

/// An agent's message checked at the edge: trimmed, 1 to 2000 characters.
fn parse_content(raw: &str) -> Result<String, ApiError> {
    shared::api::rules::text(1, crate::routes::MAX_MESSAGE)(raw, &())
        .map_err(|e| ApiError::field("content", e.message()))?;
    Ok(raw.trim().to_owned())
}
