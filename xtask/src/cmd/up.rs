//! `cargo xtask up`: infrastructure, build, the seven services, health, the seed, then how to
//! use it.

use anyhow::{Context as _, Result};

use crate::{
    ctx::Ctx,
    health, infra,
    seed::{self, DemoLogin, Gateway},
    services::{self, Launch, SERVICES},
};

/// Runs every step; the services keep running after we exit.
pub fn run(ctx: &Ctx) -> Result<()> {
    ctx.paths.ensure_dirs()?;
    let urls = infra::ensure_all(ctx)?;
    services::build(ctx)?;

    let (backends, gateway) = SERVICES.split_at(SERVICES.len() - 1);
    let mut launched = Vec::new();
    for service in backends {
        launched.push((service, services::launch(ctx, service, &urls)?));
    }
    for (service, launch) in &mut launched {
        if let Launch::Spawned(child) = launch {
            services::wait_healthy(ctx, service, Some(child))?;
        }
    }
    for service in gateway {
        if let Launch::Spawned(mut child) = services::launch(ctx, service, &urls)? {
            services::wait_healthy(ctx, service, Some(&mut child))?;
        }
        let aggregate = match health::check(service.port, "/api/health") {
            Ok(reply) => reply.summary(),
            Err(error) => format!("no answer ({error})"),
        };
        ctx.progress
            .step(service.name, format!("GET /api/health {aggregate}"));
    }

    // The seed goes to the gateway started above, whatever GATEWAY_URL says.
    let seeded = seed::run(ctx, &Gateway::local());
    let logins = seeded
        .as_ref()
        .map_or(&[][..], |outcome| &outcome.logins[..]);
    print_summary(ctx, logins);
    seeded.map(drop).context(
        "seeding the demo data; the services keep running: fix the cause, then \
         `cargo xtask seed`",
    )
}

fn print_summary(ctx: &Ctx, logins: &[DemoLogin]) {
    let logs = ctx.paths.show(&ctx.paths.local().join("logs"));
    println!();
    println!("The shop suite is up.");
    println!("  gateway:  http://127.0.0.1:5000   (aggregated health: /api/health)");
    println!("  logs:     {logs}/<service>.log   (e.g. tail -f {logs}/gateway.log)");
    println!("  status:   cargo xtask status");
    println!("  stop:     cargo xtask down");
    if logins.is_empty() {
        println!("  demo logins: none, the seed failed (see below)");
    }
    for login in logins {
        let label = format!("demo login ({}):", login.role);
        println!("  {label:<22} {login}");
    }
}
