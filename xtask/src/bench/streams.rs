//! `cargo xtask bench streams`: N SSE and N WebSocket subscribers of one order on one
//! order-service, for N = 1,000, 5,000 and 10,000 (issue 9): resident memory per open
//! stream, and the time one status change takes to reach all of them (targets: under
//! 16 KiB per idle stream; all reached within 250 ms at 10,000).
//!
//! customer- and product-service run as release builds on spare ports for the whole run
//! (tokens, the product, the stock saga); order-service is started afresh for every N, so
//! each step's memory figure starts from a new process rather than from what the allocator
//! kept of the step before, with fulfilment off (only the admin moves the order) and its
//! open-file limit raised in the shell that starts it (`ulimit -n`: the service does not
//! raise its own, it inherits it). `loadgen streams` opens the subscribers from a second
//! process and reads order-service's `VmRSS` before and after.

use serde_json::Value;

use super::pointer;

use std::process::Command;

use anyhow::{Context as _, Result};

use super::{
    machine::{self, Machine},
    stack::{
        self,
        leftovers::{self, Leftovers},
    },
    table::{Grid, ms, size, verdict},
};
use crate::{cleanup::Cleanup, ctx::Ctx, infra::Urls, seed};

/// Subscribers of each kind, one step each.
pub const STEPS: [u32; 3] = [1_000, 5_000, 10_000];
/// Issue 9: resident memory per idle stream.
pub const TARGET_BYTES_PER_STREAM: f64 = 16.0 * 1024.0;
/// Issue 9: one change reaches all 10,000 within this.
pub const TARGET_ALL_REACHED_MS: f64 = 250.0;
/// What is built (release) and run.
const PACKAGES: [&str; 4] = [
    "customer-service",
    "product-service",
    "order-service",
    "loadgen",
];
const LOG_LEVEL: &str = "warn";
/// Per-minute quota for sign-ins: never trips.
const QUOTA: &str = "1000000000";

/// Builds, starts, measures each step, writes `bench/results/streams.{json,md}`; stops what
/// it started.
pub fn run(ctx: &Ctx) -> Result<()> {
    let (mut cleanup, urls) = stack::begin(ctx, &PACKAGES)?;
    let run = stack::run_id();
    cleanup
        .started
        .leftovers
        .push(Leftovers::new("streams", &run, &urls));
    let [customers, products] = stack::spare_ports::<2>()?;
    let jwks = format!("http://127.0.0.1:{customers}/.well-known/jwks.json");
    for (name, port, db) in [
        ("customer-service", customers, "customers"),
        ("product-service", products, "products"),
    ] {
        let mut cmd = service(ctx, name, port, &urls, &run);
        cmd.env("MONGODB_DB", format!("bench_{run}_{db}"))
            .env("JWKS_URL", &jwks);
        stack::spawn(ctx, &mut cleanup.started, name, cmd)?;
        stack::wait_until(ctx, &mut cleanup.started, name, || stack::healthy(port))?;
    }
    let load = machine::load_average();
    let hard = open_files_hard_limit();
    let mut steps = Vec::new();
    for n in STEPS {
        // Both kinds on one order-service when the file limit allows two sockets a pair;
        // otherwise (a container without CAP_SYS_RESOURCE keeps the hard limit) each kind
        // on an order-service of its own.
        let together = hard.is_none_or(|hard| 2 * u64::from(n) + 1024 <= hard);
        let kinds: &[&str] = if together {
            &["sse,ws"]
        } else {
            &["sse", "ws"]
        };
        for kind in kinds {
            steps.push(step(ctx, &urls, &run, n, kind, (customers, products))?);
        }
    }
    drop(cleanup);

    let machine = Machine::describe(ctx, Vec::new(), load);
    report(ctx, &Value::Array(steps), &machine)
}

/// A release binary on `port` with this run's Redis prefix, this benchmark's exchange and
/// quiet logs.
fn service(ctx: &Ctx, name: &str, port: u16, urls: &Urls, run: &str) -> Command {
    let mut cmd = Command::new(ctx.paths.release_binary(name));
    cmd.current_dir(&ctx.paths.root)
        .envs(urls.env())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("REDIS_PREFIX", format!("bench:{run}:"))
        // The run's own: with a shared one, another benchmark's product-service would compete
        // for this one's `order.created`.
        .env("EVENTS_EXCHANGE", leftovers::exchange("streams", run))
        .env("RUST_LOG", LOG_LEVEL)
        .env("LOGIN_MAX_PER_CLIENT", QUOTA);
    cmd
}

/// The hard limit of open files this process (and so what it starts) can have, from
/// `/proc/self/limits`; `None` when unlimited or unknown.
fn open_files_hard_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    hard_limit(&limits, "Max open files")
}

fn hard_limit(limits: &str, name: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().nth(1)?.parse().ok()
}

/// One step: a fresh order-service, `loadgen streams --n n --kinds kinds`, order-service
/// stopped again.
fn step(
    ctx: &Ctx,
    urls: &Urls,
    run: &str,
    n: u32,
    kinds: &str,
    (customers, products): (u16, u16),
) -> Result<Value> {
    let mut cleanup = Cleanup::new(ctx);
    let [port] = stack::spare_ports::<1>()?;
    let binary = ctx.paths.release_binary("order-service");
    // A socket a subscriber, plus the service's own connections.
    let files = (kinds.split(',').count() as u64) * u64::from(n) + 1024;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -n {files} 2>/dev/null || ulimit -n \"$(ulimit -H -n)\"; exec \"$0\""
        ))
        .arg(&binary);
    let template = service(ctx, "order-service", port, urls, run);
    cmd.current_dir(&ctx.paths.root).envs(
        template
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
    );
    cmd.env(
        "MONGODB_DB",
        format!("bench_{run}_orders_{n}_{}", kinds.replace(',', "")),
    )
    .env(
        "JWKS_URL",
        format!("http://127.0.0.1:{customers}/.well-known/jwks.json"),
    )
    .env(
        "PRODUCT_SERVICE_URL",
        format!("http://127.0.0.1:{products}"),
    )
    .env(
        "CUSTOMER_SERVICE_URL",
        format!("http://127.0.0.1:{customers}"),
    )
    .env("FULFILMENT_ENABLED", "false");
    let label = "order-service";
    stack::spawn(ctx, &mut cleanup.started, label, cmd)?;
    stack::wait_until(ctx, &mut cleanup.started, label, || stack::healthy(port))?;
    let pid = stack::pid_of(&cleanup.started, label).context("order-service has no pid")?;
    let [(email, password), _] = seed::credentials()?;
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let args = [
        "streams",
        "--orders",
        &url(port),
        "--customers",
        &url(customers),
        "--products",
        &url(products),
        "--admin-email",
        &email,
        "--admin-password",
        &password,
        "--run",
        &format!("{run}-{n}-{}", kinds.replace(',', "")),
        "--n",
        &n.to_string(),
        "--kinds",
        kinds,
        "--pid",
        &pid.to_string(),
    ]
    .map(str::to_owned);
    let mut figures = stack::loadgen(ctx, "streams", &args)?;
    drop(cleanup);
    if let Value::Object(members) = &mut figures {
        members.shift_insert(1, "kinds".to_owned(), Value::String(kinds.to_owned()));
    }
    Ok(figures)
}

fn number(step: &Value, path: &[&str]) -> Option<f64> {
    step.pointer(&pointer(path)).and_then(Value::as_f64)
}

/// The worst of the step's changes: (p99, time until all were reached, whether all were).
fn worst_change(step: &Value) -> (Option<f64>, Option<f64>, bool) {
    let changes = step
        .get("changes")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut p99: Option<f64> = None;
    let mut all: Option<f64> = None;
    let mut every = !changes.is_empty();
    for change in changes {
        p99 = larger(p99, number(change, &["fromStoredMs", "p99"]));
        match number(change, &["allReachedMs"]) {
            Some(ms) => all = larger(all, Some(ms)),
            None => every = false,
        }
    }
    (p99, all, every)
}

fn larger(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// What the run says about the two targets, judged at the largest step.
pub struct Verdict {
    /// The memory line, and whether it is met.
    pub memory: (String, bool),
    /// The reach line, and whether it is met.
    pub reach: (String, bool),
}

/// Judges the runs of the largest N in `steps` (one with both kinds, or one per kind).
pub fn verdict_of(steps: &Value) -> Verdict {
    let runs = steps.as_array().map_or(&[][..], Vec::as_slice);
    let n = runs
        .iter()
        .filter_map(|s| number(s, &["n"]))
        .fold(0.0, f64::max);
    let last: Vec<&Value> = runs
        .iter()
        .filter(|s| number(s, &["n"]) == Some(n))
        .collect();
    let per_stream = last
        .iter()
        .map(|s| number(s, &["bytesPerStream", "both"]))
        .reduce(|a, b| match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        })
        .flatten();
    let memory_met = per_stream.is_some_and(|b| b < TARGET_BYTES_PER_STREAM);
    let mut all = None;
    let mut every = !last.is_empty();
    for run in &last {
        let (_, reached, each) = worst_change(run);
        all = larger(all, reached);
        every &= each;
    }
    let reach_met = every && all.is_some_and(|ms| ms < TARGET_ALL_REACHED_MS) && n >= 10_000.0;
    let together = last.len() == 1;
    let who = if together {
        format!("all {n:.0} SSE + {n:.0} WebSocket subscribers")
    } else {
        format!("all {n:.0} subscribers (SSE and WebSocket measured apart)")
    };
    Verdict {
        memory: (
            format!(
                "memory per idle stream at N = {n:.0}: {} (target < 16 KiB: {})",
                size(per_stream),
                verdict(memory_met)
            ),
            memory_met,
        ),
        reach: (
            format!(
                "one change reaching {who}: {}{} (target: all 10,000 within \
                 {TARGET_ALL_REACHED_MS:.0} ms: {})",
                ms(all),
                if every { "" } else { ", NOT all reached" },
                verdict(reach_met)
            ),
            reach_met,
        ),
    }
}

fn grid(steps: &Value) -> Grid {
    let mut grid = Grid::new(&[
        "N (each kind)",
        "subscribers",
        "opened",
        "RSS before",
        "RSS after",
        "per SSE",
        "per WS",
        "per stream",
        "change p50",
        "p99",
        "all reached",
    ]);
    for step in steps.as_array().map_or(&[][..], Vec::as_slice) {
        let n = |path: &[&str]| number(step, path);
        let kib = |path: &[&str]| size(n(path).map(|k| k * 1024.0));
        let (p99, all, every) = worst_change(step);
        let p50 = step.get("changes").and_then(Value::as_array).and_then(|c| {
            c.iter()
                .filter_map(|c| number(c, &["fromStoredMs", "p50"]))
                .reduce(f64::max)
        });
        grid.rows.push(vec![
            n(&["n"]).map_or_else(|| "-".to_owned(), |x| format!("{x:.0}")),
            match step.get("kinds").and_then(Value::as_str) {
                Some("sse") => "SSE".to_owned(),
                Some("ws") => "WebSocket".to_owned(),
                _ => "SSE + WebSocket".to_owned(),
            },
            format!(
                "{:.0}",
                n(&["opened", "sse"]).unwrap_or(0.0) + n(&["opened", "ws"]).unwrap_or(0.0)
            ),
            kib(&["rssKiB", "before"]),
            kib(&["rssKiB", "afterWs"]),
            size(n(&["bytesPerStream", "sse"])),
            size(n(&["bytesPerStream", "ws"])),
            size(n(&["bytesPerStream", "both"])),
            ms(p50),
            ms(p99),
            if every {
                ms(all)
            } else {
                format!("NOT all ({})", ms(all))
            },
        ]);
    }
    grid
}

fn settings() -> String {
    format!(
        "`loadgen streams` (a second process, on loopback, connections spread over 16 source \
         addresses of 127/8, opened 200 at a time) against one order-service, started afresh \
         for each N of {}: N SSE streams of one order (`GET /orders/:id/stream`), then N \
         WebSockets subscribed to it (`/ws/orders`), each waiting for its snapshot — both \
         kinds on one order-service when the hard open-file limit allows two sockets a pair, \
         else (here: a hard limit of {} that the container does not let us raise) each kind \
         on an order-service of its own; \
         order-service's VmRSS read before, after the SSE streams and after the WebSockets \
         (half a second after the last opened). Then the admin moves the order to `SHIPPED` \
         and to `DELIVERED`, and each subscriber notes when the change arrived: the delay is \
         from the `at` order-service stores with the change (milliseconds, stamped just \
         before the write) through the outbox relay, RabbitMQ and the fan-out; the table \
         shows the worse of the two changes. Release builds, `RUST_LOG={LOG_LEVEL}`, \
         default `STREAM_BUFFER` and heartbeat",
        STEPS.map(|n| n.to_string()).join(", "),
        open_files_hard_limit().map_or_else(|| "unlimited".to_owned(), |h| h.to_string())
    )
}

/// Prints the table and the targets, writes the JSON and Markdown files.
fn report(ctx: &Ctx, steps: &Value, machine: &Machine) -> Result<()> {
    let v = verdict_of(steps);
    let grid = grid(steps);
    println!();
    print!("{}", grid.render_text());
    println!("{}\n{}", v.memory.0, v.reach.0);
    let json = Value::from_iter(vec![
        ("benchmark", Value::String("streams".into())),
        ("machine", machine.to_json()),
        ("settings", Value::String(settings())),
        ("results", steps.clone()),
        (
            "targets",
            Value::from_iter(vec![
                (
                    "bytesPerIdleStreamUnder",
                    super::number(TARGET_BYTES_PER_STREAM),
                ),
                ("memoryMet", Value::Bool(v.memory.1)),
                ("allReachedUnderMs", super::number(TARGET_ALL_REACHED_MS)),
                ("reachMet", Value::Bool(v.reach.1)),
            ]),
        ),
    ]);
    let markdown = format!(
        "# Benchmark: live order streams\n\n`cargo xtask bench streams`: {}.\n\n{}\n{}.\n\n{}.\n\n\
         ## Machine\n\n{}",
        settings(),
        grid.render_markdown(),
        v.memory.0,
        v.reach.0,
        machine.to_markdown()
    );
    super::write_results(ctx, "streams", &crate::http::pretty(&json), &markdown)
}

#[cfg(test)]
mod tests;
