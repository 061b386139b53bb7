//! `cargo xtask status`: each dependency (up or down, who started it) and each service (pid,
//! health).

use anyhow::Result;

use crate::{ctx::Ctx, health, infra::ALL, net, proc, services::SERVICES, state::State};

/// Prints the two tables.
pub fn run(ctx: &Ctx) -> Result<()> {
    let state = State::load(&ctx.paths.state())?;
    println!("dependencies:");
    for infra in ALL {
        let (url, origin) = match infra.env_url() {
            Some(url) => (url, format!("from {}", infra.env_var())),
            None if state.started(infra) => {
                (infra.local_url().to_owned(), "started by xtask".to_owned())
            }
            None => (
                infra.local_url().to_owned(),
                "not started by xtask".to_owned(),
            ),
        };
        let up = match infra.reachable(&url) {
            Some(true) => "up",
            Some(false) => "down",
            None => "?",
        };
        println!(
            "  {:<9} {up:<5} {:<40} {origin}",
            infra.name(),
            net::redact(&url)
        );
    }
    println!("services:");
    for service in &SERVICES {
        let process = match proc::read_pid(&ctx.paths.pid(service.name)) {
            Some(pid) if proc::runs(pid, service.name) => format!("pid {pid} alive"),
            Some(pid) => format!("pid {pid} gone"),
            None => "not started by xtask".to_owned(),
        };
        println!(
            "  {:<18} {:<22} {}/health {}",
            service.name,
            process,
            service.url(),
            describe(service.port(), "/health")
        );
        if service.is_gateway() {
            println!(
                "  {:<18} {:<22} {}/api/health {}",
                "",
                "",
                service.url(),
                describe(service.port(), "/api/health")
            );
        }
    }
    Ok(())
}

fn describe(port: u16, path: &str) -> String {
    match health::check(port, path) {
        Ok(reply) => reply.summary(),
        Err(error) => format!("no answer ({error})"),
    }
}
