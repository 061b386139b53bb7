//! The faults: the broker, the database or Redis stopped and started again, and each service
//! killed with SIGKILL and started again. Each returns when the fault is over (the suite has
//! everything back) and says what it did. For the `network` drill, order-service is restarted
//! behind loadgen's proxy (loadgen severs it) and put back afterwards.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::{
    cleanup::Started,
    ctx::Ctx,
    exec,
    infra::{self, Infra, Urls},
    net, proc,
    services::{self, Launch, SERVICES, Service},
    state::State,
};

/// The running suite, and how to start one of its services again.
pub struct Suite<'a> {
    /// The run.
    pub ctx: &'a Ctx,
    /// The stores the services use.
    pub urls: Urls,
    /// What this run started (its services are replaced here when restarted).
    pub started: &'a mut Started,
    /// Extra environment of a service this run starts.
    pub extra: fn(&Service) -> Vec<(&'static str, String)>,
}

/// Stops RabbitMQ for `outage` and starts it again; refuses a broker that is not this
/// machine's own (`AMQP_URL`).
pub fn broker(suite: &Suite<'_>, outage: Duration) -> Result<String> {
    if Infra::Rabbitmq.env_url().is_some() {
        bail!("AMQP_URL points at a broker xtask does not run: not restarting it");
    }
    let guard = BrokerGuard { ctx: suite.ctx };
    infra::stop(suite.ctx, Infra::Rabbitmq)?;
    let stopped = Instant::now();
    wait_out(suite.ctx, "rabbitmq", outage);
    start_broker(suite.ctx)?;
    drop(guard);
    Ok(format!(
        "RabbitMQ stopped (`rabbitmqctl stop`) for {:.1} s, then `rabbitmq-server -detached`",
        stopped.elapsed().as_secs_f64()
    ))
}

/// Starts the machine's broker when it does not answer; what any exit path of the broker
/// drill ends with.
pub fn start_broker(ctx: &Ctx) -> Result<()> {
    if net::amqp_greets(Infra::Rabbitmq.port()) {
        return Ok(());
    }
    let hint = "start it yourself: sudo rabbitmq-server -detached";
    let server = exec::find_program("rabbitmq-server").context(hint)?;
    let mut cmd = exec::as_root(&server, &[], hint)?;
    cmd.arg("-detached");
    exec::run_logged(ctx, "rabbitmq", &mut cmd, &ctx.paths.log("rabbitmq"), hint)?;
    if !net::wait_for(Duration::from_secs(90), || net::amqp_greets(5672)) {
        bail!("RabbitMQ did not come back within 90 s: {hint}");
    }
    ctx.progress.step("rabbitmq", "answers AMQP again");
    Ok(())
}

/// Starts the broker again if the drill leaves early.
struct BrokerGuard<'a> {
    ctx: &'a Ctx,
}

impl Drop for BrokerGuard<'_> {
    fn drop(&mut self) {
        if let Err(error) = start_broker(self.ctx) {
            eprintln!("warning: {error:#}");
        }
    }
}

/// Stops the MongoDB stand-in xtask started for `outage` and starts it again.
pub fn database(suite: &Suite<'_>, outage: Duration) -> Result<String> {
    if Infra::Mongodb.env_url().is_some() {
        bail!("MONGODB_URI points at a server xtask does not run: not restarting it");
    }
    if !State::load(&suite.ctx.paths.state())?.started(Infra::Mongodb) {
        bail!("the MongoDB on 127.0.0.1:27017 was not started by xtask: not restarting it");
    }
    infra::stop(suite.ctx, Infra::Mongodb)?;
    let stopped = Instant::now();
    wait_out(suite.ctx, "mongodb", outage);
    infra::ensure_all(suite.ctx)?;
    Ok(format!(
        "MongoDB (nx-27017) stopped for {:.1} s, then started again",
        stopped.elapsed().as_secs_f64()
    ))
}

/// Stops the machine's Redis for `outage` and starts it again (empty, unless it keeps a
/// snapshot): the one xtask started, or else, as the broker drill does with RabbitMQ, the
/// machine's own (`redis-cli shutdown nosave`), which xtask then starts again itself. Refuses
/// a Redis that is not on this machine (`REDIS_URL`).
pub fn redis(suite: &Suite<'_>, outage: Duration) -> Result<String> {
    if Infra::Redis.env_url().is_some() {
        bail!("REDIS_URL points at a Redis xtask does not run: not stopping it");
    }
    let guard = RedisGuard { ctx: suite.ctx };
    if State::load(&suite.ctx.paths.state())?.started(Infra::Redis) {
        infra::stop(suite.ctx, Infra::Redis)?;
    } else {
        shut_down_machine_redis(suite.ctx)?;
    }
    let stopped = Instant::now();
    wait_out(suite.ctx, "redis", outage);
    infra::ensure_all(suite.ctx)?;
    drop(guard);
    Ok(format!(
        "Redis stopped for {:.1} s, then started again",
        stopped.elapsed().as_secs_f64()
    ))
}

/// `redis-cli shutdown nosave` on the machine's Redis, and wait until it no longer listens.
fn shut_down_machine_redis(ctx: &Ctx) -> Result<()> {
    let port = Infra::Redis.port();
    let hint = format!("stop it yourself: redis-cli -p {port} shutdown nosave");
    let cli = exec::find_program("redis-cli").context(hint.clone())?;
    ctx.progress.step(
        "redis",
        "not started by xtask: `redis-cli shutdown nosave` (xtask starts it again)",
    );
    // The server closes the connection as it goes, so the exit code says nothing: the port does.
    let _ = std::process::Command::new(cli)
        .args(["-p", &port.to_string(), "shutdown", "nosave"])
        .output();
    if !net::wait_for(Duration::from_secs(30), || {
        !net::accepts_tcp("127.0.0.1", port)
    }) {
        bail!("Redis still listens on 127.0.0.1:{port}: {hint}");
    }
    ctx.progress.step("redis", "stopped");
    Ok(())
}

/// Starts Redis again if the drill leaves early.
struct RedisGuard<'a> {
    ctx: &'a Ctx,
}

impl Drop for RedisGuard<'_> {
    fn drop(&mut self) {
        if net::accepts_tcp("127.0.0.1", Infra::Redis.port()) {
            return;
        }
        if let Err(error) = infra::ensure_all(self.ctx) {
            eprintln!("warning: {error:#}");
        }
    }
}

/// Kills each service with SIGKILL and starts it again, one at a time.
pub fn services(suite: &mut Suite<'_>, pause: Duration) -> Result<String> {
    let mut downtimes = Vec::new();
    for service in &SERVICES {
        let extra = (suite.extra)(service);
        downtimes.push(restart(suite, service, "KILL", &extra)?);
        std::thread::sleep(pause);
    }
    let (shortest, longest) = downtimes.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), d| {
        (lo.min(d.as_secs_f64()), hi.max(d.as_secs_f64()))
    });
    Ok(format!(
        "each of the {} services killed (SIGKILL) and started again, one at a time \
         (down {shortest:.1}–{longest:.1} s each)",
        SERVICES.len()
    ))
}

/// Restarts order-service with `AMQP_URL` set to `url` (loadgen's proxy to the broker).
pub fn network_setup(suite: &mut Suite<'_>, url: &str) -> Result<()> {
    let order = order_service();
    let mut extra = (suite.extra)(order);
    extra.push(("AMQP_URL", url.to_owned()));
    restart(suite, order, "TERM", &extra).map(|_| ())
}

/// Puts order-service back on the broker directly.
pub fn network_teardown(suite: &mut Suite<'_>) -> Result<()> {
    let order = order_service();
    let extra = (suite.extra)(order);
    restart(suite, order, "TERM", &extra).map(|_| ())
}

fn order_service() -> &'static Service {
    &SERVICES[0]
}

/// The fault's own duration: nothing to poll for, the outage is the point.
fn wait_out(ctx: &Ctx, label: &str, outage: Duration) {
    ctx.progress
        .step(label, format!("down; waiting {} s", outage.as_secs()));
    std::thread::sleep(outage);
}

/// Stops `service` with `signal` and starts it again with `extra`; how long it was away.
pub(super) fn restart(
    suite: &mut Suite<'_>,
    service: &Service,
    signal: &str,
    extra: &[(&'static str, String)],
) -> Result<Duration> {
    let ctx = suite.ctx;
    let pid = proc::read_pid(&ctx.paths.pid(service.name))
        .filter(|pid| proc::runs(*pid, service.name))
        .with_context(|| {
            format!(
                "{} is not running from `cargo xtask up` (no live pid in {})",
                service.name,
                ctx.paths.show(&ctx.paths.pid(service.name))
            )
        })?;
    let down = Instant::now();
    proc::signal(ctx, service.name, pid, signal)?;
    if !proc::wait_gone(&[pid], Duration::from_secs(20)).is_empty() {
        proc::signal(ctx, service.name, pid, "KILL")?;
        proc::wait_gone(&[pid], Duration::from_secs(5));
    }
    for process in suite.started.processes.iter_mut() {
        if process.child.id() == pid {
            let _ = process.child.try_wait();
        }
    }
    let Launch::Spawned(mut child) = services::launch(ctx, service, &suite.urls, extra)? else {
        bail!("{} still answered after it was killed", service.name);
    };
    services::wait_healthy(ctx, service, Some(&mut child))?;
    let away = down.elapsed();
    match suite
        .started
        .processes
        .iter_mut()
        .find(|p| p.label == service.name)
    {
        Some(process) => process.child = child,
        // Started by `up`: it runs on after us, like the copy it replaces.
        None => drop(child),
    }
    Ok(away)
}
