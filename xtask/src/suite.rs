//! The whole suite as `cargo xtask up` starts it — infrastructure, the embedding model, the
//! dev build, the six services, then the gateway, each waited for — with what was started
//! noted, so that `cargo xtask fuzz` can start it the same way and stop only that afterwards.

use anyhow::Result;

use crate::{
    cleanup::Started,
    ctx::Ctx,
    health, infra, model,
    services::{self, Launch, SERVICES, Service},
};

/// Extra environment for a service, by service (last wins over the defaults).
pub type ExtraEnv<'a> = &'a dyn Fn(&Service) -> Vec<(&'static str, String)>;

/// No extra environment: what `up` runs.
pub fn no_extra_env(_: &Service) -> Vec<(&'static str, String)> {
    Vec::new()
}

/// Starts what is not running and waits until every service is healthy; what it started is
/// added to `started` as it goes, so a failure half-way still knows what to stop.
pub fn start(ctx: &Ctx, extra: ExtraEnv<'_>, started: &mut Started) -> Result<()> {
    ctx.paths.ensure_dirs()?;
    let urls = infra::ensure_all_noting(ctx, &mut started.infra)?;
    let model = model::env(ctx);
    // The model's folder first, so that a caller's extra environment still wins.
    let env = |service: &Service| {
        let mut env = model.clone();
        env.extend(extra(service));
        env
    };
    services::build(ctx)?;

    let (backends, gateway) = SERVICES.split_at(SERVICES.len() - 1);
    let mut waiting = Vec::new();
    for service in backends {
        if let Launch::Spawned(child) = services::launch(ctx, service, &urls, &env(service))? {
            waiting.push(service);
            note(ctx, started, service, child);
        }
    }
    for service in waiting {
        let child = started
            .processes
            .iter_mut()
            .find(|p| p.label == service.name)
            .map(|p| &mut p.child);
        services::wait_healthy(ctx, service, child)?;
    }
    for service in gateway {
        if let Launch::Spawned(child) = services::launch(ctx, service, &urls, &env(service))? {
            note(ctx, started, service, child);
            let child = started.processes.last_mut().map(|p| &mut p.child);
            services::wait_healthy(ctx, service, child)?;
        }
        let aggregate = match health::check(service.port(), "/api/health") {
            Ok(reply) => reply.summary(),
            Err(error) => format!("no answer ({error})"),
        };
        ctx.progress
            .step(service.name, format!("GET /api/health {aggregate}"));
    }
    Ok(())
}

fn note(ctx: &Ctx, started: &mut Started, service: &Service, child: std::process::Child) {
    started.process(service.name, child, Some(ctx.paths.pid(service.name)));
}
