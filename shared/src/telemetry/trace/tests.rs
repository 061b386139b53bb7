//! Trace context in and out: continued when valid, replaced when malformed, carried as text.

use axum::{Router, body::Body, extract::Request, routing::get};
use opentelemetry::trace::TracerProvider as _;
use tower::ServiceExt;
use tracing_subscriber::prelude::*;

use super::*;

const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A subscriber that traces every span (sampled, exported nowhere), as `init` makes when an
/// endpoint is set.
fn traced() -> impl tracing::Subscriber + Send + Sync {
    mark_on();
    let provider = SdkTracerProvider::builder().build();
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
}

/// A service behind the shared middleware whose handler answers the trace context it runs in.
fn app() -> Router {
    let router = Router::new().route(
        "/where",
        get(|| async {
            current_parts()
                .map(|(parent, _)| parent)
                .unwrap_or_default()
        }),
    );
    crate::telemetry::layer(router, "test-service")
}

async fn traceparent_seen_with(header: Option<&str>) -> String {
    let mut request = Request::get("/where");
    if let Some(header) = header {
        request = request.header(TRACEPARENT, header);
    }
    let response = app()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

fn parts(traceparent: &str) -> Vec<String> {
    traceparent.split('-').map(str::to_owned).collect()
}

#[tokio::test]
async fn an_incoming_traceparent_is_continued_by_the_request_span() {
    let _guard = tracing::subscriber::set_default(traced());

    let seen = traceparent_seen_with(Some(INCOMING)).await;

    let seen = parts(&seen);
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[1], TRACE_ID, "the caller's trace goes on");
    assert_ne!(seen[2], "00f067aa0ba902b7", "under a span of its own");
    assert_eq!(seen[3], "01");
}

#[tokio::test]
async fn a_malformed_traceparent_is_replaced_by_a_new_trace() {
    let _guard = tracing::subscriber::set_default(traced());
    for malformed in [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473z-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "a trace id, trust me",
    ] {
        let seen = parts(&traceparent_seen_with(Some(malformed)).await);

        assert_eq!(seen.len(), 4, "{malformed}: {seen:?}");
        assert_ne!(seen[1], TRACE_ID, "{malformed}");
        assert_eq!(seen[1].len(), 32, "{malformed}: {seen:?}");
        assert_ne!(seen[1], "0".repeat(32), "{malformed}");
    }
}

#[tokio::test]
async fn without_a_traceparent_a_request_starts_a_trace() {
    let _guard = tracing::subscriber::set_default(traced());

    let (first, second) = (
        traceparent_seen_with(None).await,
        traceparent_seen_with(None).await,
    );

    assert_eq!(parts(&first).len(), 4, "{first}");
    assert_ne!(parts(&first)[1], parts(&second)[1], "one trace per request");
}

#[test]
fn outgoing_headers_carry_the_current_span_and_replace_the_callers() {
    tracing::subscriber::with_default(traced(), || {
        let span = tracing::info_span!("call");
        continue_from_parts(&span, INCOMING, Some("vendor=1"));
        let mut headers = HeaderMap::new();
        headers.insert(TRACEPARENT, HeaderValue::from_static("00-stale"));
        headers.insert(TRACESTATE, HeaderValue::from_static("stale=1"));

        inject_span(&span, &mut headers);

        let sent = headers[TRACEPARENT].to_str().unwrap();
        assert_eq!(parts(sent)[1], TRACE_ID);
        assert_eq!(headers[TRACESTATE], "vendor=1");
        let (text, state) = parts_of(&span).unwrap();
        assert_eq!(text, sent);
        assert_eq!(state.as_deref(), Some("vendor=1"));
    });
}

#[test]
fn a_span_outside_any_trace_layer_carries_nothing() {
    let span = tracing::Span::none();
    let mut headers = HeaderMap::new();
    inject_span(&span, &mut headers);
    assert!(headers.is_empty());
    assert!(parts_of(&span).is_none());
}

#[test]
fn the_endpoint_variable_turns_export_on_and_names_the_traces_url() {
    use crate::config::Env;
    assert!(Otlp::from_env(&Env::from_pairs(&[])).is_none());
    assert!(Otlp::from_env(&Env::from_pairs(&[(ENDPOINT_VAR, "  ")])).is_none());
    let otlp = Otlp::from_env(&Env::from_pairs(&[(ENDPOINT_VAR, "http://jaeger:4318/")])).unwrap();
    assert_eq!(otlp.traces_url(), "http://jaeger:4318/v1/traces");
}
