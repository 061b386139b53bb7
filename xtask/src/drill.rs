//! `cargo xtask drill [broker|database|service|network|all]`: faults injected into the
//! running suite under a steady order load, then the delivery guarantees checked.
//!
//! - [`load`]: the order load; [`sse`]: live subscribers that reconnect with `Last-Event-ID`.
//! - [`fault`]: the faults; [`proxy`]: the TCP proxy the `network` drill severs.
//! - [`check`]: the invariants, polled with a deadline; [`report`]: the table and the files.
//! - [`api`]: the calls it makes through the gateway; [`setup`]: the suite it drills.
//!
//! The suite on :5000 is used as it is (started by `cargo xtask up`); when none answers, one
//! is started as `up` does (quotas raised, fulfilment fast) and stopped at the end, also on
//! failure. The broker is the machine's own: the `broker` drill restarts it, and it is
//! running again whenever the drill ends. `network` restarts order-service with `AMQP_URL`
//! pointing at a proxy xtask runs (so the real service binary, with its real reconnect code,
//! is what gets cut off), and puts it back on the broker directly afterwards.

mod api;
mod check;
mod fault;
mod load;
mod proxy;
mod report;
mod setup;
mod sse;

use std::{
    process::ExitCode,
    thread::JoinHandle,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context as _, Result};

use crate::{
    bench::machine::{self, Machine},
    cleanup::Cleanup,
    ctx::Ctx,
    infra,
    seed::Gateway,
    suite,
};
use api::{Account, Api};
use check::{Finding, Kind as FindingKind};
use fault::Suite;
use load::{Load, Products};
use report::Row;

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
}

/// Every drill, in the order `all` runs them.
pub const ALL: [Kind; 4] = [Kind::Broker, Kind::Database, Kind::Service, Kind::Network];

impl Kind {
    /// The word on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Broker => "broker",
            Self::Database => "database",
            Self::Service => "service",
            Self::Network => "network",
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
                    "unknown drill `{word}`; available: broker, database, service, network, all"
                )
            })
    }
}

/// How long the broker, the database and the network are away.
const OUTAGE: Duration = Duration::from_secs(20);
/// Load before the fault, and after it.
const BEFORE: Duration = Duration::from_secs(5);
const AFTER: Duration = Duration::from_secs(8);
/// How long the invariants get to hold once the load stopped.
const SETTLE: Duration = Duration::from_secs(180);
/// Customers placing orders, and orders followed live.
const CUSTOMERS: usize = 4;
const SUBSCRIBERS: usize = 6;
/// Stock of the drill's products.
const MAIN_STOCK: i64 = 100_000;
const SCARCE_STOCK: i64 = 8;

/// Runs the drills; the exit code is non-zero on any loss, duplicate or error.
pub fn run(ctx: &Ctx, kinds: &[Kind]) -> Result<ExitCode> {
    ctx.paths.ensure_dirs()?;
    let load_before = machine::load_average();
    let mut cleanup = Cleanup::new(ctx);
    let setting = setup::prepare_suite(ctx, &mut cleanup.started)?;
    let urls = infra::ensure_all(ctx)?;
    let api = Api {
        gateway: Gateway::local(),
    };
    let admin = api.admin(ctx)?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let customers = (0..CUSTOMERS)
        .map(|i| {
            api.register(
                &format!("drill-{stamp}-{i}@example.com"),
                &format!("Drill Customer {i}"),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    ctx.progress.step(
        "drill",
        format!("{CUSTOMERS} customers registered, signed in as the admin"),
    );
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
        let mut row = Row {
            drill: kind.name().to_owned(),
            ..Row::default()
        };
        let people = People {
            api: &api,
            admin: &admin,
            customers: &customers,
        };
        if let Err(error) = drill(&mut suite, &people, *kind, stamp, &mut row) {
            ctx.progress.step(kind.name(), format!("error: {error:#}"));
            row.error = Some(format!("{error:#}"));
        }
        // Whatever happened, the broker is the machine's and runs on.
        if let Err(error) = fault::start_broker(ctx) {
            row.error.get_or_insert(format!("{error:#}"));
        }
        rows.push(row);
    }

    let machine = Machine::describe(ctx, Vec::new(), load_before);
    let dir = ctx.paths.root.join("bench").join("results");
    std::fs::create_dir_all(&dir)?;
    let md = dir.join("drill.md");
    std::fs::write(&md, report::markdown(&rows, &machine, &setting))
        .with_context(|| format!("cannot write {}", md.display()))?;
    let json = dir.join("drill.json");
    std::fs::write(&json, report::json(&rows, &machine).pretty())
        .with_context(|| format!("cannot write {}", json.display()))?;
    println!("\n{}", report::table(&rows));
    for line in report::findings(&rows) {
        println!("  {line}");
    }
    println!("Report: {}", ctx.paths.show(&md));
    drop(cleanup);
    Ok(if rows.iter().all(Row::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Who drives the load and reads the results.
struct People<'a> {
    api: &'a Api,
    admin: &'a Account,
    customers: &'a [Account],
}

/// One drill: products, load, fault, more load, then the checks. The `network` drill's
/// order-service is put back on the broker directly however the drill ends.
fn drill(
    suite: &mut Suite<'_>,
    people: &People<'_>,
    kind: Kind,
    stamp: u64,
    row: &mut Row,
) -> Result<()> {
    let api = people.api;
    let name = |what: &str| format!("Drill {} {what} {stamp}", kind.name());
    let products = Products {
        main: api.product(people.admin, &name("staple"), 999.0, MAIN_STOCK)?,
        scarce: api.product(people.admin, &name("rarity"), 1999.0, SCARCE_STOCK)?,
    };
    let analytics_before = check::analytics_orders(api, people.admin)?;
    let proxy = match kind {
        Kind::Network => Some(fault::network_setup(suite)?),
        _ => None,
    };
    let ctx = suite.ctx;
    let result = under_load(suite, people, kind, &products, proxy.as_ref(), stamp)
        .and_then(|run| check_after(ctx, people, kind, &products, analytics_before, run, row));
    // After the checks, so that the restart is not part of what they measure.
    if proxy.is_some() {
        drop(proxy);
        fault::network_teardown(suite)?;
    }
    result
}

/// The invariants after the fault, and the subscribers' streams, into `row`.
fn check_after(
    ctx: &Ctx,
    people: &People<'_>,
    kind: Kind,
    products: &Products,
    analytics_before: i64,
    run: Run,
    row: &mut Row,
) -> Result<()> {
    let api = people.api;
    let (attempts, follows, applied) = run;
    row.fault = applied.description;
    row.tally(&attempts, applied.restored_at);
    ctx.progress.step(
        kind.name(),
        format!(
            "load stopped: {} orders, {} accepted; checking the invariants (up to {} s)",
            row.attempted,
            row.accepted,
            SETTLE.as_secs()
        ),
    );
    let subject = check::Subject {
        api,
        admin: people.admin,
        customers: people.customers,
        products,
        initial: (MAIN_STOCK, SCARCE_STOCK),
        attempts: &attempts,
        analytics_before,
    };
    let (orders, findings, settled) = check::settle(&subject, Instant::now() + SETTLE)?;
    row.settled_after = settled.map(|at| at.duration_since(applied.restored_at));
    row.findings.extend(findings);
    row.subscribers.1 = follows.len();
    for follow in follows {
        let follow = follow.join().unwrap_or_default();
        let version = orders.get(&follow.order).map_or(-1, |o| check::facts(o).1);
        match follow.problem(version) {
            None => row.subscribers.0 += 1,
            Some(what) => row.findings.push(Finding {
                kind: FindingKind::Lost,
                what,
            }),
        }
    }
    ctx.progress.step(
        kind.name(),
        if row.findings.is_empty() {
            "every invariant holds".to_owned()
        } else {
            format!("{} findings", row.findings.len())
        },
    );
    Ok(())
}

/// What the load saw, the subscribers following orders, and what the fault did.
type Run = (
    Vec<load::Attempt>,
    Vec<JoinHandle<sse::Follow>>,
    fault::Applied,
);

/// The load for [`BEFORE`], the fault, the load for [`AFTER`] more; subscribers on the
/// first [`SUBSCRIBERS`] accepted orders.
fn under_load(
    suite: &mut Suite<'_>,
    people: &People<'_>,
    kind: Kind,
    products: &Products,
    proxy: Option<&proxy::Proxy>,
    stamp: u64,
) -> Result<Run> {
    let prefix = format!("drill-{stamp}-{}", kind.name());
    let load = Load::start(people.api, people.customers, products, &prefix);
    let follow_until = Instant::now() + BEFORE + OUTAGE + AFTER + SETTLE;
    let mut follows = Vec::new();
    let follow_new = |load: &Load, until: Instant, follows: &mut Vec<_>| {
        while let Some(wait) = until.checked_duration_since(Instant::now()) {
            match load.accepted.recv_timeout(wait) {
                Ok((order, customer)) if follows.len() < SUBSCRIBERS => follows.push(sse::follow(
                    people.api.clone(),
                    people.customers[customer].clone(),
                    order,
                    follow_until,
                )),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    };
    follow_new(&load, Instant::now() + BEFORE, &mut follows);
    let message = format!(
        "load running, {} orders followed live; fault now",
        follows.len()
    );
    suite.ctx.progress.step(kind.name(), message);
    let applied = match (kind, proxy) {
        (Kind::Broker, _) => fault::broker(suite, OUTAGE),
        (Kind::Database, _) => fault::database(suite, OUTAGE),
        (Kind::Service, _) => fault::services(suite, Duration::from_secs(2)),
        (Kind::Network, Some(proxy)) => fault::network(suite, proxy, OUTAGE),
        (Kind::Network, None) => Err(anyhow::anyhow!("the network drill needs its proxy")),
    };
    let applied = match applied {
        Ok(applied) => applied,
        Err(error) => {
            let _ = load.stop();
            return Err(error);
        }
    };
    let message = format!("fault over: {}", applied.description);
    suite.ctx.progress.step(kind.name(), message);
    follow_new(&load, Instant::now() + AFTER, &mut follows);
    Ok((load.stop(), follows, applied))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drills_parse_by_name_and_all_means_every_one() {
        assert_eq!(Kind::parse("broker"), Ok(vec![Kind::Broker]));
        assert_eq!(Kind::parse("all"), Ok(ALL.to_vec()));
        assert!(Kind::parse("disk").is_err());
    }
}
