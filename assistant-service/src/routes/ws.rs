//! `GET /ws/chat/{sessionId}`: the same turns over a WebSocket, streamed as typed messages.
//!
//! On connect the server sends `history` (`{sessionId, messages, ended}`). The client sends
//! `{"type":"message","message":"..."}`; the server answers with `thinking` (intent,
//! confidence), one `tool_call` per function called, then `assistant` (the same object as
//! `POST /assistant/chat`'s `data`), or `error` (`{code, message}`). After a violation the
//! server closes the socket. While idle (no message either way) the server sends
//! `{"type":"heartbeat","at":...}` every `STREAM_HEARTBEAT_SECS`, as the order and alert
//! sockets do, so proxies keep the connection and clients notice a dead one. The token comes in the `Authorization` header or the `token`
//! query parameter; a bad one is answered 401 before the upgrade, and a session that belongs to
//! someone else 404.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{
        Path, State,
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    },
    http::request::Parts,
    response::Response,
    routing::get,
};
use serde_json::{Value, json};
use shared::{
    ApiError,
    auth::{Caller, MaybeCaller},
};
use tokio::sync::mpsc;

use crate::{
    engine::{Engine, Turn},
    session::SessionId,
    state::AppState,
};

/// `GET /ws/chat/{sessionId}`.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/chat/{session_id}", get(upgrade))
}

#[tracing::instrument(skip_all)]
async fn upgrade(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(raw): Path<String>,
    parts: Parts,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let id = SessionId::parse(&raw)?;
    state.engine.open(&id, caller.as_ref()).await?;
    let bearer = caller.as_ref().and(shared::auth::bearer_token(&parts));
    let engine = state.engine.clone();
    let heartbeat = state.heartbeat;
    let verifier = state.infra.verifier.clone();
    Ok(ws.on_upgrade(move |socket| async move {
        metrics::gauge!("assistant_ws_open").increment(1.0);
        // A signed-in chat ends when its token is revoked (a logout), checked each heartbeat.
        let claims = caller.as_ref().map(|c| c.claims.clone());
        let revoked = async move {
            match claims {
                Some(claims) => verifier.until_revoked(&claims, heartbeat).await,
                None => std::future::pending().await,
            }
        };
        if let Err(e) = serve(socket, engine, id, caller, bearer, heartbeat, revoked).await {
            tracing::debug!(error = %e, "chat socket closed");
        }
        metrics::gauge!("assistant_ws_open").decrement(1.0);
    }))
}

/// Close code for a token revoked while the chat was open.
const UNAUTHORIZED: u16 = 4401;

fn error(code: &str, message: &str) -> Value {
    json!({ "type": "error", "code": code, "message": message })
}

/// `{type: "heartbeat", at}`, the same message as order- and alert-service's sockets send.
fn heartbeat() -> Value {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({ "type": "heartbeat", "at": at })
}

async fn send(socket: &mut WebSocket, value: &Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(value.to_string().into())).await
}

async fn serve(
    mut socket: WebSocket,
    engine: Arc<Engine>,
    id: SessionId,
    caller: Option<Caller>,
    bearer: Option<String>,
    every: Duration,
    revoked: impl std::future::Future<Output = ()>,
) -> Result<(), axum::Error> {
    let mut revoked = std::pin::pin!(revoked);
    let history = engine
        .sessions
        .history(id.as_str())
        .await
        .unwrap_or_default();
    let ended = matches!(engine.sessions.load(&id).await, Ok(Some(s)) if s.ended);
    send(&mut socket, &json!({ "type": "history", "sessionId": id.as_str(), "messages": history, "ended": ended })).await?;
    let mut beat = tokio::time::interval(every);
    beat.reset();
    loop {
        let message = tokio::select! {
            message = socket.recv() => message,
            _ = beat.tick() => {
                send(&mut socket, &heartbeat()).await?;
                continue;
            }
            () = &mut revoked => {
                let frame = CloseFrame {
                    code: UNAUTHORIZED,
                    reason: "token revoked".into(),
                };
                socket.send(Message::Close(Some(frame))).await?;
                return Ok(());
            }
        };
        let Some(message) = message else {
            return Ok(());
        };
        let text = match message? {
            Message::Text(text) => text,
            Message::Close(_) => return Ok(()),
            _ => continue,
        };
        let parsed: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        let raw = match (parsed["type"].as_str(), parsed["message"].as_str()) {
            (Some("message"), Some(raw)) => raw,
            _ => {
                let e = error(
                    "VALIDATION_ERROR",
                    "expected {\"type\":\"message\",\"message\":\"...\"}",
                );
                send(&mut socket, &e).await?;
                continue;
            }
        };
        let message = match crate::routes::parse_message(raw) {
            Ok(m) => m,
            Err(e) => {
                send(&mut socket, &error(e.code(), &e.to_string())).await?;
                continue;
            }
        };
        let turn = Turn {
            message,
            session_id: Some(id.clone()),
            caller: caller.clone(),
            bearer: bearer.clone(),
            request_id: uuid::Uuid::now_v7().to_string(),
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let worker = engine.clone();
        let mut answer = tokio::spawn(async move { worker.handle(turn, Some(tx)).await });
        let outcome = loop {
            tokio::select! {
                Some(progress) = rx.recv() => {
                    send(&mut socket, &serde_json::to_value(&progress).unwrap_or(Value::Null)).await?;
                }
                done = &mut answer => break done,
            }
        };
        // Progress sent just before the answer finished.
        while let Ok(progress) = rx.try_recv() {
            send(
                &mut socket,
                &serde_json::to_value(&progress).unwrap_or(Value::Null),
            )
            .await?;
        }
        match outcome {
            Ok(Ok(reply)) => {
                let mut out = serde_json::to_value(&reply).unwrap_or(Value::Null);
                out["type"] = json!("assistant");
                send(&mut socket, &out).await?;
                if reply.metadata.session_ended {
                    let frame = CloseFrame {
                        code: 1000,
                        reason: "conversation ended".into(),
                    };
                    socket.send(Message::Close(Some(frame))).await?;
                    return Ok(());
                }
            }
            Ok(Err(e)) => {
                let message = match &e {
                    ApiError::Internal(_) => "internal error".to_owned(),
                    other => other.to_string(),
                };
                send(&mut socket, &error(e.code(), &message)).await?;
            }
            Err(_) => send(&mut socket, &error("INTERNAL", "internal error")).await?,
        }
        // The answer was the last message: idle starts now.
        beat.reset();
    }
}
