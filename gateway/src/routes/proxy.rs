//! `/api/<area>/...`: forwards the request to the owning service and streams the answer back.
//!
//! Bodies stream both ways (nothing is buffered, so SSE and large responses flow as they come).
//! Hop-by-hop headers are dropped; the request id and the client address are forwarded. An
//! upstream that cannot be reached or does not answer in time gives 503 `UPSTREAM_UNAVAILABLE`.

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderName, header},
    response::{IntoResponse, Response},
};
use futures::TryStreamExt;
use shared::ApiError;

use crate::AppState;

/// Headers that describe one connection, not the message (RFC 9110, section 7.6.1).
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

fn forwardable(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in &HOP_BY_HOP {
        out.remove(name);
    }
    out.remove(header::HOST);
    out.remove(header::CONTENT_LENGTH);
    out
}

/// Counts an open event stream on `gateway_open_streams` for as long as it lives.
struct OpenStream;

impl OpenStream {
    fn new() -> Self {
        metrics::gauge!("gateway_open_streams").increment(1.0);
        Self
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("gateway_open_streams").decrement(1.0);
    }
}

/// `stream`, failing when a chunk takes longer than `limit` to come.
fn chunks_within<S>(
    stream: S,
    limit: std::time::Duration,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>>
where
    S: futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static,
{
    futures::stream::unfold(Box::pin(stream), move |mut stream| async move {
        match tokio::time::timeout(limit, futures::StreamExt::next(&mut stream)).await {
            Ok(Some(item)) => Some((item, stream)),
            Ok(None) => None,
            Err(_) => {
                let stalled = std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream stalled");
                Some((Err(stalled), stream))
            }
        }
    })
}

/// Forwards one request.
#[tracing::instrument(skip_all, fields(upstream))]
pub async fn forward(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let path = request
        .uri()
        .path()
        .strip_prefix("/api")
        .unwrap_or_default()
        .to_owned();
    let Some((upstream, upstream_path)) = state.routes.resolve(&path) else {
        return Err(ApiError::NotFound(format!("no service serves /api{path}")));
    };
    tracing::Span::current().record("upstream", upstream.name.as_str());
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{}{upstream_path}{query}", upstream.base_url);

    let client_ip = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let (parts, body) = request.into_parts();
    let mut headers = forwardable(&parts.headers);
    if let Some(ip) = client_ip {
        let forwarded = match parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            Some(prior) => format!("{prior}, {ip}"),
            None => ip,
        };
        if let Ok(v) = forwarded.parse() {
            headers.insert("x-forwarded-for", v);
        }
    }
    let body = reqwest::Body::wrap_stream(body.into_data_stream());
    let unavailable = |reason: &dyn std::fmt::Display| {
        tracing::warn!(upstream = %upstream.name, error = %reason, "upstream unavailable");
        ApiError::UpstreamUnavailable(upstream.name.clone())
    };
    let send = state
        .client
        .request(parts.method, &url)
        .headers(headers)
        .body(body)
        .send();
    let upstream_response = match tokio::time::timeout(state.read_timeout, send).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => return Err(unavailable(&e)),
        Err(_) => return Err(unavailable(&"no answer within the timeout")),
    };

    let status = upstream_response.status();
    let headers = forwardable(upstream_response.headers());
    let is_stream = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let stream = upstream_response
        .bytes_stream()
        .map_err(std::io::Error::other);
    let mut response = if is_stream {
        // Event streams are long-lived and quiet between events (the service heartbeats): no
        // per-chunk timeout, and a client that leaves drops the upstream stream with it.
        // Counted while open; the guard moves with the stream and is dropped with it.
        let open = OpenStream::new();
        Body::from_stream(stream.map_ok(move |chunk| {
            let _ = &open;
            chunk
        }))
        .into_response()
    } else {
        Body::from_stream(chunks_within(stream, state.read_timeout)).into_response()
    };
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}
