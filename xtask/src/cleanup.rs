//! What one run started — processes and infrastructure — and a drop guard that stops exactly
//! that, on success, on error and on panic, so `fuzz` and `bench` never leave anything behind
//! (and never stop what was running before them).

use std::{
    path::PathBuf,
    process::Child,
    time::{Duration, Instant},
};

use crate::{
    bench::stack::leftovers::{self, Leftovers},
    ctx::Ctx,
    infra,
    infra::Infra,
    proc,
    state::State,
};

/// How long a process gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

/// A process this run started.
pub struct Process {
    /// Its name in messages.
    pub label: String,
    /// The handle, to signal and reap it.
    pub child: Child,
    /// A pid file to remove once it is stopped (services started like `up` does).
    pub pid_file: Option<PathBuf>,
}

/// Everything one run started, in start order.
#[derive(Default)]
pub struct Started {
    /// Processes, stopped in reverse order.
    pub processes: Vec<Process>,
    /// Infrastructure this run started (recorded in the state file as started by xtask).
    pub infra: Vec<Infra>,
    /// Benchmark runs whose queues, databases and keys are removed once the processes stop.
    pub leftovers: Vec<Leftovers>,
}

impl Started {
    /// Records a process.
    pub fn process(&mut self, label: &str, child: Child, pid_file: Option<PathBuf>) {
        self.processes.push(Process {
            label: label.to_owned(),
            child,
            pid_file,
        });
    }
}

/// Stops what it holds when dropped.
pub struct Cleanup<'a> {
    ctx: &'a Ctx,
    /// What to stop.
    pub started: Started,
}

impl<'a> Cleanup<'a> {
    /// Nothing to stop yet.
    pub fn new(ctx: &'a Ctx) -> Self {
        Self {
            ctx,
            started: Started::default(),
        }
    }
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        stop(self.ctx, &mut self.started);
    }
}

/// Stops the processes (all at once: SIGTERM, then SIGKILL after [`GRACE`]), removes what
/// benchmark runs left in the stores, then stops the infrastructure in reverse order. Problems are printed, not returned: this runs on the way
/// out, often after another error.
pub fn stop(ctx: &Ctx, started: &mut Started) {
    let mut processes = std::mem::take(&mut started.processes);
    processes.reverse();
    let mut running: Vec<(&str, u32)> = Vec::new();
    for process in &mut processes {
        if matches!(process.child.try_wait(), Ok(None)) {
            running.push((process.label.as_str(), process.child.id()));
        }
    }
    if !running.is_empty()
        && let Err(error) = proc::terminate(ctx, &running, GRACE)
    {
        eprintln!("warning: {error:#}");
    }
    for process in &mut processes {
        reap(&mut process.child);
        if let Some(pid_file) = &process.pid_file {
            let _ = std::fs::remove_file(pid_file);
        }
        ctx.progress.step(&process.label, "stopped");
    }
    for run in std::mem::take(&mut started.leftovers) {
        leftovers::remove(ctx, &run);
    }
    for which in std::mem::take(&mut started.infra).into_iter().rev() {
        match infra::stop(ctx, which) {
            Ok(()) => forget(ctx, which),
            Err(error) => eprintln!(
                "warning: {} did not stop: {error:#}; `cargo xtask down` tries again",
                which.name()
            ),
        }
    }
}

/// Collects the exit status so no zombie is left (briefly: it has been signalled already).
fn reap(child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn forget(ctx: &Ctx, which: Infra) {
    let path = ctx.paths.state();
    let saved = State::load(&path).and_then(|mut state| {
        state.forget(which);
        state.save(&path)
    });
    if let Err(error) = saved {
        eprintln!("warning: {error:#}");
    }
}
