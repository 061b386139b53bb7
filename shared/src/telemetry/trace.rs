//! Distributed traces (DESIGN.md, "Beyond one machine"): W3C trace context (`traceparent`,
//! `tracestate`) taken from every incoming request and passed on in every outgoing call and
//! event, spans exported over OTLP (HTTP/protobuf) when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//!
//! Spans are `tracing` spans; tracing-opentelemetry turns them into OpenTelemetry spans. When
//! no endpoint is set that layer is not installed at all: nothing is exported, no span carries
//! a trace, and [`is_on`] lets hot paths (the gateway's fast lane) skip the work. The
//! `traceparent` a caller sent then passes through the gateway unchanged.
//!
//! The exporter sends through the suite's own reqwest (rustls on ring), driven by a small
//! runtime of its own ([`Client`]): the SDK's batch processor exports from its own thread,
//! outside any tokio runtime, so a service's runtime (or a test's) is never needed or blocked.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider},
};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C `traceparent` header (and AMQP header): version, trace id, parent span id, flags.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// The W3C `tracestate` header (and AMQP header): vendors' entries, passed on as they came.
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");
/// The variable that turns export on: the collector's base URL (`/v1/traces` is appended).
pub const ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

static ON: AtomicBool = AtomicBool::new(false);

/// Whether spans are being traced (an OTLP layer was installed in this process).
pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Where and how often spans are exported.
#[derive(Debug, Clone)]
pub struct Otlp {
    /// The collector's base URL, e.g. `http://jaeger:4318`.
    pub endpoint: String,
    /// How long finished spans wait to be sent in one batch (the SDK's default is 5 s).
    pub flush_every: Duration,
}

impl Otlp {
    /// From `OTEL_EXPORTER_OTLP_ENDPOINT`: `None` (export off) when unset or blank.
    pub fn from_env(env: &crate::config::Env) -> Option<Self> {
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .map(|endpoint| Self {
                endpoint,
                flush_every: Duration::from_secs(5),
            })
    }

    /// The URL spans are posted to.
    pub fn traces_url(&self) -> String {
        format!("{}/v1/traces", self.endpoint.trim_end_matches('/'))
    }
}

/// The exporting side of tracing; flush it before the process ends ([`Tracing::shutdown`]).
#[derive(Debug, Clone)]
pub struct Tracing {
    provider: SdkTracerProvider,
}

impl Tracing {
    /// Sends what is still waiting and stops exporting. Blocks until done (call it outside
    /// async code, or in `spawn_blocking`).
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("telemetry: traces not flushed: {e}");
        }
    }

    /// Sends what is waiting now. Blocks until done, like [`Tracing::shutdown`].
    pub fn flush(&self) {
        let _ = self.provider.force_flush();
    }
}

/// Why the exporter could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot export traces: {0}")]
pub struct ExportError(String);

/// The tracing-opentelemetry layer exporting `service`'s spans to `otlp`, and its [`Tracing`].
/// Installing the layer is what turns tracing on; the caller marks it with [`mark_on`].
pub fn layer<S>(
    service: &'static str,
    otlp: &Otlp,
) -> Result<(impl tracing_subscriber::Layer<S>, Tracing), ExportError>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(Client::new()?)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(otlp.traces_url())
        .with_timeout(EXPORT_DEADLINE)
        .build()
        .map_err(|e| ExportError(e.to_string()))?;
    let batches = BatchConfigBuilder::default()
        .with_scheduled_delay(otlp.flush_every)
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(
            BatchSpanProcessor::builder(exporter)
                .with_batch_config(batches)
                .build(),
        )
        .with_resource(Resource::builder().with_service_name(service).build())
        .build();
    let tracer = provider.tracer(service);
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false);
    Ok((layer, Tracing { provider }))
}

/// Records that an OTLP layer is installed (see [`is_on`]).
pub fn mark_on() {
    ON.store(true, Ordering::Relaxed);
}

/// How long one export may take.
const EXPORT_DEADLINE: Duration = Duration::from_secs(10);

/// Makes `span` continue the trace of `headers`' `traceparent` (and `tracestate`). An absent
/// or malformed one leaves `span` the root of a new trace. Call before the span is entered.
pub fn continue_from(span: &tracing::Span, headers: &HeaderMap) {
    if !is_on() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// [`continue_from`] for a context carried as text (an event's AMQP headers, a fast-lane head).
pub fn continue_from_parts(span: &tracing::Span, traceparent: &str, tracestate: Option<&str>) {
    if !is_on() {
        return;
    }
    let parent = context_of(traceparent, tracestate);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// The context a `traceparent` (and `tracestate`) describe; an empty one when malformed.
pub fn context_of(traceparent: &str, tracestate: Option<&str>) -> Context {
    let pairs = Pairs {
        traceparent,
        tracestate,
    };
    TraceContextPropagator::new().extract(&pairs)
}

/// Writes `span`'s context into `headers` (replacing any `traceparent` and `tracestate` the
/// caller sent); leaves them as they are when tracing is off.
pub fn inject_span(span: &tracing::Span, headers: &mut HeaderMap) {
    if !is_on() {
        return;
    }
    let context = span.context();
    if context.span().span_context().is_valid() {
        headers.remove(TRACESTATE);
        TraceContextPropagator::new().inject_context(&context, &mut HeadersMut(headers));
    }
}

/// [`inject_span`] for the current span.
pub fn inject(headers: &mut HeaderMap) {
    inject_span(&tracing::Span::current(), headers);
}

/// `span`'s context as `(traceparent, tracestate)` text, for a carrier that is not a header
/// map (an event, a fast-lane head); `None` when tracing is off or the span is not traced.
pub fn parts_of(span: &tracing::Span) -> Option<(String, Option<String>)> {
    if !is_on() {
        return None;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut out = Owned::default();
    TraceContextPropagator::new().inject_context(&context, &mut out);
    out.traceparent.map(|p| (p, out.tracestate))
}

/// [`parts_of`] for the current span.
pub fn current_parts() -> Option<(String, Option<String>)> {
    parts_of(&tracing::Span::current())
}

/// The trace and span id of `span` as lowercase hex, when it is traced (for log lines).
pub fn ids_of(id: &tracing::span::Id, dispatch: &tracing::Dispatch) -> Option<(String, String)> {
    let context = tracing_opentelemetry::get_otel_context(id, dispatch)?;
    let span = context.span();
    let ids = span.span_context();
    ids.is_valid()
        .then(|| (ids.trace_id().to_string(), ids.span_id().to_string()))
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct Pairs<'a> {
    traceparent: &'a str,
    tracestate: Option<&'a str>,
}

impl Extractor for Pairs<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => Some(self.traceparent),
            "tracestate" => self.tracestate,
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}

#[derive(Default)]
struct Owned {
    traceparent: Option<String>,
    tracestate: Option<String>,
}

impl Injector for Owned {
    fn set(&mut self, key: &str, value: String) {
        match key {
            "traceparent" => self.traceparent = Some(value),
            "tracestate" if !value.is_empty() => self.tracestate = Some(value),
            _ => {}
        }
    }
}

/// The exporter's HTTP client: the suite's reqwest, on a one-thread runtime of its own that
/// each export drives (the SDK exports from its own thread, with no runtime around it).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Client {
    fn new() -> Result<Self, ExportError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ExportError(e.to_string()))?;
        let http = crate::http::client_builder(&crate::http::Trust::system())
            .connect_timeout(Duration::from_secs(2))
            .timeout(EXPORT_DEADLINE)
            .build()
            .map_err(|e| ExportError(e.to_string()))?;
        Ok(Self {
            http,
            runtime: Arc::new(runtime),
        })
    }

    async fn send(
        http: reqwest::Client,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let response = http.execute(request).await?;
        let status = response.status();
        let body = response.bytes().await?;
        Ok(http::Response::builder().status(status).body(body)?)
    }
}

impl opentelemetry_http::HttpClient for Client {
    // The trait is declared with `async_trait`; this is its expansion, written out so that the
    // suite does not take a proc-macro crate for one impl.
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: http::Request<bytes::Bytes>,
    ) -> Pin<
        Box<
            dyn Future<Output = Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError>>
                + Send
                + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let (http, runtime) = (self.http.clone(), self.runtime.clone());
        Box::pin(async move {
            // Called on the batch processor's thread, outside any runtime: this one is driven
            // here. Inside a runtime (an exporter used another way), the caller's is used.
            match tokio::runtime::Handle::try_current() {
                Ok(_) => Self::send(http, request).await,
                Err(_) => runtime.block_on(Self::send(http, request)),
            }
        })
    }
}

#[cfg(test)]
mod tests;
