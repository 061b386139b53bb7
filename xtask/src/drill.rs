//! `cargo xtask drill [broker|database|service|network|redis|poison|replica|all]`: faults
//! injected into the running suite under a steady order load, then the delivery guarantees
//! checked.
//!
//! The client — the order load, live SSE subscribers, the `network` drill's proxy and the
//! checks — is `loadgen drill` (the same code the gateway's drill tests run), a second
//! process as for the benchmarks. xtask orchestrates: the suite ([`setup`]), the faults
//! ([`fault`]) when loadgen asks for them, and the report ([`report`]).
//!
//! The suite on :5000 is used as it is (started by `cargo xtask up`); when none answers, one
//! is started as `up` does (quotas raised, fulfilment fast) and stopped at the end, also on
//! failure. The broker is the machine's own: the `broker` drill restarts it, and it is
//! running again whenever the drill ends. `network` restarts order-service with `AMQP_URL`
//! pointing at loadgen's proxy (so the real service binary, with its real reconnect code, is
//! what gets cut off), and puts it back on the broker directly afterwards. `redis` stops the
//! Redis xtask runs for 20 s (loadgen probes idempotency keys, a revoked token and product
//! reads meanwhile); `poison` is loadgen's own (poison messages into every queue, the dead
//! letters read and replayed through the admin API); `replica` starts a second order-service
//! and product-service ([`replica`]) and kills them mid-load.

mod fault;
mod replica;
mod report;
mod setup;

use std::{
    io::{BufRead as _, BufReader, Write as _},
    process::{ChildStdin, Command, ExitCode, Stdio},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::{
    bench::machine::{self, Machine},
    cleanup::Cleanup,
    ctx::Ctx,
    http, infra, seed, services, suite,
};
use fault::Suite;

/// One drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// RabbitMQ stopped and started again.
    Broker,
    /// MongoDB stopped and started again.
    Database,
    /// Each service killed and started again.
    Service,
    /// order-service cut off the broker at a proxy.
    Network,
    /// Redis stopped and started again.
    Redis,
    /// Poison messages in every consumer queue, then the dead letters replayed.
    Poison,
    /// One of two order-services and product-services killed, not restarted.
    Replica,
}

/// Every drill, in the order `all` runs them.
pub const ALL: [Kind; 7] = [
    Kind::Broker,
    Kind::Database,
    Kind::Service,
    Kind::Network,
    Kind::Redis,
    Kind::Poison,
    Kind::Replica,
];

impl Kind {
    /// The word on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Broker => "broker",
            Self::Database => "database",
            Self::Service => "service",
            Self::Network => "network",
            Self::Redis => "redis",
            Self::Poison => "poison",
            Self::Replica => "replica",
        }
    }

    /// Parses a drill's name, or `all`.
    pub fn parse(word: &str) -> Result<Vec<Self>, String> {
        if word == "all" {
            return Ok(ALL.to_vec());
        }
        ALL.into_iter()
            .find(|k| k.name() == word)
            .map(|k| vec![k])
            .ok_or_else(|| {
                format!(
                    "unknown drill `{word}`; available: broker, database, service, network, \
                     redis, poison, replica, all"
                )
            })
    }
}

/// How long the broker, the database and the network are away.
const OUTAGE: Duration = Duration::from_secs(20);

/// Runs the drills; the exit code is non-zero on any loss, duplicate or error.
pub fn run(ctx: &Ctx, kinds: &[Kind]) -> Result<ExitCode> {
    ctx.paths.ensure_dirs()?;
    let load_before = machine::load_average();
    let mut cleanup = Cleanup::new(ctx);
    let setting = setup::prepare_suite(ctx, &mut cleanup.started)?;
    let urls = infra::ensure_all(ctx)?;
    // loadgen with the suite's binaries (one feature set: nothing rebuilt after `up`).
    services::build(ctx)?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let extra = if cleanup.started.processes.is_empty() {
        suite::no_extra_env
    } else {
        setup::drill_env
    };
    let mut suite = Suite {
        ctx,
        urls,
        started: &mut cleanup.started,
        extra,
    };
    let mut rows = Vec::new();
    for kind in kinds {
        ctx.progress
            .step("drill", format!("--- {} ---", kind.name()));
        let mut row = drill(&mut suite, *kind, stamp).unwrap_or_else(|error| {
            ctx.progress.step(kind.name(), format!("error: {error:#}"));
            json!({ "drill": kind.name(), "error": format!("{error:#}"), "passed": false })
        });
        // Whatever happened, the broker and Redis are the machine's and run on.
        let restored = fault::start_broker(ctx).and_then(|()| match kind {
            Kind::Redis => infra::ensure_all(ctx).map(|_| ()),
            _ => Ok(()),
        });
        if let Err(error) = restored {
            row["error"] = Value::String(format!("{error:#}"));
            row["passed"] = Value::Bool(false);
        }
        let message = match report::findings(std::slice::from_ref(&row)).len() {
            0 => "every invariant holds".to_owned(),
            n => format!("{n} findings"),
        };
        ctx.progress.step(kind.name(), message);
        rows.push(row);
    }

    let machine = Machine::describe(ctx, Vec::new(), load_before);
    let dir = ctx.paths.root.join("bench").join("results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("drill.json");
    let previous = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .unwrap_or(Value::Null);
    let this_run = rows.clone();
    let kept = report::merge(&previous, rows, &machine.to_json(), &setting);
    let md = dir.join("drill.md");
    std::fs::write(&md, report::markdown(&kept, &machine, &setting))
        .with_context(|| format!("cannot write {}", md.display()))?;
    let rows = this_run;
    let document = json!({ "machine": machine.to_json(), "drills": kept });
    std::fs::write(&path, http::pretty(&document))
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("\n{}", report::table(&rows));
    for line in report::findings(&rows) {
        println!("  {line}");
    }
    println!("Report: {}", ctx.paths.show(&md));
    drop(cleanup);
    Ok(if rows.iter().all(report::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One drill: `loadgen drill` drives the load and checks; the fault is applied here when it
/// asks. The `network` drill's order-service is put back on the broker directly however the
/// drill ends.
fn drill(suite: &mut Suite<'_>, kind: Kind, stamp: u64) -> Result<Value> {
    let ctx = suite.ctx;
    let [(email, password), _] = seed::credentials()?;
    let mut cmd = Command::new(ctx.paths.binary("loadgen"));
    cmd.args(["drill", "--gateway", &seed::Gateway::local().api_url()])
        .args(["--admin-email", &email, "--admin-password", &password])
        .args(["--run", &stamp.to_string(), "--kind", kind.name()])
        .args(["--outage-secs", &OUTAGE.as_secs().to_string()]);
    if matches!(kind, Kind::Network | Kind::Poison) {
        cmd.args(["--broker-url", &suite.urls.amqp]);
    }
    let exchange = services::namespace()
        .map(|n| services::exchange_in(&n))
        .or_else(|| std::env::var("EVENTS_EXCHANGE").ok());
    if let Some(exchange) = exchange {
        cmd.args(["--exchange", &exchange]);
    }
    ctx.progress.step(
        kind.name(),
        format!(
            "$ loadgen drill --kind {} (its progress below)",
            kind.name()
        ),
    );
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run loadgen")?;
    let mut stdin = child.stdin.take().context("loadgen's stdin")?;
    let stdout = BufReader::new(child.stdout.take().context("loadgen's stdout")?);
    let mut row = None;
    let mut behind_proxy = false;
    let mut replicas = Vec::new();
    let mut result = Ok(());
    for line in stdout.lines() {
        let message: Value = serde_json::from_str(&line?).unwrap_or(Value::Null);
        let step = match message["step"].as_str() {
            Some("proxy") => {
                behind_proxy = true;
                let url = message["url"].as_str().unwrap_or_default();
                fault::network_setup(suite, url).map(|()| "ready".to_owned())
            }
            Some("replicas") => replica::start(suite).map(|started| {
                replicas = started;
                replica::urls(&replicas)
            }),
            Some("fault") if kind == Kind::Replica => replica::kill(suite, &mut replicas),
            Some("fault") => apply(suite, kind),
            Some("row") => {
                row = Some(message["row"].clone());
                continue;
            }
            _ => continue,
        };
        let answer = step.unwrap_or_else(|error| {
            let answer = format!("error: {error:#}");
            result = Err(error);
            answer
        });
        answer_loadgen(&mut stdin, &answer)?;
    }
    let status = child.wait()?;
    let copied = !replicas.is_empty();
    drop(replicas);
    if behind_proxy {
        fault::network_teardown(suite)?;
    }
    if copied {
        replica::teardown(suite)?;
    }
    result?;
    if !status.success() {
        bail!("loadgen drill failed ({status}); its output is above");
    }
    row.filter(Value::is_object)
        .ok_or_else(|| anyhow!("loadgen drill printed no result"))
}

/// The fault loadgen asks for; what it did.
fn apply(suite: &mut Suite<'_>, kind: Kind) -> Result<String> {
    match kind {
        Kind::Broker => fault::broker(suite, OUTAGE),
        Kind::Database => fault::database(suite, OUTAGE),
        Kind::Service => fault::services(suite, Duration::from_secs(2)),
        Kind::Redis => fault::redis(suite, OUTAGE),
        Kind::Network | Kind::Poison => Err(anyhow!("this fault is loadgen's own")),
        Kind::Replica => Err(anyhow!("the replicas are killed where they were started")),
    }
}

/// One line to loadgen.
fn answer_loadgen(stdin: &mut ChildStdin, line: &str) -> Result<()> {
    writeln!(stdin, "{}", line.replace('\n', " "))?;
    stdin.flush().context("loadgen stopped listening")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drills_parse_by_name_and_all_means_every_one() {
        assert_eq!(Kind::parse("broker"), Ok(vec![Kind::Broker]));
        assert_eq!(Kind::parse("all"), Ok(ALL.to_vec()));
        assert_eq!(Kind::parse("poison"), Ok(vec![Kind::Poison]));
        assert!(Kind::parse("disk").is_err());
    }
}
