//! `cargo xtask down`: stop the services and the infrastructure `xtask` started, and only
//! that. Running it twice is harmless.

use std::time::Duration;

use anyhow::{Result, bail};

use crate::{
    ctx::Ctx,
    infra::{self, ALL},
    proc,
    services::SERVICES,
    state::State,
};

/// How long services get to shut down gracefully before SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

/// Stops services (gateway first), then infrastructure in reverse start order.
pub fn run(ctx: &Ctx) -> Result<()> {
    let mut failures = Vec::new();
    if let Err(error) = stop_services(ctx) {
        failures.push(format!("{error:#}"));
    }
    let path = ctx.paths.state();
    let mut state = State::load(&path)?;
    for infra in ALL.into_iter().rev() {
        if !state.started(infra) {
            ctx.progress
                .step(infra.name(), "not started by xtask: left alone");
            continue;
        }
        match infra::stop(ctx, infra) {
            Ok(()) => {
                state.forget(infra);
                state.save(&path)?;
            }
            Err(error) => failures.push(format!("{}: {error:#}", infra.name())),
        }
    }
    if !failures.is_empty() {
        bail!("some things did not stop:\n  {}", failures.join("\n  "));
    }
    ctx.progress
        .step("down", "everything xtask started is stopped");
    Ok(())
}

fn stop_services(ctx: &Ctx) -> Result<()> {
    let mut targets = Vec::new();
    for service in SERVICES.iter().rev() {
        let pid_file = ctx.paths.pid(service.name);
        match proc::read_pid(&pid_file) {
            Some(pid) if proc::runs(pid, service.name) => targets.push((service.name, pid)),
            Some(_) => {
                ctx.progress
                    .step(service.name, "not running (stale pid file removed)");
                let _ = std::fs::remove_file(&pid_file);
            }
            None => ctx
                .progress
                .step(service.name, "nothing to stop (no pid file)"),
        }
    }
    if targets.is_empty() {
        return Ok(());
    }
    proc::terminate(ctx, &targets, GRACE)?;
    for (name, _) in &targets {
        let _ = std::fs::remove_file(ctx.paths.pid(name));
        ctx.progress.step(name, "stopped");
    }
    Ok(())
}
