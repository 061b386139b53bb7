//! The `replica` drill's second order-service, product-service and gateway: the suite's own
//! binaries, environment and stores (one database, one queue per consumer: the replicas
//! compete for its messages), each on a free port outside the suite's ports. Both gateways
//! list both copies of order- and product-service (`ORDER_SERVICE_URL=<first>,<second>`: the
//! suite's gateway is restarted so, and put back afterwards), and loadgen spreads its calls
//! over the two gateways. At the fault the second copies are killed with SIGKILL and not
//! started again; they are stopped whatever else happens.

use std::{
    fs::OpenOptions,
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, bail};
use serde_json::json;

use super::fault::{self, Suite};
use crate::{
    health, proc,
    services::{self, SERVICES, Service},
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

/// The services with a second copy, the gateway last (it lists the others' copies).
const COPIED: [&str; 3] = ["order-service", "product-service", "gateway"];

/// The variables that make a gateway call both copies of each copied backend.
fn gateway_lists(replicas: &[Replica]) -> Vec<(&'static str, String)> {
    SERVICES
        .iter()
        .filter(|s| COPIED.contains(&s.name))
        .filter_map(|s| {
            let var = s.gateway_var?;
            let second = replicas.iter().find(|r| r.service.name == s.name)?;
            Some((var, format!("{},{}", s.url(), second.url())))
        })
        .collect()
}

fn gateway() -> &'static Service {
    SERVICES
        .iter()
        .find(|s| s.is_gateway())
        .unwrap_or(&SERVICES[SERVICES.len() - 1])
}

/// Starts a second copy of order-service, product-service and the gateway, waits until they
/// are healthy, and restarts the suite's gateway listing both copies of each backend.
pub fn start(suite: &mut Suite<'_>) -> Result<Vec<Replica>> {
    let ctx = suite.ctx;
    let mut replicas = Vec::new();
    for service in COPIED
        .iter()
        .filter_map(|name| SERVICES.iter().find(|s| s.name == *name))
    {
        let lists = if service.is_gateway() {
            for replica in &mut replicas {
                wait_healthy(replica)?;
            }
            let mut lists = gateway_lists(&replicas);
            // The first gateway's metrics listener is the suite's.
            lists.push(("METRICS_ADDR", "off".to_owned()));
            lists
        } else {
            Vec::new()
        };
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
            .envs(services::placement_env(service))
            .envs(lists)
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
    let mut extra = (suite.extra)(gateway());
    extra.extend(gateway_lists(&replicas));
    fault::restart(suite, gateway(), "TERM", &extra)?;
    Ok(replicas)
}

/// Restarts the suite's gateway on its usual backends (the second copies are gone).
pub fn teardown(suite: &mut Suite<'_>) -> Result<()> {
    let extra = (suite.extra)(gateway());
    fault::restart(suite, gateway(), "TERM", &extra).map(|_| ())
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

/// loadgen's answer: each service's copies, the one to be killed last (the gateways' as their
/// API's base).
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
    let gateways: Vec<String> = of("gateway").iter().map(|u| format!("{u}/api")).collect();
    json!({ "orders": of("order-service"), "products": of("product-service"),
            "gateways": gateways })
    .to_string()
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
