//! What the fast lane reads off a parsed request before it is forwarded: its id and span,
//! what the door is shown, and its body once checked.

use std::net::SocketAddr;

use axum::http::HeaderValue;
use shared::ApiError;

use super::wire;
use crate::{AppState, guard, ratelimit::RouteClass, telemetry, validate};

/// The body of a `POST`, `PUT` or `PATCH` (a view of the frame, not a copy), once it is under
/// the route's size limit and passes its check; `None` for the other methods.
pub(super) async fn checked_body(
    state: &AppState,
    head: &wire::Head,
    frame: &bytes::Bytes,
    route: Option<&'static crate::api::RouteSpec>,
) -> Result<Option<bytes::Bytes>, ApiError> {
    if !validate::carries_body(&head.method) {
        return Ok(None);
    }
    let body = frame.slice(head.len.min(frame.len())..);
    if body.len() > validate::body_limit(state.max_body_bytes, route) {
        return Err(ApiError::PayloadTooLarge);
    }
    let content_type = head.content_type.as_ref().map(|r| wire::text(frame, r));
    validate::check_bytes(content_type, &body, route).await?;
    Ok(Some(body))
}

/// What the door is shown of a request parsed from `frame`.
pub(super) fn knock<'a>(
    head: &'a wire::Head,
    frame: &'a [u8],
    peer: SocketAddr,
) -> guard::Knock<'a> {
    let text = |range: &std::ops::Range<usize>| wire::text(frame, range);
    let path = text(&head.path);
    let query = head.query.as_ref().map(text);
    guard::Knock {
        class: RouteClass::of(&head.method, path),
        method: &head.method,
        path,
        query,
        token: shared::auth::bearer_token_in(
            head.authorization.as_ref().map(text),
            query.filter(|_| shared::auth::takes_query_token(path)),
        ),
        authorization_twice: head.authorization_twice,
        proxy_header: head.proxy_header.as_ref().map(text),
        peer: Some(peer),
    }
}

/// The request's id: the client's when it is acceptable (a view of the frame, no copy), else
/// a new one.
pub(super) fn request_id(head: &wire::Head, frame: &bytes::Bytes) -> HeaderValue {
    match head.request_id.as_ref() {
        None => telemetry::new_request_id(),
        Some(given) if shared::telemetry::is_acceptable_request_id(&frame[given.clone()]) => {
            // The check above is stricter than the parse.
            HeaderValue::from_maybe_shared(frame.slice(given.clone()))
                .unwrap_or_else(|_| telemetry::new_request_id())
        }
        Some(refused) => {
            telemetry::note_refused_request_id(&frame[refused.clone()]);
            telemetry::new_request_id()
        }
    }
}

/// The gateway's span for the request, continuing the client's trace context; none when
/// `INFO` is off.
pub(super) fn server_span(head: &wire::Head, frame: &[u8], id: &HeaderValue) -> tracing::Span {
    if !tracing::enabled!(tracing::Level::INFO) {
        return tracing::Span::none();
    }
    let request_id = id.to_str().unwrap_or_default();
    let route = crate::api::label(&head.method, wire::text(frame, &head.path));
    let span = shared::telemetry::server_span("gateway", &head.method, route, request_id);
    if let Some(traceparent) = &head.traceparent {
        let tracestate = head.tracestate.as_ref().map(|r| wire::text(frame, r));
        shared::telemetry::trace::continue_from_parts(
            &span,
            wire::text(frame, traceparent),
            tracestate,
        );
    }
    span
}
