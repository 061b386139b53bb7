//! The gateway's own request telemetry: what `shared::telemetry::layer` gives every service
//! (a request id created or passed on, a trace span with the route and request id that
//! continues the caller's W3C trace, per-route
//! metrics, panics answered with an opaque 500), at a cost that fits a proxy that must keep
//! up with nginx. Measured under `cargo xtask bench gateway`, the shared stack spent a
//! `getrandom` system call per request id, formatted four metric labels and looked them up
//! twice per request, computed the span's route even with the span disabled, and cloned five
//! layers per request.
//!
//! Here: one layer; request ids are UUID v7 with thread-local randomness; metric handles are
//! looked up once per (method, route, status) and kept; the span is only made when it would
//! be recorded.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, RwLock},
    task::{Context, Poll},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderValue, Method},
    response::{IntoResponse, Response},
};
use futures::{FutureExt, future::BoxFuture};
use metrics::{Counter, Histogram};
use shared::{
    ApiError,
    telemetry::{REQUEST_ID, is_acceptable_request_id},
};
use tower::{Layer, Service};
use tracing::Instrument;

/// A fresh request id: a UUID v7 (sorts by time in logs) from thread-local randomness.
pub(crate) fn new_request_id() -> HeaderValue {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let random: [u8; 10] = rand::random();
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = id.hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// The request id to use for a request that came with `given`: the caller's when it is
/// acceptable (`shared::telemetry::is_acceptable_request_id`: 1-128 visible ASCII), a fresh one
/// otherwise. The id travels on to every service, into logs and into events' AMQP
/// `correlation_id` (at most 255 bytes): a 60 KB one once stopped every order (issue 14).
pub(crate) fn request_id_for(given: Option<&HeaderValue>) -> HeaderValue {
    match given {
        Some(id) if is_acceptable_request_id(id.as_bytes()) => id.clone(),
        Some(refused) => {
            note_refused_request_id(refused.as_bytes());
            new_request_id()
        }
        None => new_request_id(),
    }
}

/// Logs (at debug, truncated) a request id the gateway did not accept.
pub(crate) fn note_refused_request_id(given: &[u8]) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let text = String::from_utf8_lossy(given);
        let given = shared::telemetry::truncated(&text, 64);
        tracing::debug!(given, "request id refused; a new one is made");
    }
}

type MetricKey = (Method, &'static str, u16);

/// Metric handles by method, route and status, made on first use.
#[derive(Default)]
struct Handles {
    known: RwLock<HashMap<MetricKey, (Counter, Histogram)>>,
}

impl Handles {
    fn record(&self, method: &Method, route: &'static str, status: u16, seconds: f64) {
        let key = (method.clone(), route, status);
        let found = self.known.read().ok().and_then(|k| k.get(&key).cloned());
        let (counter, histogram) = match found {
            Some(handles) => handles,
            None => {
                let labels = [
                    ("service", "gateway".to_owned()),
                    ("method", method.to_string()),
                    ("route", route.to_owned()),
                    ("status", status.to_string()),
                ];
                let handles = (
                    metrics::counter!("http_requests_total", &labels),
                    metrics::histogram!("http_request_duration_seconds", &labels),
                );
                if let Ok(mut known) = self.known.write() {
                    known.insert(key, handles.clone());
                }
                handles
            }
        };
        counter.increment(1);
        histogram.record(seconds);
    }
}

/// The layer: request id, span, metrics, panics.
#[derive(Clone, Default)]
pub struct TelemetryLayer {
    handles: Arc<Handles>,
}

impl TelemetryLayer {
    /// Counts a request served outside the router (the fast lane) as the layer would.
    pub(crate) fn record(&self, method: &Method, route: &'static str, status: u16, seconds: f64) {
        self.handles.record(method, route, status, seconds);
    }
}

impl<S> Layer<S> for TelemetryLayer {
    type Service = Telemetry<S>;

    fn layer(&self, inner: S) -> Telemetry<S> {
        Telemetry {
            inner,
            handles: self.handles.clone(),
        }
    }
}

/// The service [`TelemetryLayer`] makes.
#[derive(Clone)]
pub struct Telemetry<S> {
    inner: S,
    handles: Arc<Handles>,
}

/// The route label a router layer put on an answer, overriding the matched route: the proxy's
/// one route (`/api/{*rest}`) would count every proxied request under one label per method,
/// so the door labels each with the API table's pattern (`crate::api::label`).
#[derive(Clone, Copy)]
pub(crate) struct RouteLabel(pub &'static str);

/// The route label of a request: its matched route, or `unmatched`. Interned: the router's
/// routes are a small fixed set, each leaked once.
fn route_of(request: &Request) -> &'static str {
    thread_local! {
        static ROUTES: std::cell::RefCell<HashMap<String, &'static str>> = Default::default();
    }
    match request.extensions().get::<MatchedPath>() {
        None => crate::api::UNMATCHED,
        Some(path) => ROUTES.with(|routes| {
            let mut routes = routes.borrow_mut();
            if let Some(route) = routes.get(path.as_str()) {
                return *route;
            }
            let route: &'static str = Box::leak(path.as_str().to_owned().into_boxed_str());
            routes.insert(path.as_str().to_owned(), route);
            route
        }),
    }
}

impl<S> Service<Request> for Telemetry<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        let id = request_id_for(request.headers().get(REQUEST_ID));
        // Inserted even when the caller's was kept: a second `x-request-id` goes too.
        request.headers_mut().insert(REQUEST_ID, id.clone());
        let method = request.method().clone();
        let route = route_of(&request);
        let span = if tracing::enabled!(tracing::Level::INFO) {
            let request_id = id.to_str().unwrap_or_default();
            // Traced, the proxy's one route (`/api/{*rest}`) would name every span alike.
            let named = if shared::telemetry::trace::is_on() && route == crate::api::PROXIED {
                crate::api::label(&method, request.uri().path())
            } else {
                route
            };
            let span = shared::telemetry::server_span("gateway", &method, named, request_id);
            // The caller's trace goes on; a malformed `traceparent` starts a new one.
            shared::telemetry::trace::continue_from(&span, request.headers());
            span
        } else {
            tracing::Span::none()
        };
        // A clone that is ready takes the call (tower's contract for `poll_ready`).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let handles = self.handles.clone();
        let handled = async move {
            let mut response = match std::panic::AssertUnwindSafe(inner.call(request))
                .catch_unwind()
                .await
            {
                Ok(Ok(response)) => response,
                Err(_) => ApiError::internal("handler panicked").into_response(),
            };
            let status = response.status().as_u16();
            let elapsed = started.elapsed();
            let route = response
                .extensions()
                .get::<RouteLabel>()
                .map_or(route, |label| label.0);
            handles.record(&method, route, status, elapsed.as_secs_f64());
            tracing::info!(
                status,
                latency_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                "response"
            );
            if !response.headers().contains_key(REQUEST_ID) {
                response.headers_mut().insert(REQUEST_ID, id);
            }
            Ok(response)
        };
        handled.instrument(span).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_uuid_v7s() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(a.to_str().unwrap()).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
    }
}
