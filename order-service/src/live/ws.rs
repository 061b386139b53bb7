//! `GET /ws/orders`: order changes over WebSocket, run by [`shared::ws`] (token, close codes,
//! heartbeats, error frames, laggards, revocation).
//!
//! Client messages: `{"type":"subscribe","orderId":"…"}` (own orders, or any for an admin),
//! `{"type":"subscribe","all":true}` (every order of the caller; every order for an admin) and
//! `{"type":"unsubscribe","orderId":"…"}`. Server messages: `snapshot`, `order.status_changed`,
//! `heartbeat` (while idle) and `error` (`{code, message}`); a subscription to one order is
//! acknowledged by its snapshot, one to all orders by `{"type":"subscribed","all":true}`
//! followed by a snapshot of each open order. A client that comes back after index `n` of an
//! order subscribes with `"after": n`: the snapshot is then the order as it stood at `n`,
//! followed by every change after `n` from the stored history, oldest first, each with the
//! order as it stood then, before any live change ([`super::resume`]). A live change that
//! skips indices of an order the client was sent is preceded by the missing ones from the
//! store (when the store cannot be read the socket closes with 1011, and the client resumes
//! with `after`). When every order followed one by one has reached a final status (and `all`
//! was not asked for), the socket closes normally. A client that does not read is dropped by
//! the hub as soon as its buffer is full (1008).

use axum::{extract::State, response::Response};
use shared::ws::{Driver, Upgrade};

use super::Filter;
use crate::state::AppState;

mod subscriptions;

use subscriptions::Session;

/// The handler: authenticates, then upgrades.
pub async fn upgrade(State(state): State<AppState>, upgrade: Upgrade) -> Response {
    let (ws, caller) = match upgrade.require() {
        Ok(parts) => parts,
        Err(refused) => return refused,
    };
    ws.on_upgrade(move |socket| async move {
        let subscription = state.hub.subscribe("ws", Filter::default());
        let every = state.config.streams.heartbeat;
        let driver = Driver::new(every)
            .shutdown_on(state.cancel.clone())
            .dropped_by(subscription.dropped())
            .revocable(state.infra.verifier.clone(), caller.claims.clone(), every);
        let session = Session {
            state,
            caller,
            subscription,
            open: Default::default(),
            all: false,
            last: Default::default(),
        };
        driver.serve(socket, session).await;
    })
}
