//! Processes: pid files, whether a pid is still our program, signals, log tails.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, bail};

use crate::ctx::Ctx;

/// The pid in a pid file, if there is a readable one.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Writes a pid file.
pub fn write_pid(path: &Path, pid: u32) -> Result<()> {
    std::fs::write(path, format!("{pid}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The state letter of `/proc/<pid>/stat` (`R`, `S`, `Z`, ...); the command name in parentheses
/// may itself hold spaces and parentheses, so read after the last `)`.
pub fn stat_state(stat: &str) -> Option<char> {
    let (_, after) = stat.rsplit_once(')')?;
    after.trim_start().chars().next()
}

/// Whether `pid` is a live process (not a zombie waiting to be reaped).
pub fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat_state(&stat))
        .is_some_and(|state| !matches!(state, 'Z' | 'X' | 'x'))
}

/// Whether `pid` is alive and runs `program` (its argv[0] file name starts with it), so a
/// recycled pid is never signalled.
pub fn runs(pid: u32, program: &str) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    let argv0 = String::from_utf8_lossy(argv0);
    let file = argv0.rsplit('/').next().unwrap_or_default();
    is_alive(pid) && file.starts_with(program)
}

/// Sends `signal` (`TERM`, `KILL`) with `kill`, printed like any external command.
pub fn signal(ctx: &Ctx, label: &str, pid: u32, signal: &str) -> Result<()> {
    ctx.progress.step(label, format!("$ kill -{signal} {pid}"));
    // The shell's builtin kill: present even where procps is not installed.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{signal} {pid}")])
        .status()
        .context("cannot run sh")?;
    if !status.success() && is_alive(pid) {
        bail!("`kill -{signal} {pid}` failed: stop process {pid} by hand");
    }
    Ok(())
}

/// Waits until every pid is gone; returns those still alive after `timeout`.
pub fn wait_gone(pids: &[u32], timeout: Duration) -> Vec<u32> {
    let deadline = Instant::now() + timeout;
    loop {
        let alive: Vec<u32> = pids.iter().copied().filter(|p| is_alive(*p)).collect();
        if alive.is_empty() || Instant::now() >= deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops processes: SIGTERM to all, up to `grace` to exit, then SIGKILL. `targets` are
/// (label, pid) pairs.
pub fn terminate(ctx: &Ctx, targets: &[(&str, u32)], grace: Duration) -> Result<()> {
    for (label, pid) in targets {
        signal(ctx, label, *pid, "TERM")?;
    }
    let pids: Vec<u32> = targets.iter().map(|(_, pid)| *pid).collect();
    let stubborn = wait_gone(&pids, grace);
    for (label, pid) in targets.iter().filter(|(_, pid)| stubborn.contains(pid)) {
        ctx.progress
            .step(label, format!("still running after {}s", grace.as_secs()));
        signal(ctx, label, *pid, "KILL")?;
    }
    let left = wait_gone(&stubborn, Duration::from_secs(3));
    if !left.is_empty() {
        bail!("processes {left:?} survived SIGKILL: look at them with `ps -p`");
    }
    Ok(())
}

/// The last `n` lines of a file (none when it cannot be read).
pub fn tail(path: &Path, n: usize) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|line| (*line).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_read_after_the_command_name() {
        assert_eq!(stat_state("42 (order-service) S 1 42 42 0"), Some('S'));
        assert_eq!(stat_state("7 (a) b) (c) Z 1"), Some('Z'));
        assert_eq!(stat_state("garbage"), None);
    }

    #[test]
    fn this_process_is_alive_and_runs_its_own_program() {
        let pid = std::process::id();
        assert!(is_alive(pid));
        let exe = std::env::current_exe().expect("current exe");
        let name = exe.file_name().expect("file name").to_string_lossy();
        assert!(runs(pid, &name[..5]));
        assert!(!runs(pid, "definitely-not-this"));
    }

    #[test]
    fn pid_files_and_tails_round_trip() {
        let dir = std::env::temp_dir().join(format!("xtask-proc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let pid_file = dir.join("x.pid");
        write_pid(&pid_file, 1234).expect("write pid");
        assert_eq!(read_pid(&pid_file), Some(1234));
        let log = dir.join("x.log");
        std::fs::write(&log, "a\nb\nc\n").expect("write log");
        assert_eq!(tail(&log, 2), ["b", "c"]);
        assert_eq!(tail(&log, 10).len(), 3);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
