//! The threads that serve the connections, as nginx's worker processes do: one per core, each
//! a single-threaded tokio runtime with its own fast lane (and so its own idle connections to
//! the services). The accept loop hands each connection to the thread serving the fewest
//! (the next in turn among equals); from then on everything that connection does (both lanes,
//! hyper, a WebSocket relay, an event stream) runs on that thread. Counting open connections
//! rather than taking turns keeps long-lived ones (event streams, WebSockets) spread: in turn,
//! a thread whose short connections had all ended would still get only its share of new ones.
//! Each thread's count is the gauge `gateway_connections_open{thread="gateway-conn-<i>"}`.
//!
//! Why: on tokio's multi-threaded runtime a connection's task is free to move between workers,
//! and a worker woken with work wakes another to steal it. Under `cargo xtask bench gateway`
//! that waking and parking (futex calls, condition variables) was 13 % of the gateway's CPU
//! per proxied read, where nginx's workers never hand work to each other.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

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

/// The connections a thread is serving: counted up when one is handed to it, down when it
/// ends, and published as a gauge.
struct Load {
    open: AtomicUsize,
    gauge: metrics::Gauge,
}

impl Load {
    fn new(thread: &str) -> Arc<Self> {
        let gauge = metrics::gauge!("gateway_connections_open", "thread" => thread.to_owned());
        gauge.set(0.0);
        Arc::new(Self {
            open: AtomicUsize::new(0),
            gauge,
        })
    }

    fn now(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// One more connection, until the guard it returns is dropped.
    fn one_more(self: &Arc<Self>) -> Open {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.gauge.increment(1.0);
        Open(self.clone())
    }
}

/// A connection counted in its thread's [`Load`] while it is held.
struct Open(Arc<Load>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
        self.0.gauge.decrement(1.0);
    }
}

/// The index of the least loaded of `count` threads (`load(i)`), the first at or after
/// `next` among equals.
fn least_loaded(count: usize, next: usize, load: impl Fn(usize) -> usize) -> Option<usize> {
    (0..count)
        .map(|k| (next + k) % count)
        .min_by_key(|&i| load(i))
}

/// The way into a connection thread: a connection, counted in its load.
type Hand = mpsc::UnboundedSender<(Accepted, Open)>;

/// The connection threads.
pub(super) struct Workers {
    /// Each thread's way in and its load; a thread found gone is left out.
    hands: Vec<(Hand, Arc<Load>)>,
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
        let name = format!("gateway-conn-{i}");
        let load = Load::new(&name);
        std::thread::Builder::new().name(name).spawn(move || {
            runtime.block_on(work(taken, serving, lane, give_up));
            // Whatever is left (an upstream's pooled connection task) is dropped.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
        self.hands.push((hand, load));
        Ok(())
    }

    /// Hands `accepted` to the thread serving the fewest connections (see the module docs);
    /// gives it back when no thread takes it.
    pub(super) fn hand(&mut self, mut accepted: Accepted) -> Result<(), Accepted> {
        loop {
            let loads = |i: usize| self.hands[i].1.now();
            let Some(i) = least_loaded(self.hands.len(), self.next, loads) else {
                return Err(accepted);
            };
            let (hand, load) = &self.hands[i];
            match hand.send((accepted, load.one_more())) {
                Ok(()) => {
                    self.next = i + 1;
                    return Ok(());
                }
                Err(mpsc::error::SendError((back, _))) => {
                    // That thread is gone: the others take its share from now on.
                    accepted = back;
                    self.hands.swap_remove(i);
                }
            }
        }
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
    mut taken: mpsc::UnboundedReceiver<(Accepted, Open)>,
    serving: Serving,
    lane: Arc<Lane>,
    give_up: CancellationToken,
) {
    while let Some((accepted, open)) = taken.recv().await {
        match TcpStream::from_std(accepted.stream) {
            Ok(stream) => {
                let held = (accepted.slot, open);
                spawn(&serving, stream, accepted.peer, held, lane.clone());
            }
            Err(e) => tracing::warn!(error = %e, "cannot take an accepted connection"),
        }
    }
    tokio::select! {
        () = serving.connections.wait() => {}
        () = give_up.cancelled() => {}
    }
}

/// Serves one connection on the current runtime, counted in `serving.connections`; `held`
/// (its place in the per-address cap, its thread's count) is let go when it ends.
pub(super) fn spawn(
    serving: &Serving,
    stream: TcpStream,
    peer: SocketAddr,
    held: impl Send + 'static,
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
        drop(held);
    });
}

#[cfg(test)]
mod tests {
    use super::least_loaded;

    fn of(loads: &[usize], next: usize) -> Option<usize> {
        least_loaded(loads.len(), next, |i| loads[i])
    }

    #[test]
    fn the_least_loaded_thread_is_chosen_and_equals_take_turns() {
        assert_eq!(of(&[], 0), None);
        assert_eq!(of(&[3, 1, 2], 0), Some(1));
        assert_eq!(of(&[3, 1, 2], 2), Some(1));
        // Among equals, the first at or after `next`, wrapping round.
        assert_eq!(of(&[0, 0, 0], 0), Some(0));
        assert_eq!(of(&[0, 0, 0], 1), Some(1));
        assert_eq!(of(&[0, 0, 0], 3), Some(0));
        assert_eq!(of(&[1, 2, 1], 2), Some(2));
        assert_eq!(of(&[1, 2, 1], 1), Some(2));
    }
}
