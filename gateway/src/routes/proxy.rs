//! `/api/<area>/...`: forwards the request to the owning service and streams the answer back.
//!
//! Bodies stream both ways (nothing is buffered, so SSE and large responses flow as they come).
//! Hop-by-hop headers are dropped; the request id, the trace context and the client address
//! are forwarded. An
//! upstream that cannot be reached or does not answer in time gives 503 `UPSTREAM_UNAVAILABLE`.
//!
//! The forwarding runs on hyper's pooled client rather than reqwest: the request is passed on
//! as it came (its headers edited in place, its body as it is), without a URL parse, a body
//! wrapper or a response conversion per request — reqwest's share of the gateway's profile
//! under load.

mod timed;

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::{HeaderMap, HeaderName, HeaderValue, Uri, Version, header, uri::PathAndQuery},
    response::{IntoResponse, Response},
};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioTimer},
};
use shared::ApiError;

use crate::AppState;

/// The pooled client every forwarded request goes through.
pub type UpstreamClient = Client<HttpConnector, Body>;

/// One pooled HTTP/1.1 client for every upstream, with the configured connect timeout.
pub fn upstream_client(config: &crate::Config) -> UpstreamClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(config.connect_timeout));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .pool_timer(TokioTimer::new())
        .build(connector)
}

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

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Drops what only concerns one connection (the standard hop-by-hop headers and every header
/// the `Connection` header names), and the framing the next hop sets itself.
fn strip(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|token| HeaderName::try_from(token.trim()).ok())
        .collect();
    for name in &named {
        headers.remove(name);
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove(header::HOST);
    headers.remove(header::CONTENT_LENGTH);
}

/// Adds the client's address to `x-forwarded-for` (after any addresses already there).
fn forwarded_for(headers: &mut HeaderMap, client_ip: Option<std::net::IpAddr>) {
    let Some(ip) = client_ip else { return };
    let forwarded = match headers.get(&FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        Some(prior) => format!("{prior}, {ip}"),
        None => ip.to_string(),
    };
    if let Ok(v) = HeaderValue::try_from(forwarded) {
        headers.insert(FORWARDED_FOR, v);
    }
}

/// Counts an open event stream on `gateway_open_streams` for as long as it lives.
pub(crate) struct OpenStream;

impl OpenStream {
    pub(crate) fn new() -> Self {
        metrics::gauge!("gateway_open_streams").increment(1.0);
        Self
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("gateway_open_streams").decrement(1.0);
    }
}

/// Forwards one request (already admitted by the guard).
pub async fn forward(state: AppState, request: Request) -> Response {
    match send(&state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Readies a request's head for a service: hop-by-hop headers dropped, `X-Forwarded-For`
/// set, the trace context injected, HTTP/1.1, none of the gateway's extensions.
fn outgoing(parts: &mut axum::http::request::Parts) {
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    strip(&mut parts.headers);
    forwarded_for(&mut parts.headers, client_ip);
    // The service continues the gateway's span (when tracing; otherwise the caller's
    // `traceparent` passes on as it came).
    shared::telemetry::trace::inject(&mut parts.headers);
    parts.extensions = Default::default();
    parts.version = Version::HTTP_11;
}

/// The URI of `path` (with `query`) on `replica`; `None` when it is not a valid URI.
fn target(replica: &crate::routing::Replica, path: &str, query: Option<&str>) -> Option<Uri> {
    let target = match query {
        Some(query) => format!("{}{path}?{query}", replica.base_path()),
        None => format!("{}{path}", replica.base_path()),
    };
    let path_and_query = PathAndQuery::try_from(target).ok()?;
    let mut uri = replica.uri_parts();
    uri.path_and_query = Some(path_and_query);
    Uri::from_parts(uri).ok()
}

/// The service's answer as the gateway's: hop-by-hop headers dropped; an event stream
/// passes through untimed (counted while open), any other body with `read_timeout` per chunk.
fn pass_back(
    answer: Response<hyper::body::Incoming>,
    read_timeout: std::time::Duration,
) -> Response {
    let (mut parts, body) = answer.into_parts();
    strip(&mut parts.headers);
    let is_stream = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let body = if is_stream {
        // Event streams are long-lived and quiet between events (the service heartbeats): no
        // per-chunk timeout, and a client that leaves drops the upstream stream with it.
        // Counted while open; the guard lives in the body and is dropped with it.
        Body::new(timed::Counted::new(body, OpenStream::new()))
    } else {
        Body::new(timed::Timed::new(body, read_timeout))
    };
    let mut response = Response::new(body);
    *response.status_mut() = parts.status;
    *response.headers_mut() = parts.headers;
    response
}

async fn send(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    outgoing(&mut parts);
    let path = parts.uri.path().strip_prefix("/api").unwrap_or_default();
    let Some((upstream, upstream_path)) = state.routes.resolve(path) else {
        return Err(ApiError::NotFound(format!("no service serves /api{path}")));
    };
    let replicas = upstream.attempts();
    let unavailable = |reason: &dyn std::fmt::Display| {
        tracing::warn!(upstream = %upstream.name, error = %reason, "upstream unavailable");
        ApiError::UpstreamUnavailable(upstream.name.clone())
    };
    // With several replicas the body is kept (it is bounded by `MAX_BODY_BYTES`, or an
    // upload's own limit, and was read whole by the check already) so that a
    // replica refusing the connection can be passed over: only a refused connection moves on
    // to the next replica, never a request that went out.
    let (kept, mut streamed) = if replicas.len() > 1 {
        let limit = state
            .max_body_bytes
            .max(shared::api::images::MAX_UPLOAD_BYTES);
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        (Some(bytes), None)
    } else {
        (None, Some(body))
    };
    let mut last_error = String::new();
    let mut answered = None;
    for replica_index in replicas {
        let replica = &upstream.replicas()[replica_index];
        let Some(uri) = target(replica, &upstream_path, parts.uri.query()) else {
            return Err(ApiError::NotFound(format!("no service serves /api{path}")));
        };
        let mut request_parts = parts.clone();
        request_parts.uri = uri;
        let this_body = match &kept {
            Some(bytes) => Body::from(bytes.clone()),
            None => match streamed.take() {
                Some(body) => body,
                None => break,
            },
        };
        let pending = state
            .upstream
            .request(Request::from_parts(request_parts, this_body));
        match tokio::time::timeout(state.read_timeout, pending).await {
            Ok(Ok(response)) => {
                upstream.mark_up(replica_index);
                answered = Some(response);
                break;
            }
            Ok(Err(e)) if e.is_connect() => {
                upstream.mark_down(replica_index);
                last_error = e.to_string();
            }
            Ok(Err(e)) => return Err(unavailable(&e)),
            Err(_) => return Err(unavailable(&"no answer within the timeout")),
        }
    }
    let Some(upstream_response) = answered else {
        return Err(unavailable(&last_error));
    };

    Ok(pass_back(upstream_response, state.read_timeout))
}
