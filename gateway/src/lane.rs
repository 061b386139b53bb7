//! The fast lane: the gateway's common case — a bodiless `GET`, `HEAD` or `DELETE`, or a
//! `POST`, `PUT` or `PATCH` with a JSON body of a plain length, to `/api/...` — served
//! straight off the connection, without hyper, axum's router or the pooled client in
//! between. The request (its body read whole first) passes the same door (`guard::check`:
//! token, rate limit, role rule, validation of the target, then the body's check the router
//! runs, `validate::check_bytes`), is forwarded on a keep-alive connection to its service
//! taken from a plain pool, and the answer is passed back byte for byte (its head edited as
//! the other lane edits it), all in the connection's own task.
//!
//! Why: under `cargo xtask bench gateway` the gateway spent 17.8 µs of user time per request
//! against nginx's 4–6 (kernel time was alike): hyper's server and client tasks, the channel
//! and wake-ups between them, the router and six middleware layers. This lane does one read
//! and one write each way and nothing else.
//!
//! Bodies under the lane went through hyper until `cargo xtask bench gateway` showed a
//! validated `PUT` through the gateway 1.5 ms slower at the median than through nginx.
//!
//! Everything else (chunked or large bodies, other content types, logging out, CORS requests
//! with `Origin`, WebSocket upgrades, HTTP/1.0, the gateway's own routes, anything
//! malformed) goes to hyper and the router, which then serve
//! the rest of that connection (`crate::serve`). The answers of both lanes carry the same
//! headers: the CORS and security headers this lane adds are read off the router's own layers
//! when the gateway starts.

mod answer;
mod forward;
mod request;
mod upstream;
pub mod wire;

use std::{net::SocketAddr, time::Instant};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    response::Response,
};
use bytes::BytesMut;
use shared::{ApiError, telemetry::REQUEST_ID};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    AppState, guard,
    ratelimit::{RouteClass, Verdict},
    telemetry::TelemetryLayer,
};
use request::{checked_body, knock, request_id, server_span};
use upstream::Pool;
use wire::Parsed;

/// What the fast lane keeps between requests.
pub struct Lane {
    /// Idle connections, one pool per service replica (services in the route table's order,
    /// then replicas in their configured order).
    pools: Vec<Vec<Pool>>,
    /// Headers the router's response layers add to an answer (CORS, security headers).
    added: Vec<(HeaderName, HeaderValue)>,
    /// The names looked for in an answer's head: the request id's, then those of `added`.
    watch: Vec<HeaderName>,
    telemetry: TelemetryLayer,
}

/// How a connection left the fast lane.
pub enum Ending {
    /// Closed (or to be closed).
    Closed,
    /// hyper serves it from here on, starting with these bytes already read.
    HandOver(BytesMut),
}

impl Lane {
    /// A lane for the services of `state`, adding what `layers` adds to an answer.
    pub async fn new(
        state: &AppState,
        layers: impl FnOnce(Router) -> Router,
        telemetry: TelemetryLayer,
    ) -> Self {
        use tower::ServiceExt;
        let probe = layers(Router::new().route("/", axum::routing::get(|| async {})));
        let request = Request::get("/")
            .body(Body::empty())
            .unwrap_or_else(|_| Request::new(Body::empty()));
        let added: Vec<(HeaderName, HeaderValue)> = match probe.oneshot(request).await {
            Ok(response) => response
                .headers()
                .iter()
                .filter(|(name, _)| **name != header::CONTENT_LENGTH)
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            Err(never) => match never {},
        };
        let watch = std::iter::once(REQUEST_ID)
            .chain(added.iter().map(|(name, _)| name.clone()))
            .collect();
        Self {
            pools: pools(state),
            added,
            watch,
            telemetry,
        }
    }

    /// A lane like this one with idle connections of its own: each connection thread
    /// (`crate::serve::workers`) keeps its own, so that a pooled connection is always driven by
    /// the thread that uses it.
    pub fn with_own_pools(&self, state: &AppState) -> Self {
        Self {
            pools: pools(state),
            added: self.added.clone(),
            watch: self.watch.clone(),
            telemetry: self.telemetry.clone(),
        }
    }

    /// Serves requests on `client` until it closes or sends one this lane does not take.
    pub async fn serve(
        &self,
        state: &AppState,
        client: &mut TcpStream,
        peer: SocketAddr,
        stop: &CancellationToken,
    ) -> Ending {
        let mut buf = BytesMut::with_capacity(4096);
        let limits = state.clients;
        // When the head being read must be whole: set at its first bytes, not per read, so
        // that a head trickled a line at a time cannot hold the connection (slow-loris).
        let mut head_deadline = None;
        loop {
            match self.handle(state, client, &mut buf, peer, stop).await {
                Step::Partial { head: true } if buf.len() >= wire::MAX_HEAD => {
                    return Ending::HandOver(buf);
                }
                Step::Partial { .. } => {
                    buf.reserve(4096);
                    let read = if buf.is_empty() {
                        // Between requests: up to the idle timeout, or shutdown. (`biased`:
                        // a request already there is read without arming the timer.)
                        tokio::select! {
                            biased;
                            read = client.read_buf(&mut buf) => read,
                            () = stop.cancelled() => return Ending::Closed,
                            () = tokio::time::sleep(limits.idle_timeout) => return Ending::Closed,
                        }
                    } else {
                        let deadline = *head_deadline.get_or_insert_with(|| {
                            tokio::time::Instant::now() + limits.head_timeout
                        });
                        let rest = tokio::time::timeout_at(deadline, client.read_buf(&mut buf));
                        rest.await.unwrap_or(Ok(0))
                    };
                    if !matches!(read, Ok(n) if n > 0) {
                        return Ending::Closed;
                    }
                }
                Step::Declined => return Ending::HandOver(buf),
                Step::Served { keep } => {
                    head_deadline = None;
                    if !keep || (stop.is_cancelled() && buf.is_empty()) {
                        let _ = client.shutdown().await;
                        return Ending::Closed;
                    }
                }
            }
        }
    }

    /// The request at the start of `buf`, if it is whole and this lane's: admitted and
    /// forwarded, or refused.
    async fn handle(
        &self,
        state: &AppState,
        client: &mut TcpStream,
        buf: &mut BytesMut,
        peer: SocketAddr,
        stop: &CancellationToken,
    ) -> Step {
        let started = Instant::now();
        let head = match wire::parse_request(buf, state.trusted_proxy_header.as_ref()) {
            Parsed::Partial => return Step::Partial { head: true },
            Parsed::Declined => return Step::Declined,
            Parsed::Complete(head) => head,
        };
        // The body is read whole (at most `wire::MAX_BODY`) before the door looks.
        if buf.len() < head.len + head.body {
            return Step::Partial { head: false };
        }
        // The request, split off: `buf` reads on (pipelined requests) while it is in use.
        let frame = buf.split_to(head.len + head.body).freeze();
        let id = request_id(&head, &frame);
        let span = server_span(&head, &frame, &id);
        let exchange = async {
            let route;
            let (status, keep) = match self.prepare(state, &head, &frame, &id, peer).await {
                Err(response) => {
                    // Refused: the door's route lookup is not at hand, so it is looked up here.
                    route = crate::api::label(&head.method, wire::text(&frame, &head.path));
                    self.answer(client, response, &head.method, &id, head.close)
                        .await
                }
                Ok(prepared) => {
                    route = prepared.route;
                    let exchange = Exchange {
                        client,
                        client_buf: buf,
                        id: &id,
                        class: prepared.class,
                        verdict: prepared.verdict,
                        close: head.close,
                    };
                    self.forward(state, exchange, prepared, &head.method, stop)
                        .await
                }
            };
            let elapsed = started.elapsed();
            self.telemetry
                .record(&head.method, route, status.as_u16(), elapsed.as_secs_f64());
            tracing::info!(
                status = status.as_u16(),
                latency_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                "response"
            );
            Step::Served {
                keep: keep && !head.close,
            }
        };
        exchange.instrument(span).await
    }

    /// The door, then the request as the service will get it; or the answer that refuses it.
    async fn prepare(
        &self,
        state: &AppState,
        head: &wire::Head,
        frame: &bytes::Bytes,
        id: &HeaderValue,
        peer: SocketAddr,
    ) -> Result<Prepared, Response> {
        let knock = knock(head, frame, peer);
        let (class, path, query) = (knock.class, knock.path, knock.query);
        let admitted = guard::check(state, knock)
            .await
            .map_err(|refusal| guard::refused(class, refusal))?;
        let verdict = admitted.verdict;
        // The door looked the route up already; `HEAD` is not in the table (counted as `GET`).
        let route = match admitted.route {
            Some(spec) if head.method != Method::HEAD => spec.path,
            _ => crate::api::label(&head.method, path),
        };
        let refuse = |error: ApiError| guard::refused(class, (error, Some(verdict)));
        let body = checked_body(state, head, frame, admitted.route)
            .await
            .map_err(refuse)?;
        let area = path.strip_prefix("/api").unwrap_or_default();
        let Some((index, upstream_path)) = state.routes.resolve_index(area) else {
            let error = ApiError::NotFound(format!("no service serves /api{area}"));
            return Err(refuse(error));
        };
        let upstream = &state.routes.upstreams()[index];
        // As the router's lane: the caller is forwarded only as a valid header value.
        let user = admitted
            .claims
            .as_ref()
            .filter(|c| wire::valid_value(c.sub.as_bytes()))
            .map(|c| (c.sub.as_str(), c.role.as_str()));
        // The service continues the gateway's span; not tracing, the client's context as it came.
        let ours = shared::telemetry::trace::current_parts();
        let trace = match &ours {
            Some((parent, state)) => (Some(parent.as_bytes()), state.as_deref().map(str::as_bytes)),
            None => (
                head.traceparent.as_ref().map(|r| &frame[r.clone()]),
                head.tracestate.as_ref().map(|r| &frame[r.clone()]),
            ),
        };
        let request = wire::RequestHead {
            method: &head.method,
            target: wire::Target {
                base_path: "",
                path: &upstream_path,
                query,
            },
            authority: "",
            lines: &head.lines,
            request_id: id.as_bytes(),
            trace,
            forwarded_for: head.forwarded_for.as_ref().map(|r| &frame[r.clone()]),
            client: Some(peer.ip()),
            user,
            body: body.as_deref(),
        };
        let requests = self.per_replica(index, upstream, request);
        if requests.is_empty() {
            return Err(refuse(ApiError::UpstreamUnavailable(upstream.name.clone())));
        }
        Ok(Prepared {
            route,
            requests,
            pool: index,
            upstream: upstream.name.clone(),
            class,
            verdict,
        })
    }
}

/// One empty pool per service replica of `state`'s route table (see [`Lane::pools`]).
fn pools(state: &AppState) -> Vec<Vec<Pool>> {
    state
        .routes
        .upstreams()
        .iter()
        .map(|u| u.replicas().iter().map(Pool::new).collect())
        .collect()
}

/// What `serve` does next.
enum Step {
    /// Read more: the head (`head`), or the body after it, is not whole yet.
    Partial { head: bool },
    /// Hand the connection to hyper.
    Declined,
    /// A request was answered; whether the connection goes on.
    Served { keep: bool },
}

/// An admitted request, ready to send.
struct Prepared {
    /// What it is counted under (`crate::api::label`).
    route: &'static str,
    /// Its head as each replica to try gets it, in the order tried.
    requests: Vec<(usize, Vec<u8>)>,
    /// The service (its index in the route table), and the service's name.
    pool: usize,
    upstream: String,
    class: RouteClass,
    verdict: Verdict,
}

/// One admitted request's client side.
struct Exchange<'a> {
    client: &'a mut TcpStream,
    client_buf: &'a mut BytesMut,
    id: &'a HeaderValue,
    class: RouteClass,
    verdict: Verdict,
    close: bool,
}

impl Exchange<'_> {
    /// Answers with `error` (and the rate limit's headers).
    async fn refuse(self, lane: &Lane, error: ApiError, method: &Method) -> (StatusCode, bool) {
        let response = guard::refused(self.class, (error, Some(self.verdict)));
        lane.answer(self.client, response, method, self.id, self.close)
            .await
    }
}
