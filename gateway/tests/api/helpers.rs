//! Spawning the gateway against chosen upstreams, and an echo server standing in for a
//! service's HTTP and WebSocket API (to see exactly what the gateway forwards).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    Json, Router,
    body::Body,
    extract::{Request, WebSocketUpgrade, ws},
    response::IntoResponse,
    routing::{any, get},
};
use futures::StreamExt;
use gateway::Config;
use serde_json::{Value, json};
use shared::{
    auth::Role,
    config::Env,
    testing::{Spawned, TestNames, service_config, spawn},
};

/// The gateway and the names (and signing key) its tokens are checked against.
pub struct TestGateway {
    pub app: Spawned,
    pub names: TestNames,
    /// `http://127.0.0.1:<port>/metrics`, the gateway's internal metrics listener.
    pub metrics_url: String,
}

impl TestGateway {
    pub fn bearer(&self, role: Role) -> String {
        self.names.bearer("65a1b2c3d4e5f60718293a4b", role)
    }

    pub async fn stop(self) {
        self.app.stop_and_clean().await;
    }

    /// What `/metrics` shows now.
    pub async fn metrics(&self) -> String {
        let answer = self.app.client.get(&self.metrics_url).send().await.unwrap();
        answer.text().await.unwrap()
    }

    /// The value of the unlabelled metric `name` on `/metrics` (0 before it is first set).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

/// Starts the gateway with `upstreams` as `(VARIABLE, url)` pairs and `extra` settings; the
/// other services point at a closed port so that nothing reaches one left running here.
pub async fn spawn_gateway_with(
    upstreams: &[(&str, String)],
    extra: &[(&str, &str)],
) -> TestGateway {
    spawn_gateway_named_with(TestNames::new(), upstreams, extra).await
}

/// [`spawn_gateway`] over the given test names (Redis prefix and signing key).
pub async fn spawn_gateway_named(names: TestNames, upstreams: &[(&str, String)]) -> TestGateway {
    spawn_gateway_named_with(names, upstreams, &[]).await
}

pub async fn spawn_gateway_named_with(
    names: TestNames,
    upstreams: &[(&str, String)],
    extra: &[(&str, &str)],
) -> TestGateway {
    shared::telemetry::init_for_tests("gateway");
    let mut pairs: Vec<(&str, String)> = gateway::config::UPSTREAMS
        .iter()
        .map(|(_, var, _)| (*var, closed_port_url()))
        .collect();
    for (var, url) in upstreams {
        pairs.retain(|(v, _)| v != var);
        pairs.push((var, url.clone()));
    }
    let mut borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    borrowed.extend_from_slice(extra);
    let mut config = Config::from_env(&Env::from_pairs(&borrowed)).expect("gateway config");
    config.service = service_config(gateway::DEFAULTS, &names);
    let service = config.service.clone();
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_url = format!("http://{}/metrics", metrics.local_addr().unwrap());
    let app = spawn(&service, |listener, cancel| {
        gateway::run_with_metrics(config, listener, Some(metrics), cancel)
    })
    .await;
    // Token checks need Redis (revocations): wait until the gateway has reached it.
    app.wait_healthy(std::time::Duration::from_secs(30)).await;
    TestGateway {
        app,
        names,
        metrics_url,
    }
}

pub async fn spawn_gateway(upstreams: &[(&str, String)]) -> TestGateway {
    spawn_gateway_with(upstreams, &[]).await
}

/// A URL on which nothing listens.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A stand-in service: `/products/...` echoes what it received, `/products/{id}/stream` sends
/// one chunk and holds on (`/live`: the same as an event stream, `/events`: two events 600 ms
/// apart, then the end), `/ws/orders` echoes WebSocket text, `/ws/alerts` sends the
/// `x-request-id` its upgrade came with. `hits` counts HTTP requests.
pub struct Echo {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
}

impl Echo {
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

pub async fn spawn_echo() -> Echo {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let clicks = hits.clone();
    let app = Router::new()
        .route(
            "/events",
            any(move |request: Request| {
                clicks.fetch_add(1, Ordering::SeqCst);
                echo(request)
            }),
        )
        .route(
            "/products/{*rest}",
            any(move |request: Request| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    if request.uri().path().ends_with("/stream") {
                        slow_stream().into_response()
                    } else if request.uri().path().ends_with("/events") {
                        quiet_events().into_response()
                    } else if request.uri().path().ends_with("/live") {
                        live_events().into_response()
                    } else {
                        echo(request).await.into_response()
                    }
                }
            }),
        )
        .route("/ws/orders", get(ws_echo))
        .route("/ws/alerts", get(ws_request_id))
        .route(
            "/ws/chat/{session}",
            get(|| async { shared::ApiError::NotFound("no such session".to_owned()) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Echo { url, hits }
}

async fn echo(request: Request) -> Json<Value> {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let bytes = axum::body::to_bytes(body, 1 << 22).await.unwrap();
    Json(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "body": String::from_utf8_lossy(&bytes),
        "requestId": header("x-request-id"),
        "forwardedFor": header("x-forwarded-for"),
        "userId": header("x-user-id"),
        "userRole": header("x-user-role"),
        "headers": parts.headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
    }))
}

/// An event stream that sends one event and then stays open.
fn live_events() -> axum::response::Response {
    let first = futures::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from("data: live\n\n"))
    });
    (
        [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(first.chain(futures::stream::pending())),
    )
        .into_response()
}

/// An event stream that stays quiet for 600 ms between two events, then ends.
fn quiet_events() -> axum::response::Response {
    let events = futures::stream::unfold(0, |n| async move {
        match n {
            0 => Some((
                Ok::<_, std::io::Error>(bytes::Bytes::from("data: one\n\n")),
                1,
            )),
            1 => {
                tokio::time::sleep(std::time::Duration::from_millis(600)).await;
                Some((Ok(bytes::Bytes::from("data: two\n\n")), 2))
            }
            _ => None,
        }
    });
    (
        [(axum::http::header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(events),
    )
        .into_response()
}

fn slow_stream() -> Body {
    let first = futures::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from("data: first\n\n"))
    });
    Body::from_stream(first.chain(futures::stream::pending()))
}

async fn ws_echo(upgrade: WebSocketUpgrade, request: Request) -> axum::response::Response {
    let user = request
        .headers()
        .get("x-user-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    upgrade.on_upgrade(move |mut socket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            match message {
                ws::Message::Text(text) => {
                    let reply = format!("{user}:{}", text.as_str());
                    if socket.send(ws::Message::Text(reply.into())).await.is_err() {
                        return;
                    }
                }
                ws::Message::Close(_) => return,
                _ => {}
            }
        }
    })
}

/// Sends the request id the upgrade came with, as one text message.
async fn ws_request_id(upgrade: WebSocketUpgrade, request: Request) -> axum::response::Response {
    let id = request
        .headers()
        .get("x-request-id")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    upgrade.on_upgrade(move |mut socket| async move {
        let _ = socket.send(ws::Message::Text(id.into())).await;
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, ws::Message::Close(_)) {
                return;
            }
        }
    })
}
