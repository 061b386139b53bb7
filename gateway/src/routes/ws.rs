//! `/api/ws/...`: WebSocket upgrades relayed to the owning service with tokio-tungstenite.
//!
//! The upstream connection is made first, so a service that is down answers 503 before the
//! client's upgrade; then frames flow both ways until either side closes, and the other side
//! is closed with it.

use axum::{
    extract::{
        Request, WebSocketUpgrade,
        ws::{self, WebSocket},
    },
    http::{HeaderName, request::Parts},
    response::Response,
};
use futures::{SinkExt, StreamExt};
use shared::ApiError;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

use crate::AppState;

/// Headers passed on to the service's upgrade request (and the request id, checked again).
const FORWARDED: [HeaderName; 3] = [
    axum::http::header::AUTHORIZATION,
    HeaderName::from_static("x-user-id"),
    HeaderName::from_static("x-user-role"),
];

/// Relays one WebSocket.
pub async fn relay(state: AppState, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let upgrade = <WebSocketUpgrade as axum::extract::FromRequestParts<()>>::from_request_parts(
        &mut parts,
        &(),
    )
    .await
    .map_err(|e| ApiError::field("upgrade", e.body_text()))?;
    let path = parts
        .uri
        .path()
        .strip_prefix("/api")
        .unwrap_or_default()
        .to_owned();
    let (upstream, upstream_path) = state
        .routes
        .resolve(&path)
        .ok_or_else(|| ApiError::NotFound(format!("no service serves /api{path}")))?;
    let query = parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let service = upstream.name.clone();
    // Replicas in turn, as for any request; one that cannot be reached is passed over (the
    // upgrade is a `GET`: asking the next replica cannot double anything).
    let mut failure = None;
    let mut connected = None;
    for replica in upstream.attempts() {
        let url = format!(
            "{}{upstream_path}{query}",
            upstream.replicas()[replica].base_url
        )
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
        match connect(&url, &parts, state.connect_timeout).await {
            Ok(socket) => {
                upstream.mark_up(replica);
                connected = Some(socket);
                break;
            }
            // The service answered instead of upgrading (401, 404, 429…): pass its answer on.
            Err(tungstenite::Error::Http(res)) => return Ok(refusal(*res)),
            Err(e @ tungstenite::Error::Io(_)) => {
                upstream.mark_down(replica);
                failure = Some(e);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let Some(upstream_socket) = connected else {
        let error = failure.map(|e| e.to_string()).unwrap_or_default();
        tracing::warn!(upstream = %service, %error, "websocket upstream unavailable");
        return Err(ApiError::UpstreamUnavailable(service));
    };
    Ok(upgrade.on_upgrade(move |client| pump(client, upstream_socket, service)))
}

/// The service's own answer to an upgrade it refused.
fn refusal(res: tungstenite::http::Response<Option<Vec<u8>>>) -> Response {
    let (parts, body) = res.into_parts();
    let mut response = Response::new(axum::body::Body::from(body.unwrap_or_default()));
    *response.status_mut() = parts.status;
    if let Some(content_type) = parts.headers.get(axum::http::header::CONTENT_TYPE) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, content_type.clone());
    }
    response
}

type Upstream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    url: &str,
    parts: &Parts,
    timeout: std::time::Duration,
) -> Result<Upstream, tungstenite::Error> {
    let mut request = url.into_client_request()?;
    for name in &FORWARDED {
        if let Some(value) = parts.headers.get(name) {
            request.headers_mut().insert(name.clone(), value.clone());
        }
    }
    // The telemetry layer has already replaced an unacceptable caller's id; checked again
    // here because the upgrade request is built apart from the proxy's.
    let id = parts.headers.get(shared::telemetry::REQUEST_ID);
    let id = crate::telemetry::request_id_for(id);
    request
        .headers_mut()
        .insert(shared::telemetry::REQUEST_ID, id);
    // The caller's trace context is among the forwarded headers; when tracing, the gateway's
    // own span takes its place.
    shared::telemetry::trace::inject(request.headers_mut());
    match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(request)).await {
        Ok(result) => result.map(|(socket, _)| socket),
        Err(_) => Err(tungstenite::Error::Io(std::io::Error::from(
            std::io::ErrorKind::TimedOut,
        ))),
    }
}

async fn pump(client: WebSocket, upstream: Upstream, service: String) {
    metrics::gauge!("gateway_open_websockets").increment(1.0);
    let (mut client_tx, mut client_rx) = client.split();
    let (mut upstream_tx, mut upstream_rx) = upstream.split();
    loop {
        tokio::select! {
            message = client_rx.next() => match message {
                Some(Ok(message)) => {
                    let closing = matches!(message, ws::Message::Close(_));
                    if upstream_tx.send(to_upstream(message)).await.is_err() || closing {
                        break;
                    }
                }
                _ => {
                    let _ = upstream_tx.send(tungstenite::Message::Close(None)).await;
                    break;
                }
            },
            message = upstream_rx.next() => match message {
                Some(Ok(message)) => {
                    let Some(message) = to_client(message) else { continue };
                    let closing = matches!(message, ws::Message::Close(_));
                    if client_tx.send(message).await.is_err() || closing {
                        break;
                    }
                }
                _ => {
                    let _ = client_tx.send(ws::Message::Close(None)).await;
                    break;
                }
            },
        }
    }
    let _ = upstream_tx.close().await;
    let _ = client_tx.close().await;
    tracing::debug!(upstream = %service, "websocket relay closed");
    metrics::gauge!("gateway_open_websockets").decrement(1.0);
}

fn to_upstream(message: ws::Message) -> tungstenite::Message {
    match message {
        ws::Message::Text(t) => tungstenite::Message::Text(t.as_str().into()),
        ws::Message::Binary(b) => tungstenite::Message::Binary(b),
        ws::Message::Ping(b) => tungstenite::Message::Ping(b),
        ws::Message::Pong(b) => tungstenite::Message::Pong(b),
        ws::Message::Close(frame) => {
            tungstenite::Message::Close(frame.map(|f| tungstenite::protocol::CloseFrame {
                code: f.code.into(),
                reason: f.reason.as_str().into(),
            }))
        }
    }
}

fn to_client(message: tungstenite::Message) -> Option<ws::Message> {
    Some(match message {
        tungstenite::Message::Text(t) => ws::Message::Text(t.as_str().into()),
        tungstenite::Message::Binary(b) => ws::Message::Binary(b),
        tungstenite::Message::Ping(b) => ws::Message::Ping(b),
        tungstenite::Message::Pong(b) => ws::Message::Pong(b),
        tungstenite::Message::Close(frame) => ws::Message::Close(frame.map(|f| ws::CloseFrame {
            code: f.code.into(),
            reason: f.reason.as_str().into(),
        })),
        tungstenite::Message::Frame(_) => return None,
    })
}
