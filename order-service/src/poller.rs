//! The loop every durable schedule of orders runs (fulfilment, the saga's deadline): one pass
//! every `poll`, under [`shared::supervise::spawn`] so that a panic restarts it, beating a
//! heartbeat that `/health` watches so that a stuck pass shows.

use std::{future::Future, time::Duration};

use shared::{ApiError, supervise::Heartbeat};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a pass may take before the poller counts as stalled in `/health`.
const PASS_DEADLINE: Duration = Duration::from_secs(60);

/// Runs `pass` every `poll` until `cancel`; `pass` answers how many orders it changed.
pub fn spawn<F, Fut>(
    name: &'static str,
    poll: Duration,
    cancel: CancellationToken,
    pass: F,
) -> (JoinHandle<()>, Heartbeat)
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<usize, ApiError>> + Send + 'static,
{
    let heartbeat = Heartbeat::new(name, PASS_DEADLINE + poll);
    let beat = heartbeat.clone();
    let stop = cancel.clone();
    let task = shared::supervise::spawn(name, cancel, move || {
        let (pass, beat, cancel) = (pass.clone(), beat.clone(), stop.clone());
        async move {
            loop {
                match pass().await {
                    Ok(0) => {}
                    Ok(changed) => tracing::debug!(poller = name, changed, "orders changed"),
                    Err(e) => tracing::warn!(poller = name, error = %e, "poll failed; retrying"),
                }
                beat.beat();
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(poll) => {}
                }
            }
        }
    });
    (task, heartbeat)
}
