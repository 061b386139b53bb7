//! The `/ws/analytics` socket, run by [`shared::ws`]: admins only (a bad token closes with
//! 4401, a customer gets 403 before the upgrade). Server messages: `dashboard` (`{type, data}`,
//! first at once, then whenever the figures change, never twice within
//! [`super::MIN_INTERVAL`]), `heartbeat` while idle, `error` (`{code, message}`). The socket
//! takes no client messages: each is answered with an error frame.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use shared::ws::{Close, Driver, Reply, Upgrade};
use tokio::{sync::watch, time::Instant};

use super::MIN_INTERVAL;
use crate::state::AppState;

/// Heartbeat interval while nothing changes.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often the admin's token is checked against revocations (a local lookup): a logout
/// closes the socket within this. Admin sockets are few, so more often than the heartbeat.
const REVOCATION_CHECK: Duration = Duration::from_secs(2);

/// The handler: authenticates, requires an admin, then upgrades.
pub async fn upgrade(State(state): State<AppState>, upgrade: Upgrade) -> Response {
    let (ws, caller) = match upgrade.require() {
        Ok(parts) => parts,
        Err(refused) => return refused,
    };
    if let Err(e) = caller.require_admin() {
        return e.into_response();
    }
    ws.on_upgrade(move |socket| async move {
        let driver = Driver::new(HEARTBEAT)
            .shutdown_on(state.cancel.clone())
            .revocable(
                state.infra.verifier.clone(),
                caller.claims,
                REVOCATION_CHECK,
            );
        let session = Viewer {
            figures: state.dashboard.subscribe(),
            state,
            last: None,
            last_sent: Instant::now(),
        };
        driver.serve(socket, session).await;
    })
}

/// One admin's dashboard: the figures it was sent last, and when.
struct Viewer {
    state: AppState,
    figures: watch::Receiver<Option<Arc<Value>>>,
    last: Option<Value>,
    last_sent: Instant,
}

fn dashboard(data: &Value) -> Value {
    json!({ "type": "dashboard", "data": data })
}

impl shared::ws::Session for Viewer {
    type Incoming = IgnoredAny;
    type Pushed = Result<(), watch::error::RecvError>;
    const EXPECTED: &'static str = "no messages";
    const DROPPED_COUNTER: &'static str = "analytics_ws_dropped_total";

    async fn start(&mut self) -> Reply {
        let first = match crate::live::figures(self.state.infra.db()).await {
            Ok(figures) => {
                let first = Reply::json([&dashboard(&figures)]);
                self.last = Some(figures);
                first
            }
            Err(e) => Reply::error(&e),
        };
        self.last_sent = Instant::now();
        self.figures.mark_unchanged();
        first
    }

    async fn handle(&mut self, _: IgnoredAny) -> Reply {
        Reply::json([&shared::ws::error(
            "VALIDATION_ERROR",
            "this socket takes no messages",
        )])
    }

    fn next(&mut self) -> impl Future<Output = Self::Pushed> + Send {
        self.figures.changed()
    }

    async fn push(&mut self, changed: Self::Pushed) -> Reply {
        if changed.is_err() {
            return Reply::close(Close::going_away());
        }
        // Never twice within the interval: wait it out, then send the latest.
        tokio::time::sleep_until(self.last_sent + MIN_INTERVAL).await;
        let Some(value) = self.figures.borrow_and_update().clone() else {
            return Reply::none();
        };
        if self.last.as_ref() == Some(&*value) {
            return Reply::none();
        }
        self.last = Some((*value).clone());
        self.last_sent = Instant::now();
        Reply::json([&dashboard(&value)])
    }
}
