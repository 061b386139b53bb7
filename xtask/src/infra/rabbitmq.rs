//! RabbitMQ: the Debian `rabbitmq-server`, started detached (as root: its wrapper requires it)
//! and stopped with `rabbitmqctl stop`.

use std::time::Duration;

use anyhow::{Context as _, Result};

use super::{Infra, Launch};
use crate::{apt, ctx::Ctx, exec, net};

const LABEL: &str = "rabbitmq";
const HINT: &str = "install RabbitMQ yourself (sudo apt-get install -y rabbitmq-server), \
                    or set AMQP_URL to a broker you run";

/// How long a cold broker may take to accept AMQP clients.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Installs `rabbitmq-server` if missing and starts it detached.
pub fn launch(ctx: &Ctx) -> Result<Launch> {
    let server = match exec::find_program("rabbitmq-server") {
        Some(server) => server,
        None => {
            apt::install(ctx, LABEL, &["rabbitmq-server"], HINT)?;
            if super::came_up_with_package(Infra::Rabbitmq, Duration::from_secs(60)) {
                return Ok(Launch::ByPackage);
            }
            exec::find_program("rabbitmq-server").with_context(|| {
                format!("rabbitmq-server is still missing after installing it: {HINT}")
            })?
        }
    };
    let mut cmd = exec::as_root(&server, &[], HINT)?;
    cmd.arg("-detached");
    exec::run_logged(ctx, LABEL, &mut cmd, &ctx.paths.log(LABEL), HINT)?;
    Ok(Launch::ByXtask)
}

/// Waits until the broker answers the AMQP protocol header with `Connection.Start`: the port
/// opens late in the boot, and the greeting proves a client handshake would go through.
pub fn wait_ready(ctx: &Ctx) -> Result<()> {
    let log = ctx.paths.log(LABEL);
    super::wait_or_fail(ctx, Infra::Rabbitmq, READY_TIMEOUT, &log, || {
        net::amqp_greets(5672)
    })
}

/// `rabbitmqctl stop`.
pub fn stop(ctx: &Ctx) -> Result<()> {
    let hint = "stop the broker yourself with `sudo rabbitmqctl stop`";
    let ctl = exec::find_program("rabbitmqctl")
        .with_context(|| format!("rabbitmqctl is not installed: {hint}"))?;
    let mut cmd = exec::as_root(&ctl, &[], hint)?;
    exec::run(ctx, LABEL, cmd.arg("stop"), hint)
}
