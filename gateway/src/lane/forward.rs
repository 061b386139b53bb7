//! An admitted request sent on: its head written for each replica of its service, sent to
//! the first that takes the connection, and the answer passed back to the client.

use axum::http::{Method, StatusCode};
use shared::ApiError;
use tokio_util::sync::CancellationToken;

use super::{Exchange, Lane, Prepared, upstream, upstream::Relayed, wire};
use crate::{AppState, routes::proxy::OpenStream};

impl Lane {
    /// `request`'s head as each replica of service `index` to try gets it (its `Host` and base
    /// path differ), in the order tried; replicas with no address are left out.
    pub(super) fn per_replica(
        &self,
        index: usize,
        upstream: &crate::routing::Upstream,
        request: wire::RequestHead<'_>,
    ) -> Vec<(usize, Vec<u8>)> {
        let mut requests = Vec::new();
        for replica in upstream.attempts() {
            let Some(authority) = self.pools[index][replica].authority.as_deref() else {
                continue;
            };
            let target = wire::Target {
                base_path: upstream.replicas()[replica].base_path(),
                ..request.target
            };
            let head = wire::RequestHead {
                authority,
                target,
                ..request
            };
            requests.push((replica, head.write()));
        }
        requests
    }

    /// Forwards a prepared request and passes the answer back.
    pub(super) async fn forward(
        &self,
        state: &AppState,
        exchange: Exchange<'_>,
        prepared: Prepared,
        method: &Method,
        stop: &CancellationToken,
    ) -> (StatusCode, bool) {
        let service = &state.routes.upstreams()[prepared.pool];
        let mut sent = Err(upstream::SendError::Refused("no replica".to_owned()));
        let mut pool = &self.pools[prepared.pool][0];
        // A replica that refuses the connection got nothing: the next one is asked. Once a
        // request went out, it is never sent again.
        for (replica, request) in &prepared.requests {
            pool = &self.pools[prepared.pool][*replica];
            sent = upstream::send(
                pool,
                request,
                method,
                &self.watch,
                state.connect_timeout,
                state.read_timeout,
            )
            .await;
            match &sent {
                Err(upstream::SendError::Refused(_)) => service.mark_down(*replica),
                _ => {
                    service.mark_up(*replica);
                    break;
                }
            }
        }
        let answer = match sent {
            Ok(answer) => answer,
            Err(
                upstream::SendError::Refused(reason)
                | upstream::SendError::Unavailable(upstream::Unavailable(reason)),
            ) => {
                tracing::warn!(upstream = %prepared.upstream, error = %reason, "upstream unavailable");
                let error = ApiError::UpstreamUnavailable(prepared.upstream);
                return exchange.refuse(self, error, method).await;
            }
        };
        let status = answer.head.status;
        let close = exchange.close || answer.head.close;
        let out = self.passed_on_head(&answer.head, exchange.id, exchange.verdict, close);
        let is_stream = answer.head.event_stream;
        let _open = is_stream.then(OpenStream::new);
        let limit = (!is_stream).then_some(state.read_timeout);
        let relayed = upstream::relay(
            exchange.client,
            exchange.client_buf,
            out,
            answer,
            limit,
            stop,
        )
        .await;
        match relayed {
            Relayed::Done(stream) => {
                pool.checkin(stream);
                (status, !close)
            }
            Relayed::DoneClosed => (status, !close),
            Relayed::Broken => (status, false),
        }
    }
}
