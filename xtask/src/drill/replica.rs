//! The `replica` drill's second order-service and product-service: the suite's own binaries,
//! environment and stores (one database, one queue per consumer: the replicas compete for
//! its messages), each on a free port outside the suite's 5000–5006. loadgen spreads
//! `/orders` and `/products` over both copies of each; at the fault these second copies are
//! killed with SIGKILL and not started again. They are stopped whatever else happens.

use std::{
    fs::OpenOptions,
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use super::fault::Suite;
use crate::{
    health, proc,
    services::{SERVICES, Service},
};

/// One second copy.
pub struct Replica {
    service: &'static Service,
    port: u16,
    child: Option<Child>,
}

impl Replica {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Kills what is still running.
impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts a second copy of order-service and of product-service and waits until both are
/// healthy.
pub fn start(suite: &Suite<'_>) -> Result<Vec<Replica>> {
    let ctx = suite.ctx;
    let mut replicas = Vec::new();
    for service in SERVICES
        .iter()
        .filter(|s| matches!(s.name, "order-service" | "product-service"))
    {
        let port = free_port()?;
        let label = format!("{}-replica", service.name);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(ctx.paths.log(&label))
            .with_context(|| format!("cannot open the log of {label}"))?;
        let child = Command::new(ctx.paths.binary(service.name))
            .current_dir(&ctx.paths.root)
            .envs(suite.urls.env())
            .envs((suite.extra)(service))
            .env("PORT", port.to_string())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {label}"))?;
        ctx.progress
            .step(&label, format!("started pid {} on :{port}", child.id()));
        replicas.push(Replica {
            service,
            port,
            child: Some(child),
        });
    }
    for replica in &mut replicas {
        wait_healthy(replica)?;
    }
    Ok(replicas)
}

fn wait_healthy(replica: &mut Replica) -> Result<()> {
    let started = Instant::now();
    while !health::check(replica.port, "/health").is_ok_and(|r| r.is_healthy()) {
        if let Some(child) = replica.child.as_mut()
            && let Some(status) = child.try_wait()?
        {
            bail!("{}'s second copy exited ({status})", replica.service.name);
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "{}'s second copy was not healthy within 60 s",
                replica.service.name
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(())
}

/// loadgen's answer: each service's copies, the one to be killed last.
pub fn urls(replicas: &[Replica]) -> String {
    let of = |name: &str| {
        let first = SERVICES.iter().find(|s| s.name == name).map(Service::url);
        first
            .into_iter()
            .chain(
                replicas
                    .iter()
                    .filter(|r| r.service.name == name)
                    .map(Replica::url),
            )
            .collect::<Vec<_>>()
    };
    json!({ "orders": of("order-service"), "products": of("product-service") }).to_string()
}

/// Kills the second copies with SIGKILL; what was done.
pub fn kill(suite: &Suite<'_>, replicas: &mut [Replica]) -> Result<String> {
    let mut killed = Vec::new();
    for replica in replicas.iter_mut() {
        let Some(mut child) = replica.child.take() else {
            continue;
        };
        let label = format!("{}-replica", replica.service.name);
        proc::signal(suite.ctx, &label, child.id(), "KILL")?;
        child.wait()?;
        killed.push(format!("{} on :{}", replica.service.name, replica.port));
    }
    Ok(format!(
        "the second copies ({}) killed with SIGKILL mid-load and not started again",
        killed.join(", ")
    ))
}
