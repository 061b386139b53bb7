//! Telemetry: JSON logs carrying the service name, request id and trace ids, distributed
//! traces over OTLP (`trace`), Prometheus metrics, and the HTTP middleware stack every service
//! and the gateway share.

pub mod trace;

use std::{sync::OnceLock, time::Instant};

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::{HeaderName, Response},
    middleware::{self, Next},
    response::IntoResponse,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};
use tracing_subscriber::{EnvFilter, fmt::format::Writer, prelude::*};

use crate::error::ApiError;

/// The request id header, created at the first hop and propagated by every other.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id any hop accepts from a caller.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether `given` may be used as a request id as it is: 1 to [`MAX_REQUEST_ID_LEN`] visible
/// ASCII characters (no spaces, no controls). Every hop applies this one rule to what it
/// receives and makes a fresh id otherwise, because the id travels on into logs and into every
/// event's AMQP `correlation_id`, a short string of at most 255 bytes: one oversized id once
/// broke the broker connection of the outbox relay and stopped every order.
pub fn is_acceptable_request_id(given: &[u8]) -> bool {
    !given.is_empty()
        && given.len() <= MAX_REQUEST_ID_LEN
        && given.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A fresh request id: a UUID v7, which sorts by time in logs.
pub fn new_request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// At most `max` characters of `text`, for logging something a caller sent that was refused.
pub fn truncated(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Starts JSON logging for `service` (level from `RUST_LOG`, default `info`) and, when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the export of its spans ([`trace`]); the answer is
/// what to flush before the process ends. Safe to call twice: the second call does nothing.
pub fn init(service: &'static str) -> Option<trace::Tracing> {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let otlp = trace::Otlp::from_env(&crate::config::Env::process());
    install(
        filter,
        json_layer(service, std::io::stdout),
        service,
        otlp.as_ref(),
    )
}

/// Like [`init`], but writing through the test harness's capture, so a passing test stays
/// quiet and a failing one shows its logs.
pub fn init_for_tests(service: &'static str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = install(
        filter,
        json_layer(service, tracing_subscriber::fmt::TestWriter::new),
        service,
        None,
    );
}

/// [`init_for_tests`] with spans exported to `otlp` (at `info`, whatever `RUST_LOG` says for
/// the logs), for tests of the traces themselves.
pub fn init_for_tests_traced(service: &'static str, otlp: &trace::Otlp) -> Option<trace::Tracing> {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = json_layer(service, tracing_subscriber::fmt::TestWriter::new)
        .with_filter(tracing_subscriber::filter::LevelFilter::WARN);
    install(filter, logs, service, Some(otlp))
}

/// The process's subscriber: `filter`, the `logs` layer, and the OTLP layer when `otlp` is
/// given (and can be made: a broken exporter costs the traces, not the service).
fn install<L>(
    filter: EnvFilter,
    logs: L,
    service: &'static str,
    otlp: Option<&trace::Otlp>,
) -> Option<trace::Tracing>
where
    L: tracing_subscriber::Layer<
            tracing_subscriber::layer::Layered<EnvFilter, tracing_subscriber::Registry>,
        > + Send
        + Sync
        + 'static,
{
    let exporting = match otlp.map(|otlp| trace::layer(service, otlp)) {
        None => None,
        Some(Ok(exporting)) => Some(exporting),
        Some(Err(e)) => {
            eprintln!("{service}: {e}; traces are not exported");
            None
        }
    };
    let (otel, tracing) = match exporting {
        Some((layer, tracing)) => (Some(layer), Some(tracing)),
        None => (None, None),
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(otel)
        .try_init()
        .is_ok();
    match tracing {
        Some(tracing) if installed => {
            trace::mark_on();
            Some(tracing)
        }
        _ => None,
    }
}

/// One JSON object per line, with `service`, the event's fields and the current span's fields
/// (`request_id` and `route` inside a request).
pub fn json_layer<S, W>(service: &'static str, writer: W) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(writer)
        .map_event_format(move |inner| WithService { service, inner })
}

/// Adds `"service": "<name>"` to every JSON log line.
struct WithService<F> {
    service: &'static str,
    inner: F,
}

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for WithService<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let Some(rest) = line.strip_prefix('{') else {
            return writer.write_str(&line);
        };
        write!(writer, "{{\"service\":\"{}\",", self.service)?;
        if trace::is_on() {
            let span = event
                .parent()
                .cloned()
                .or_else(|| ctx.lookup_current().map(|s| s.id()));
            let ids = span.and_then(|id| {
                tracing::dispatcher::get_default(|dispatch| trace::ids_of(&id, dispatch))
            });
            if let Some((trace_id, span_id)) = ids {
                write!(
                    writer,
                    "\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\","
                )?;
            }
        }
        writer.write_str(rest)
    }
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".to_owned()),
                &[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (a test harness): keep one of our own to render.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// `GET /metrics` in Prometheus text format.
pub async fn metrics_endpoint() -> impl IntoResponse {
    let handle = metrics_handle();
    handle.run_upkeep();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        handle.render(),
    )
}

/// Request ids are UUID v7, so they sort by time in logs.
#[derive(Clone, Copy)]
struct MakeUuidV7;

impl MakeRequestId for MakeUuidV7 {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        new_request_id().parse().ok().map(RequestId::new)
    }
}

/// The shared middleware: request id (created or propagated), a trace span per request with
/// the matched route and request id, per-route metrics, and panics turned into an opaque 500.
pub fn layer<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    service: &'static str,
) -> Router<S> {
    router
        // A route layer, so that the matched route is known; unmatched requests are counted
        // by the fallback's own route.
        .route_layer(middleware::from_fn(move |req: Request, next: Next| {
            record_metrics(service, req, next)
        }))
        // Room for the request's actor, noted when its token is verified and named by the
        // events it stages (`auth::actor`).
        .layer(middleware::from_fn(|req: Request, next: Next| {
            crate::auth::actor::scoped(next.run(req))
        }))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("handler panicked").into_response()
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
                    let request_id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    let span = server_span(service, req.method(), &route, request_id);
                    trace::continue_from(&span, req.headers());
                    span
                })
                .on_response(
                    |res: &Response<_>, latency: std::time::Duration, _: &tracing::Span| {
                        tracing::info!(
                            status = res.status().as_u16(),
                            latency_ms = latency.as_millis() as u64,
                            "response"
                        );
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeUuidV7))
        .layer(tower::util::MapRequestLayer::new(
            drop_unacceptable_request_id,
        ))
}

/// The span of one request a service (or the gateway) serves: `http` with the method, route
/// and request id, named `<method> <route>` in traces and tagged with the service.
pub fn server_span(
    service: &'static str,
    method: &http::Method,
    route: &str,
    request_id: &str,
) -> tracing::Span {
    let span = tracing::info_span!(
        "http",
        method = %method,
        route,
        request_id,
        service,
        otel.name = tracing::field::Empty,
        otel.kind = "server",
    );
    if trace::is_on() {
        span.record("otel.name", format!("{method} {route}"));
    }
    span
}

async fn record_metrics(
    service: &'static str,
    req: Request,
    next: Next,
) -> axum::response::Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let labels = [
        ("service", service.to_owned()),
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The request id of the current request, for events' `correlationId`: the caller's when it
/// is acceptable ([`is_acceptable_request_id`]), a fresh one otherwise.
pub fn request_id(headers: &http::HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .filter(|v| is_acceptable_request_id(v.as_bytes()))
        .and_then(|v| v.to_str().ok())
        .map_or_else(new_request_id, str::to_owned)
}

/// Drops an `x-request-id` that is not acceptable, so that the next layer makes a fresh one.
fn drop_unacceptable_request_id(mut request: Request) -> Request {
    if let Some(given) = request.headers().get(REQUEST_ID)
        && !is_acceptable_request_id(given.as_bytes())
    {
        tracing::debug!(
            given = truncated(&String::from_utf8_lossy(given.as_bytes()), 64),
            "request id refused; a new one is made"
        );
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

#[cfg(test)]
mod tests;
