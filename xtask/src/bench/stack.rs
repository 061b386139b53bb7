//! The processes a benchmark runs: release builds, spare ports away from `up`'s 5000–5006,
//! children started with their output in `.local/bench/logs/` and recorded for the drop
//! guard, and waiting until they answer; [`suite`]: all seven services that way; the
//! `loadgen` load generator run as a child whose JSON answer is read; `/proc` memory figures.

use serde_json::Value;

use std::{
    fs::File,
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, anyhow, bail};

use crate::{
    cleanup::{Cleanup, Started},
    ctx::Ctx,
    exec, health,
    infra::{self, Urls},
    proc,
};

pub mod leftovers;
pub mod suite;

/// How long a process may take to answer after it started.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// What every benchmark does first: its folders, release builds of `packages`, and the
/// infrastructure (started if missing, and then stopped again by the returned guard, with
/// everything else recorded in it).
pub fn begin<'a>(ctx: &'a Ctx, packages: &[&str]) -> Result<(Cleanup<'a>, Urls)> {
    std::fs::create_dir_all(ctx.paths.bench())?;
    ctx.paths.ensure_dirs()?;
    build_release(ctx, packages)?;
    let mut cleanup = Cleanup::new(ctx);
    let urls = infra::ensure_all_noting(ctx, &mut cleanup.started.infra)?;
    Ok((cleanup, urls))
}

/// `cargo build --release -p <each>` into the normal target folder.
pub fn build_release(ctx: &Ctx, packages: &[&str]) -> Result<()> {
    let started = Instant::now();
    let mut cmd = exec::cargo();
    cmd.current_dir(&ctx.paths.root)
        .args(["build", "--release"]);
    for package in packages {
        cmd.args(["-p", package]);
    }
    exec::run(
        ctx,
        "build",
        &mut cmd,
        "fix the build errors above, then run the benchmark again",
    )?;
    let seconds = started.elapsed().as_secs_f64();
    ctx.progress
        .step("build", format!("release build done in {seconds:.1}s"));
    Ok(())
}

/// `n` distinct free ports on 127.0.0.1, chosen by the kernel (so from its ephemeral range,
/// never `up`'s 5000–5006). They are free when returned; nothing holds them after.
pub fn spare_ports<const N: usize>() -> Result<[u16; N]> {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .context("cannot find a free port on 127.0.0.1")?;
    let mut ports = [0; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}

/// Starts `cmd` (output to `.local/bench/logs/<label>.log`) and records it in `started`.
/// Children stay in our process group, so Ctrl-C stops them with us.
pub fn spawn(ctx: &Ctx, started: &mut Started, label: &str, mut cmd: Command) -> Result<()> {
    let log = log_path(ctx, label);
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    ctx.progress
        .step(label, format!("$ {}", exec::describe(&cmd)));
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", cmd.get_program().display()))?;
    ctx.progress.step(
        label,
        format!("pid {}, log {}", child.id(), ctx.paths.show(&log)),
    );
    started.process(label, child, None);
    Ok(())
}

/// `.local/bench/logs/<label>.log`.
pub fn log_path(ctx: &Ctx, label: &str) -> std::path::PathBuf {
    ctx.paths.bench().join("logs").join(format!("{label}.log"))
}

/// Waits until `ready` holds; fails early, with the end of its log, when the process `label`
/// exits first.
pub fn wait_until(
    ctx: &Ctx,
    started: &mut Started,
    label: &str,
    mut ready: impl FnMut() -> bool,
) -> Result<()> {
    let begun = Instant::now();
    loop {
        if ready() {
            let seconds = begun.elapsed().as_secs_f64();
            ctx.progress
                .step(label, format!("ready after {seconds:.1}s"));
            return Ok(());
        }
        let process = started.processes.iter_mut().find(|p| p.label == label);
        let exited = process.and_then(|p| p.child.try_wait().ok().flatten());
        let log = log_path(ctx, label);
        if let Some(status) = exited {
            tail(ctx, &log);
            bail!(
                "{label} exited ({status}) before it was ready; its log is {}",
                ctx.paths.show(&log)
            );
        }
        if begun.elapsed() > READY_WITHIN {
            tail(ctx, &log);
            bail!(
                "{label} was not ready within {}s; its log is {}",
                READY_WITHIN.as_secs(),
                ctx.paths.show(&log)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whether `/health` on `port` answers healthy.
pub fn healthy(port: u16) -> bool {
    health::check(port, "/health").is_ok_and(|r| r.is_healthy())
}

fn tail(ctx: &Ctx, log: &Path) {
    eprintln!("--- last lines of {} ---", ctx.paths.show(log));
    for line in proc::tail(log, 20) {
        eprintln!("{line}");
    }
    eprintln!("---");
}

/// Runs the release `loadgen` with `args` (its progress on our stderr) and reads the JSON it
/// prints. Values of the `--admin-password` option are shown as `***`.
pub fn loadgen(ctx: &Ctx, label: &str, args: &[String]) -> Result<Value> {
    let mut cmd = Command::new(ctx.paths.release_binary("loadgen"));
    cmd.current_dir(&ctx.paths.root)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let mut shown = Vec::new();
    let mut hide = false;
    for arg in args {
        shown.push(if hide { "***".to_owned() } else { arg.clone() });
        hide = arg == "--admin-password";
    }
    ctx.progress
        .step(label, format!("$ loadgen {}", shown.join(" ")));
    let output = cmd.output().context("cannot run loadgen")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("loadgen failed ({}); its output is above", output.status);
    }
    serde_json::from_str::<Value>(stdout.trim())
        .map_err(|e| anyhow!("loadgen printed no JSON ({e}): {stdout}"))
}

/// A `Vm…` figure (`VmRSS`, `VmHWM`) of `/proc/<pid>/status`, in KiB.
pub fn vm_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// The process id of the started process `label`.
pub fn pid_of(started: &Started, label: &str) -> Option<u32> {
    started
        .processes
        .iter()
        .rev()
        .find(|p| p.label == label)
        .map(|p| p.child.id())
}

/// This run's part of database names, e-mail addresses and keys, so that no run sees
/// another's data: the time in milliseconds and the process id, in hex.
pub fn run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{now:x}{:x}", std::process::id())
}

/// Runs `work(thread)` on each of `threads` threads at once (a client's requests, in order);
/// all their results and the wall time from the first start to the last end.
pub fn on_threads<T: Send + 'static>(
    threads: usize,
    work: impl Fn(usize) -> Vec<T> + Send + Sync + 'static,
) -> (Vec<T>, Duration) {
    let work = std::sync::Arc::new(work);
    let begun = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let work = std::sync::Arc::clone(&work);
            std::thread::spawn(move || work(thread))
        })
        .collect();
    let results = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    (results, begun.elapsed())
}

/// The nearest-rank `p`-th percentile (0 < p ≤ 100) of `sorted` (ascending); zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spare_ports_are_distinct_and_outside_the_suites_ports() {
        let ports = spare_ports::<4>().expect("free ports");
        let mut sorted = ports.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4);
        assert!(ports.iter().all(|p| !(5000..=5006).contains(p)));
    }

    #[test]
    fn memory_is_read_from_proc_and_run_ids_are_short_hex() {
        let pid = std::process::id();
        assert!(vm_kib(pid, "VmRSS").is_some_and(|kib| kib > 0));
        assert!(vm_kib(pid, "VmHWM") >= vm_kib(pid, "VmRSS"));
        assert_eq!(vm_kib(pid, "VmNothing"), None);
        let run = run_id();
        assert!(run.len() <= 24 && run.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
