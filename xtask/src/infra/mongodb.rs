//! MongoDB, locally: the wire-protocol server `nx-27017` (PyPI, pinned), installed into the
//! project virtualenv `.local/venv` and run as a daemon over SQLite files in `.local/mongo-data`.

use std::{path::PathBuf, process::Command, time::Duration};

use anyhow::{Result, bail};

use super::{Infra, Launch};
use crate::{apt, ctx::Ctx, exec, net, proc};

const LABEL: &str = "mongodb";
/// The one place the stand-in's version is pinned.
const NX_27017: &str = "nx-27017==0.8.1";
const HINT: &str = "install python3 with venv support (sudo apt-get install -y python3-venv \
                    python3-pip), or set MONGODB_URI to a MongoDB you run";

fn nx(ctx: &Ctx) -> PathBuf {
    ctx.paths.venv().join("bin").join("nx-27017")
}

/// Installs the stand-in if missing and starts it on 127.0.0.1:27017.
pub fn launch(ctx: &Ctx) -> Result<Launch> {
    let nx = nx(ctx);
    if !nx.exists() {
        ensure_venv(ctx)?;
        let mut pip = Command::new(ctx.paths.venv().join("bin").join("pip"));
        pip.args(["install", "--disable-pip-version-check", NX_27017]);
        let hint = "check the network access to PyPI, or set MONGODB_URI to a MongoDB you run";
        exec::run(ctx, LABEL, &mut pip, hint)?;
    }
    let data = ctx.paths.local().join("mongo-data");
    std::fs::create_dir_all(&data)?;
    let log = ctx.paths.log(LABEL);
    let mut cmd = Command::new(&nx);
    cmd.arg("--data-dir")
        .arg(&data)
        .args(["-j", "WAL", "--host", "127.0.0.1", "--port", "27017"])
        .arg("--log-file")
        .arg(&log)
        .arg("--pid-file")
        .arg(ctx.paths.pid(LABEL))
        .arg("-d");
    exec::run_logged(ctx, LABEL, &mut cmd, &log, HINT)?;
    Ok(Launch::ByXtask)
}

/// A virtualenv with pip at `.local/venv`; installs python3-venv when `venv` cannot work.
/// (Also where `cargo xtask fuzz` installs schemathesis.)
pub fn ensure_venv(ctx: &Ctx) -> Result<()> {
    if ctx.paths.venv().join("bin").join("pip").exists() {
        return Ok(());
    }
    if exec::find_program("python3").is_none() {
        apt::install(
            ctx,
            LABEL,
            &["python3", "python3-venv", "python3-pip"],
            HINT,
        )?;
    }
    if create_venv(ctx)? {
        return Ok(());
    }
    ctx.progress.step(
        LABEL,
        "`python3 -m venv` failed (python3-venv is probably missing); installing it",
    );
    apt::install(ctx, LABEL, &["python3-venv", "python3-pip"], HINT)?;
    if create_venv(ctx)? {
        return Ok(());
    }
    bail!(
        "cannot create {}: {HINT}",
        ctx.paths.show(&ctx.paths.venv())
    )
}

fn create_venv(ctx: &Ctx) -> Result<bool> {
    let venv = ctx.paths.venv();
    // A failed attempt leaves a venv without pip behind; start clean.
    let _ = std::fs::remove_dir_all(&venv);
    let mut cmd = Command::new("python3");
    cmd.args(["-m", "venv"]).arg(&venv);
    let status = exec::status(ctx, LABEL, &mut cmd)?;
    Ok(status.success() && venv.join("bin").join("pip").exists())
}

/// Waits until the port accepts connections.
pub fn wait_ready(ctx: &Ctx) -> Result<()> {
    let log = ctx.paths.log(LABEL);
    super::wait_or_fail(ctx, Infra::Mongodb, Duration::from_secs(30), &log, || {
        net::accepts_tcp("127.0.0.1", 27017)
    })
}

/// `nx-27017 --stop --pid-file ...`, or a signal to the recorded pid if the venv is gone.
pub fn stop(ctx: &Ctx) -> Result<()> {
    let pid_file = ctx.paths.pid(LABEL);
    let nx = nx(ctx);
    if nx.exists() {
        let mut cmd = Command::new(nx);
        cmd.arg("--stop").arg("--pid-file").arg(&pid_file);
        let hint = format!(
            "stop it by hand: kill the pid in {}",
            ctx.paths.show(&pid_file)
        );
        return exec::run(ctx, LABEL, &mut cmd, &hint);
    }
    match proc::read_pid(&pid_file) {
        Some(pid) if proc::is_alive(pid) => {
            proc::terminate(ctx, &[(LABEL, pid)], Duration::from_secs(10))
        }
        _ => bail!(
            "cannot find the MongoDB stand-in xtask started ({} names no live process); \
             stop whatever listens on 127.0.0.1:27017 yourself",
            ctx.paths.show(&pid_file)
        ),
    }
}
