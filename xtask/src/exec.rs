//! External commands: each is printed before it runs, and a failure says what to do next.

use std::{
    ffi::OsStr,
    fs::OpenOptions,
    path::{Path, PathBuf},
    process::{Command, ExitStatus, Stdio},
};

use anyhow::{Context as _, Result, bail};

use crate::{ctx::Ctx, net, proc};

/// `cargo`, as the one that runs us (`$CARGO`), or from `PATH`, without the variables
/// `cargo run` gave xtask about itself (`CARGO_PKG_NAME=xtask`, `CARGO_MANIFEST_DIR`, …):
/// build scripts such as ring's rerun when those change, so a build under them and the next
/// `cargo xtask` without them rebuilt ring and everything above it, every time.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(about_xtask) {
            cmd.env_remove(&key);
        }
    }
    cmd
}

/// Whether `cargo run` set the variable `name` for the package it runs.
fn about_xtask(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "OUT_DIR"
        )
}

/// The command as a shell line (explicit variables first), passwords in URLs masked.
pub fn describe(cmd: &Command) -> String {
    let envs = cmd
        .get_envs()
        .filter_map(|(key, value)| Some(format!("{}={}", key.display(), quote(value?))));
    // `$CARGO` is a long toolchain path; it is the `cargo` the user typed.
    let program = match std::env::var_os("CARGO") {
        Some(cargo) if cargo == cmd.get_program() => "cargo".to_owned(),
        _ => quote(cmd.get_program()),
    };
    let words = std::iter::once(program).chain(cmd.get_args().map(quote));
    net::redact(&envs.chain(words).collect::<Vec<_>>().join(" "))
}

fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Prints and runs `cmd`, returning its exit status.
pub fn status(ctx: &Ctx, label: &str, cmd: &mut Command) -> Result<ExitStatus> {
    ctx.progress.step(label, format!("$ {}", describe(cmd)));
    cmd.status()
        .with_context(|| format!("cannot run `{}`", cmd.get_program().display()))
}

/// Prints and runs `cmd`; a failure becomes an error ending with `hint` (what to do).
pub fn run(ctx: &Ctx, label: &str, cmd: &mut Command, hint: &str) -> Result<()> {
    let status = status(ctx, label, cmd).with_context(|| hint.to_owned())?;
    if !status.success() {
        bail!("`{}` failed ({status}): {hint}", describe(cmd));
    }
    Ok(())
}

/// Like [`run`], with stdin closed and the output appended to `log` (daemons must not keep
/// our stdout open); on failure the end of the log is printed.
pub fn run_logged(ctx: &Ctx, label: &str, cmd: &mut Command, log: &Path, hint: &str) -> Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    let result = run(ctx, label, cmd, hint);
    if result.is_err() {
        print_tail(ctx, log, 20);
    }
    result
}

/// Prints the last `lines` lines of a log to stderr.
pub fn print_tail(ctx: &Ctx, log: &Path, lines: usize) {
    eprintln!("--- last {lines} lines of {} ---", ctx.paths.show(log));
    for line in proc::tail(log, lines) {
        eprintln!("{line}");
    }
    eprintln!("---");
}

/// Whether `cmd` exits successfully, run silently (for feature checks like `cargo nextest`).
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Finds an executable on `PATH`, then in the sbin folders a non-root `PATH` often lacks.
pub fn find_program(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Whether this process runs as root (uid 0).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().next())
            == Some("0")
    })
}

/// A command that runs `program` as root: directly when we are root, else through `sudo`
/// (which drops the environment, so `envs` go on its command line).
pub fn as_root(program: &Path, envs: &[(&str, &str)], hint: &str) -> Result<Command> {
    if is_root() {
        let mut cmd = Command::new(program);
        cmd.envs(envs.iter().copied());
        return Ok(cmd);
    }
    let Some(sudo) = find_program("sudo") else {
        bail!(
            "`{}` needs root and sudo is not installed: {hint}",
            program.display()
        );
    };
    let mut cmd = Command::new(sudo);
    cmd.args(envs.iter().map(|(key, value)| format!("{key}={value}")))
        .arg(program);
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_cargo_forgets_what_cargo_run_said_about_xtask_but_not_the_toolchain() {
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_CRATE_NAME",
            "OUT_DIR",
        ] {
            assert!(about_xtask(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_JOBS",
            "PATH",
        ] {
            assert!(!about_xtask(name), "{name}");
        }
    }

    #[test]
    fn described_commands_quote_odd_words_and_mask_passwords() {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--save", "", "--dir", "/a b"]);
        assert_eq!(describe(&cmd), "redis-server --save '' --dir '/a b'");

        let mut cmd = Command::new("cargo");
        cmd.env("AMQP_URL", "amqp://guest:secret@127.0.0.1:5672/%2f")
            .arg("test");
        assert_eq!(
            describe(&cmd),
            "AMQP_URL=amqp://guest:***@127.0.0.1:5672/%2f cargo test"
        );
    }
}
