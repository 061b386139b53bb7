//! `cargo xtask up`: infrastructure, build, the seven services, health, then how to use it.

use anyhow::Result;

use crate::{
    ctx::Ctx,
    health, infra,
    services::{self, Launch, SERVICES},
};

/// A demo account to print at the end.
pub struct DemoLogin {
    /// Login e-mail.
    pub email: &'static str,
    /// Password.
    pub password: String,
    /// `customer` or `admin`.
    pub role: &'static str,
}

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

    let logins = seed(ctx)?;
    print_summary(ctx, &logins);
    Ok(())
}

/// Where demo data will be created, once the services are healthy (it goes through their
/// APIs). The accounts of DESIGN.md arrive with customer-service's registration; until then
/// there is nothing to seed, and we say so rather than print logins that do not work.
fn seed(ctx: &Ctx) -> Result<Vec<DemoLogin>> {
    ctx.progress.step(
        "seed",
        "skipped: customer-service cannot create accounts yet, so there are no demo logins",
    );
    Ok(Vec::new())
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
        println!(
            "  demo logins: none yet (accounts are seeded once customer-service supports them)"
        );
    }
    for login in logins {
        println!(
            "  demo login ({}): {} / {}",
            login.role, login.email, login.password
        );
    }
}
