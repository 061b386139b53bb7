//! All seven services as release builds on spare ports, for the benchmarks that need the
//! whole shop (`orders`, `footprint`): this run's databases (`bench_<run>_<service>`) and
//! Redis prefix (`bench:<run>:`), the run's own exchange (`bench.<benchmark>.<run>`: a shared
//! one would let another run's consumers take this one's events, or this one inherit an earlier
//! run's backlog; all three are removed at the end, see [`super::leftovers`]), `RUST_LOG=warn`,
//! quotas too high to trip, and fulfilment fast enough that an order is delivered within a second. Started one
//! after another, customer-service first (the others verify tokens with its keys) and the
//! gateway last, each timed from its start until `/health` answers.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Result, bail};

use super::{leftovers::Leftovers, pid_of, spare_ports, spawn};
use crate::{cleanup::Started, ctx::Ctx, health, infra::Urls};

/// What is built (release) and run: the services, and the load generator.
pub const PACKAGES: [&str; 8] = [
    "customer-service",
    "product-service",
    "order-service",
    "alert-service",
    "analytics-service",
    "assistant-service",
    "gateway",
    "loadgen",
];

/// The services in start order, each with the variable other services find it by and its
/// database (DESIGN.md's names, prefixed per run).
const SERVICES: [(&str, &str, Option<&str>); 7] = [
    (
        "customer-service",
        "CUSTOMER_SERVICE_URL",
        Some("customers"),
    ),
    ("product-service", "PRODUCT_SERVICE_URL", Some("products")),
    ("order-service", "ORDER_SERVICE_URL", Some("orders")),
    ("alert-service", "ALERT_SERVICE_URL", Some("alerts")),
    (
        "analytics-service",
        "ANALYTICS_SERVICE_URL",
        Some("analytics"),
    ),
    (
        "assistant-service",
        "ASSISTANT_SERVICE_URL",
        Some("assistant"),
    ),
    ("gateway", "GATEWAY_URL", None),
];

/// Per-minute quotas: rate limiting stays on, and never trips.
const QUOTA: &str = "1000000000";
/// `MAX_CONNECTIONS_PER_CLIENT` for no cap (the gateway's `0`).
pub const NO_CONNECTION_CAP: &str = "0";
/// Per-request `info` lines would be measured too.
pub const LOG_LEVEL: &str = "warn";
/// Fulfilment steps (milliseconds): `PROCESSING → SHIPPED → DELIVERED` in well under a second.
pub const FULFILMENT: (u64, u64, u64) = (100, 300, 50);
/// How long a service may take to answer `/health`.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// One running service.
#[derive(Debug, Clone)]
pub struct Member {
    /// Binary name.
    pub name: &'static str,
    /// Its port.
    pub port: u16,
    /// Its process id.
    pub pid: u32,
    /// From its start until `/health` answered.
    pub startup: Duration,
}

/// The running shop.
#[derive(Debug, Clone)]
pub struct Suite {
    /// In start order.
    pub members: Vec<Member>,
}

impl Suite {
    /// `http://127.0.0.1:<gateway port>`.
    pub fn gateway_url(&self) -> String {
        let port = self
            .members
            .iter()
            .find(|m| m.name == "gateway")
            .map_or(0, |m| m.port);
        format!("http://127.0.0.1:{port}")
    }
}

/// Starts the seven services for `benchmark`; what started is in `started` as it goes.
pub fn start(
    ctx: &Ctx,
    started: &mut Started,
    urls: &Urls,
    benchmark: &str,
    run: &str,
) -> Result<Suite> {
    // The eighth port is the gateway's internal metrics listener, which analytics scrapes.
    let ports = spare_ports::<8>()?;
    let metrics = ports[7];
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let jwks = format!("{}/.well-known/jwks.json", url(ports[0]));
    let (min, max, poll) = FULFILMENT;
    let leftovers = Leftovers::new(benchmark, run, urls);
    let exchange = leftovers.exchange.clone();
    started.leftovers.push(leftovers);
    let mut members = Vec::new();
    for (&(name, _, db), &port) in SERVICES.iter().zip(&ports) {
        let mut cmd = Command::new(ctx.paths.release_binary(name));
        cmd.current_dir(&ctx.paths.root)
            .envs(urls.env())
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("RUST_LOG", LOG_LEVEL)
            .env("REDIS_PREFIX", format!("bench:{run}:"))
            .env("EVENTS_EXCHANGE", &exchange)
            .env("JWKS_URL", &jwks)
            .env("LOGIN_MAX_PER_CLIENT", QUOTA)
            .env("LOGIN_MAX_FAILURES", QUOTA)
            .env("LOGIN_DELAY_MS", "0")
            // Every client of a benchmark is one address (loopback): the gateway's cap of
            // connections per address (256) would refuse its streams with a 503 and be measured
            // instead of the suite. No cap, like the quotas.
            .env("MAX_CONNECTIONS_PER_CLIENT", NO_CONNECTION_CAP)
            .env("FULFILMENT_MIN_DELAY_MS", min.to_string())
            .env("FULFILMENT_MAX_DELAY_MS", max.to_string())
            .env("FULFILMENT_POLL_MS", poll.to_string())
            .env("METRICS_ADDR", format!("127.0.0.1:{metrics}"))
            .env("GATEWAY_METRICS_URL", url(metrics))
            .env_remove("LLM_ENDPOINT");
        if let Some(db) = db {
            cmd.env("MONGODB_DB", format!("bench_{run}_{db}"));
        }
        for ((_, var, _), &other) in SERVICES.iter().zip(&ports) {
            cmd.env(var, url(other));
        }
        for class in ["AUTH", "ASSISTANT", "CATALOG", "DEFAULT"] {
            cmd.env(format!("RATE_LIMIT_{class}_PER_MIN"), QUOTA);
        }
        let begun = Instant::now();
        spawn(ctx, started, name, cmd)?;
        let pid = pid_of(started, name).unwrap_or(0);
        let startup = wait_healthy(ctx, started, name, port, begun)?;
        members.push(Member {
            name,
            port,
            pid,
            startup,
        });
    }
    Ok(Suite { members })
}

/// Polls `/health` every 10 ms (the start-up time is a figure); fails when the process exits
/// first or takes longer than [`READY_WITHIN`].
fn wait_healthy(
    ctx: &Ctx,
    started: &mut Started,
    name: &str,
    port: u16,
    begun: Instant,
) -> Result<Duration> {
    loop {
        if health::check(port, "/health").is_ok_and(|r| r.is_healthy()) {
            let took = begun.elapsed();
            ctx.progress.step(
                name,
                format!("healthy after {:.0} ms", took.as_secs_f64() * 1000.0),
            );
            return Ok(took);
        }
        let process = started.processes.iter_mut().rev().find(|p| p.label == name);
        if let Some(status) = process.and_then(|p| p.child.try_wait().ok().flatten()) {
            bail!(
                "{name} exited ({status}) before it was healthy; its log is {}",
                ctx.paths.show(&super::log_path(ctx, name))
            );
        }
        if begun.elapsed() > READY_WITHIN {
            bail!(
                "{name} was not healthy within {}s; its log is {}",
                READY_WITHIN.as_secs(),
                ctx.paths.show(&super::log_path(ctx, name))
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
