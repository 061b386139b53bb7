//! The SMTP sink, locally: aiosmtpd (PyPI, pinned) installed into the project virtualenv
//! `.local/venv` and run in the background on 127.0.0.1:1025. It keeps every message it
//! receives as one file in the Maildir `.local/mail` (`new/` holds what arrived), so the mail
//! alert-service sends during development can be read with any pager. It accepts any sender
//! and recipient and delivers nothing onwards.

use std::{
    fs::OpenOptions,
    os::unix::process::CommandExt,
    process::{Command, Stdio},
    time::Duration,
};

use anyhow::{Context as _, Result, bail};

use super::{Infra, Launch};
use crate::{ctx::Ctx, exec, net, proc};

const LABEL: &str = "smtp";
/// The one place the sink's version is pinned.
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

/// Installs the sink if missing and starts it on 127.0.0.1:1025.
pub fn launch(ctx: &Ctx) -> Result<Launch> {
    let python = ctx.paths.venv().join("bin").join("python");
    if !ctx.paths.venv().join("bin").join("aiosmtpd").exists() {
        super::ensure_venv(ctx)?;
        let mut pip = Command::new(ctx.paths.venv().join("bin").join("pip"));
        pip.args(["install", "--disable-pip-version-check", AIOSMTPD]);
        let hint = "check the network access to PyPI, or set SMTP_URL to a mail server you run";
        exec::run(ctx, LABEL, &mut pip, hint)?;
    }
    let mail = ctx.paths.local().join("mail");
    // The Maildir's three folders: Python's Maildir creates them only when the folder itself
    // does not exist yet, and fails on an empty one.
    for sub in ["tmp", "new", "cur"] {
        let dir = mail.join(sub);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let log_path = ctx.paths.log(LABEL);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let mut cmd = Command::new(&python);
    // `-n`: do not try to drop privileges; the Mailbox handler writes a Maildir.
    cmd.args(["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:1025"])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&mail)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: it outlives xtask, and Ctrl-C here does not reach it.
        .process_group(0);
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", exec::describe(&cmd)))?;
    proc::write_pid(&ctx.paths.pid(LABEL), child.id())?;
    ctx.progress.step(
        LABEL,
        format!(
            "started pid {}; received mail is kept in {}",
            child.id(),
            ctx.paths.show(&mail.join("new"))
        ),
    );
    Ok(Launch::ByXtask)
}

/// Waits until the port accepts connections.
pub fn wait_ready(ctx: &Ctx) -> Result<()> {
    let log = ctx.paths.log(LABEL);
    super::wait_or_fail(ctx, Infra::Smtp, Duration::from_secs(30), &log, || {
        net::accepts_tcp("127.0.0.1", 1025)
    })
}

/// Stops the sink whose pid `launch` recorded.
pub fn stop(ctx: &Ctx) -> Result<()> {
    let pid_file = ctx.paths.pid(LABEL);
    match proc::read_pid(&pid_file) {
        Some(pid) if proc::runs(pid, "python") => {
            proc::terminate(ctx, &[(LABEL, pid)], Duration::from_secs(10))?;
            let _ = std::fs::remove_file(&pid_file);
            Ok(())
        }
        _ => bail!(
            "the SMTP server on 127.0.0.1:1025 is not the sink xtask started ({} names no \
             live process); stop it yourself",
            ctx.paths.show(&pid_file)
        ),
    }
}
