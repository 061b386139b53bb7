//! The processes a benchmark runs: release builds, spare ports away from `up`'s 5000–5006,
//! children started with their output in `.local/bench/logs/` and recorded for the drop
//! guard, and waiting until they answer.

use std::{
    fs::File,
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, bail};

use crate::{cleanup::Started, ctx::Ctx, exec, health, proc};

/// How long a process may take to answer after it started.
const READY_WITHIN: Duration = Duration::from_secs(60);

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
}
