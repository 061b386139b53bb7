//! Redis: the Debian `redis-server`, run as a daemon without persistence under `.local/`.

use std::{process::Command, time::Duration};

use anyhow::{Context as _, Result, bail};

use super::{Infra, Launch};
use crate::{apt, ctx::Ctx, exec, net, proc};

const LABEL: &str = "redis";
const HINT: &str = "install Redis yourself (sudo apt-get install -y redis-server), \
                    or set REDIS_URL to a Redis you run";

/// Installs `redis-server` if missing and starts it on 127.0.0.1:6379.
pub fn launch(ctx: &Ctx) -> Result<Launch> {
    let server = match exec::find_program("redis-server") {
        Some(server) => server,
        None => {
            apt::install(ctx, LABEL, &["redis-server"], HINT)?;
            if super::came_up_with_package(Infra::Redis, Duration::from_secs(10)) {
                return Ok(Launch::ByPackage);
            }
            exec::find_program("redis-server").with_context(|| {
                format!("redis-server is still missing after installing it: {HINT}")
            })?
        }
    };
    let dir = ctx.paths.local().join("redis");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let log = ctx.paths.log(LABEL);
    let mut cmd = Command::new(server);
    cmd.args([
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "--port",
        "6379",
    ])
    .args(["--save", "", "--appendonly", "no"])
    .arg("--dir")
    .arg(&dir)
    .arg("--logfile")
    .arg(&log)
    .arg("--pidfile")
    .arg(ctx.paths.pid(LABEL));
    exec::run_logged(ctx, LABEL, &mut cmd, &log, HINT)?;
    Ok(Launch::ByXtask)
}

/// Waits until it answers `PING`.
pub fn wait_ready(ctx: &Ctx) -> Result<()> {
    let log = ctx.paths.log(LABEL);
    super::wait_or_fail(ctx, Infra::Redis, Duration::from_secs(15), &log, || {
        net::redis_pongs(6379)
    })
}

/// Stops the Redis whose pid file `launch` had it write.
pub fn stop(ctx: &Ctx) -> Result<()> {
    let pid_file = ctx.paths.pid(LABEL);
    match proc::read_pid(&pid_file) {
        Some(pid) if proc::runs(pid, "redis-server") => {
            proc::terminate(ctx, &[(LABEL, pid)], Duration::from_secs(10))?;
            let _ = std::fs::remove_file(&pid_file);
            Ok(())
        }
        _ => bail!(
            "the Redis on 127.0.0.1:6379 is not the one xtask started ({} names no live \
             redis-server); stop it yourself, e.g. `redis-cli -p 6379 shutdown nosave`",
            ctx.paths.show(&pid_file)
        ),
    }
}
