//! Background tasks that cannot die silently: a supervisor that restarts a task which panicked
//! or ended before shutdown, and a [`Heartbeat`] a looping task beats once per pass so that
//! `/health` and `/metrics` can tell a live loop from a stuck one.
//!
//! Why: a panic inside the outbox relay (an over-long AMQP short string) once ended its task
//! and nothing noticed; the service answered `/health` with `ok` while no event left it again.
//! Every relay, consumer and poller runs under [`spawn`] now, so that a failure is logged,
//! counted (`background_task_restarts_total{task}`) and followed by a fresh start.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use tokio::task::JoinHandle;

use crate::api::health::OutboxBacklog;
use tokio_util::sync::CancellationToken;

/// A run that lasted this long resets the pause: it was a failure, not a crash loop.
const STABLE: Duration = Duration::from_secs(30);

/// Runs `make()` as a task of its own, and again whenever that task panics or returns before
/// `cancel` fires. Returns once `cancel` fired and the current run has ended.
pub fn spawn<F, Fut>(task: &'static str, cancel: CancellationToken, make: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    metrics::counter!("background_task_restarts_total", "task" => task).increment(0);
    tokio::spawn(async move {
        // Restarts back off like reconnects: tasks that died together start again apart.
        let mut pause = crate::retry::RECONNECT.backoff();
        loop {
            let started = tokio::time::Instant::now();
            let outcome = tokio::spawn(make()).await;
            if cancel.is_cancelled() {
                return;
            }
            match outcome {
                Err(e) if e.is_panic() => {
                    tracing::error!(task, error = %panic_text(e), "background task panicked; restarting it");
                }
                Err(e) => {
                    tracing::error!(task, error = %e, "background task aborted; restarting it")
                }
                Ok(()) => {
                    tracing::error!(task, "background task ended before shutdown; restarting it")
                }
            }
            metrics::counter!("background_task_restarts_total", "task" => task).increment(1);
            if started.elapsed() >= STABLE {
                pause.reset();
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(pause.next_delay()) => {}
            }
        }
    })
}

fn panic_text(e: tokio::task::JoinError) -> String {
    let payload = e.into_panic();
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// When a looping task last finished a pass, and how long a pass may take before the task
/// counts as stalled. Cheap to clone; the clones share the time.
#[derive(Clone)]
pub struct Heartbeat {
    name: &'static str,
    last_ms: Arc<AtomicU64>,
    deadline: Duration,
    /// What the task had left to do per part at its last pass (an outbox relay's backlog per
    /// collection), for `/health`.
    backlog: Arc<std::sync::Mutex<BTreeMap<String, OutboxBacklog>>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Heartbeat {
    /// A heartbeat for the task `name` that counts as beaten now.
    pub fn new(name: &'static str, deadline: Duration) -> Self {
        let beat = Self {
            name,
            last_ms: Arc::new(AtomicU64::new(0)),
            deadline,
            backlog: Arc::default(),
        };
        beat.beat();
        beat
    }

    /// The task's name, as `/health` and `/metrics` show it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A pass finished now. Also sets `background_task_last_pass_timestamp_seconds{task}`.
    pub fn beat(&self) {
        let now = now_ms();
        self.last_ms.store(now, Ordering::Relaxed);
        metrics::gauge!("background_task_last_pass_timestamp_seconds", "task" => self.name)
            .set(now as f64 / 1000.0);
    }

    /// Updates what is left in `part` (an outbox relay's collection).
    pub fn set_backlog(&self, part: &str, update: impl FnOnce(&mut OutboxBacklog)) {
        if let Ok(mut all) = self.backlog.lock() {
            update(all.entry(part.to_owned()).or_default());
        }
    }

    /// What the last pass left, per part.
    pub fn backlog(&self) -> BTreeMap<String, OutboxBacklog> {
        self.backlog.lock().map(|b| b.clone()).unwrap_or_default()
    }

    /// How long ago the last pass finished.
    pub fn since_last(&self) -> Duration {
        Duration::from_millis(now_ms().saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }

    /// Whether the last pass finished within the deadline. Also sets
    /// `background_task_stalled{task}` to 0 or 1.
    pub fn is_alive(&self) -> bool {
        let alive = self.since_last() <= self.deadline;
        metrics::gauge!("background_task_stalled", "task" => self.name).set(if alive {
            0.0
        } else {
            1.0
        });
        alive
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_started_again() {
        let cancel = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let (done_tx, mut done) = tokio::sync::mpsc::channel(1);
        let supervisor = spawn("test-panics", cancel.clone(), move || {
            let runs = counted.clone();
            let done_tx = done_tx.clone();
            async move {
                if runs.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("boom");
                }
                let _ = done_tx.send(()).await;
                std::future::pending::<()>().await;
            }
        });

        tokio::time::timeout(Duration::from_secs(10), done.recv())
            .await
            .expect("the third run starts");

        assert_eq!(runs.load(Ordering::SeqCst), 3);
        cancel.cancel();
        supervisor.abort();
    }

    #[tokio::test]
    async fn a_task_ended_by_shutdown_is_not_started_again() {
        let cancel = CancellationToken::new();
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let stop = cancel.clone();
        let supervisor = spawn("test-shutdown", cancel.clone(), move || {
            let runs = counted.clone();
            let stop = stop.clone();
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                stop.cancelled().await;
            }
        });

        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), supervisor)
            .await
            .expect("the supervisor returns after shutdown")
            .unwrap();

        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_heartbeat_older_than_its_deadline_is_stalled() {
        let beat = Heartbeat::new("test-beat", Duration::from_secs(60));
        assert!(beat.is_alive());

        beat.last_ms.store(now_ms() - 61_000, Ordering::Relaxed);

        assert!(!beat.is_alive());
        beat.beat();
        assert!(beat.is_alive());
    }
}
