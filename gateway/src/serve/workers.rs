//! The threads that serve the connections, as nginx's worker processes do: one per core, each
//! a single-threaded tokio runtime with its own fast lane (and so its own idle connections to
//! the services). The accept loop hands each connection to the next thread in turn; from then
//! on everything that connection does (both lanes, hyper, a WebSocket relay, an event stream)
//! runs on that thread.
//!
//! Why: on tokio's multi-threaded runtime a connection's task is free to move between workers,
//! and a worker woken with work wakes another to steal it. Under `cargo xtask bench gateway`
//! that waking and parking (futex calls, condition variables) was 13 % of the gateway's CPU
//! per proxied read, where nginx's workers never hand work to each other.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use tokio::{net::TcpStream, sync::mpsc};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::per_client::Slot;
use crate::{AppState, lane::Lane};

/// An accepted connection on its way to a thread.
pub(super) struct Accepted {
    pub stream: std::net::TcpStream,
    pub peer: SocketAddr,
    pub slot: Slot,
}

/// What every connection is served with, whichever thread serves it.
#[derive(Clone)]
pub(super) struct Serving {
    pub router: Router,
    pub state: AppState,
    pub cancel: CancellationToken,
    /// Every connection being served, on any thread.
    pub connections: TaskTracker,
}

/// The connection threads.
pub(super) struct Workers {
    hands: Vec<mpsc::UnboundedSender<Accepted>>,
    next: usize,
    /// Fired when `serve` stops waiting for connections to finish: the threads end then.
    give_up: CancellationToken,
}

/// How many connection threads: one per core the process may use (cgroup limits included).
pub(super) fn count() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

impl Workers {
    /// Starts `count` threads serving with `serving`, each with a lane like `lane`.
    pub(super) fn start(count: usize, serving: &Serving, lane: &Lane) -> std::io::Result<Self> {
        let mut workers = Self {
            hands: Vec::with_capacity(count),
            next: 0,
            give_up: CancellationToken::new(),
        };
        for i in 0..count {
            if let Err(e) = workers.start_one(i, serving, lane) {
                // Those already started end at once.
                workers.give_up.cancel();
                return Err(e);
            }
        }
        Ok(workers)
    }

    fn start_one(&mut self, i: usize, serving: &Serving, lane: &Lane) -> std::io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (hand, taken) = mpsc::unbounded_channel();
        let lane = Arc::new(lane.with_own_pools(&serving.state));
        let (serving, give_up) = (serving.clone(), self.give_up.clone());
        std::thread::Builder::new()
            .name(format!("gateway-conn-{i}"))
            .spawn(move || {
                runtime.block_on(work(taken, serving, lane, give_up));
                // Whatever is left (an upstream's pooled connection task) is dropped.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        self.hands.push(hand);
        Ok(())
    }

    /// Hands `accepted` to the next thread in turn; gives it back when no thread takes it.
    pub(super) fn hand(&mut self, mut accepted: Accepted) -> Result<(), Accepted> {
        for _ in 0..self.hands.len() {
            let i = self.next % self.hands.len();
            self.next = self.next.wrapping_add(1);
            match self.hands[i].send(accepted) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(back)) => accepted = back,
            }
        }
        Err(accepted)
    }

    /// No more connections come: each thread ends once the connections are all served, or
    /// when the token this returns fires.
    pub(super) fn close(self) -> CancellationToken {
        self.give_up
    }
}

/// One thread's work: serves each connection it is handed until the accept loop ends, then
/// waits for the connections to finish (or for `serve` to give up on them).
async fn work(
    mut taken: mpsc::UnboundedReceiver<Accepted>,
    serving: Serving,
    lane: Arc<Lane>,
    give_up: CancellationToken,
) {
    while let Some(accepted) = taken.recv().await {
        match TcpStream::from_std(accepted.stream) {
            Ok(stream) => spawn(&serving, stream, accepted.peer, accepted.slot, lane.clone()),
            Err(e) => tracing::warn!(error = %e, "cannot take an accepted connection"),
        }
    }
    tokio::select! {
        () = serving.connections.wait() => {}
        () = give_up.cancelled() => {}
    }
}

/// Serves one connection on the current runtime, counted in `serving.connections`.
pub(super) fn spawn(
    serving: &Serving,
    stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    lane: Arc<Lane>,
) {
    let Serving {
        router,
        state,
        cancel,
        connections,
    } = serving.clone();
    connections.spawn(async move {
        super::connection(stream, peer, router, state, lane, cancel).await;
        drop(slot);
    });
}
