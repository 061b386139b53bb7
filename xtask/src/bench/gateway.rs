//! `cargo xtask bench gateway`: requests per second and latency of `GET /api/products/:id`
//! straight to product-service, through nginx (a plain keep-alive reverse proxy) and through
//! the gateway (rate limiting, validation and, in the last rows, a token check on; the very
//! last through a gateway and product-service exporting their traces), in one run;
//! and the same three ways for a write whose body the gateway validates (`PUT
//! /api/products/:id` as the admin, parsed into `shared::api` types on the way), so the price
//! of that parsing is a ratio too.
//!
//! Release builds of customer-, product-service and the gateway run on spare ports with their
//! run's own database names, Redis prefix and exchange (`bench_<run>_*`, `bench:<run>:`,
//! `bench.gateway.<run>`, all removed at the end), so a suite started by `up` is neither
//! disturbed nor measured.

mod setup;

use serde_json::Value;

use std::{process::Command, time::Duration};

use anyhow::{Context as _, Result, bail};

use super::{
    machine::Machine,
    nginx::Proxy,
    stack,
    table::{Row, Table},
    wrk::{Load, Report},
};
use crate::{ctx::Ctx, exec};

/// Open connections during a measurement.
const CONNECTIONS: u32 = 32;
/// Open connections during a write row: every `PUT` is a write of one document on the
/// MongoDB stand-in's one writer, so 32 at once queue past wrk's 5 s timeout (15 writes/s,
/// p50 490 ms, 32 timeouts in 8 s when first run on 2026-12-06) and measure that queue instead.
const WRITE_CONNECTIONS: u32 = 4;
/// wrk threads.
const THREADS: u32 = 2;
/// Load before each measurement, not counted: pools fill, caches warm.
const WARM_UP: Duration = Duration::from_secs(3);
/// One measurement.
const MEASURE: Duration = Duration::from_secs(8);
/// Rounds over all targets: each round measures every target once, in turn, so that load
/// from other processes on a shared machine falls on every row alike; each row reports its
/// median round, and each ratio the median of its per-round ratios (a round's targets are
/// measured within a minute of each other, so drift on a shared machine cancels out).
const ROUNDS: usize = 5;
/// More than this share of failed answers makes a figure meaningless.
const MAX_ERROR_SHARE: f64 = 0.001;

/// The gateway's targets (issue 6): at least nginx's rate, at least this share of direct.
const TARGET_VS_DIRECT: f64 = 0.6;

/// One thing measured: key, label, URL, extra headers, and the body of a write.
struct Target {
    key: &'static str,
    label: &'static str,
    url: String,
    headers: Vec<String>,
    /// A JSON body sent with `PUT`; a bodiless `GET` without one.
    body: Option<String>,
}

/// The key of the read row through the traced pair, compared with `gateway-token`.
const TRACED: &str = "gateway-token-traced";

/// The keys of the write rows; the first is their baseline.
const WRITES: [&str; 3] = ["direct-put", "nginx-put", "gateway-put"];

/// Builds, starts, measures, writes `bench/results/gateway.{json,md}`; stops what it started.
pub fn run(ctx: &Ctx) -> Result<()> {
    let nginx = super::ensure_program(ctx, "nginx", &["nginx-light", "nginx"])?;
    let wrk = super::ensure_program(ctx, "wrk", &["wrk"])?;
    let (mut cleanup, urls) = stack::begin(ctx, &setup::PACKAGES)?;
    let ports = setup::start_services(ctx, &mut cleanup.started, &urls)?;
    let fixture = setup::fixture(ctx, &ports)?;

    let proxy = Proxy {
        listen: ports.nginx,
        upstream: ports.product,
        otlp_sink: ports.otlp_sink,
        prefix: ctx.paths.bench().join("nginx"),
    };
    setup::start_nginx(
        ctx,
        &mut cleanup.started,
        &nginx,
        &proxy,
        &fixture.product_id,
    )?;

    let targets = targets(&ports, &fixture);
    let secrets = [
        fixture.customer_token.as_str(),
        fixture.admin_token.as_str(),
    ];
    let load = super::machine::load_average();
    let mut rounds: Vec<Vec<Row>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 1..=ROUNDS {
        ctx.progress
            .step("bench", format!("round {round} of {ROUNDS}"));
        for i in turn(round, targets.len()) {
            rounds[i].push(measure(ctx, &wrk, &targets[i], &secrets)?);
        }
    }
    let paired = Paired::of(&targets, &rounds);
    let (writes, reads): (Vec<Row>, Vec<Row>) = rounds
        .into_iter()
        .map(median)
        .partition(|row| WRITES.contains(&row.key.as_str()));
    let tables = [
        Table {
            rows: reads,
            baseline: "direct".to_owned(),
        },
        Table {
            rows: writes,
            baseline: WRITES[0].to_owned(),
        },
    ];
    drop(cleanup);

    let tools = vec![
        (
            "nginx".to_owned(),
            super::machine::first_line(Command::new(&nginx).arg("-v")),
        ),
        (
            "wrk".to_owned(),
            super::machine::first_line(Command::new(&wrk).arg("-v")),
        ),
    ];
    let machine = Machine::describe(ctx, tools, load);
    report(ctx, &tables, &paired, &machine)
}

/// What each row measures: reads direct, through nginx and through the gateway (bare, with a
/// token, traced), then the validated writes direct, through nginx and through the gateway.
fn targets(ports: &setup::Ports, fixture: &setup::Fixture) -> [Target; 8] {
    let id = &fixture.product_id;
    let admin = vec![format!("Authorization: Bearer {}", fixture.admin_token)];
    let write = |key, label, port: u16, prefix: &str| Target {
        key,
        label,
        url: format!("http://127.0.0.1:{port}{prefix}/products/{id}"),
        headers: admin.clone(),
        body: Some(fixture.product.clone()),
    };
    [
        Target {
            key: "direct",
            label: "product-service, direct",
            url: format!("http://127.0.0.1:{}/products/{id}", ports.product),
            headers: vec![],
            body: None,
        },
        Target {
            key: "nginx",
            label: "nginx → product-service",
            url: format!("http://127.0.0.1:{}/api/products/{id}", ports.nginx),
            headers: vec![],
            body: None,
        },
        Target {
            key: "gateway",
            label: "gateway → product-service",
            url: format!("http://127.0.0.1:{}/api/products/{id}", ports.gateway),
            headers: vec![],
            body: None,
        },
        Target {
            key: "gateway-token",
            label: "gateway + customer token → product-service",
            url: format!("http://127.0.0.1:{}/api/products/{id}", ports.gateway),
            headers: vec![format!("Authorization: Bearer {}", fixture.customer_token)],
            body: None,
        },
        Target {
            key: TRACED,
            label: "the same, gateway and product-service traced (OTLP export on)",
            url: format!(
                "http://127.0.0.1:{}/api/products/{id}",
                ports.traced_gateway
            ),
            headers: vec![format!("Authorization: Bearer {}", fixture.customer_token)],
            body: None,
        },
        write(WRITES[0], "product-service, direct", ports.product, ""),
        write(WRITES[1], "nginx → product-service", ports.nginx, "/api"),
        write(
            WRITES[2],
            "gateway → product-service",
            ports.gateway,
            "/api",
        ),
    ]
}

/// The order of `rows` rows in round `round` (from 1): the table's order, starting one row
/// later each round, so that a row's place in the round is not always the same.
fn turn(round: usize, rows: usize) -> impl Iterator<Item = usize> {
    (0..rows).map(move |k| (k + round - 1) % rows)
}

/// The targets' ratios, round by round.
struct Paired {
    /// gateway with a token over nginx, per round.
    vs_nginx: Vec<f64>,
    /// gateway with a token over direct, per round.
    vs_direct: Vec<f64>,
    /// The gateway's validated write over nginx's, per round.
    put_vs_nginx: Vec<f64>,
    /// The gateway's validated write over direct, per round.
    put_vs_direct: Vec<f64>,
    /// The traced pair over the untraced one (gateway with a token), per round.
    traced_vs_not: Vec<f64>,
}

impl Paired {
    fn of(targets: &[Target], rounds: &[Vec<Row>]) -> Self {
        let rates = |key: &str| {
            targets
                .iter()
                .position(|t| t.key == key)
                .map(|i| {
                    rounds[i]
                        .iter()
                        .map(|r| r.report.requests_per_sec)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let over = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a / b).collect();
        let gateway = rates("gateway-token");
        let put = rates(WRITES[2]);
        Self {
            vs_nginx: over(&gateway, &rates("nginx")),
            vs_direct: over(&gateway, &rates("direct")),
            put_vs_nginx: over(&put, &rates(WRITES[1])),
            put_vs_direct: over(&put, &rates(WRITES[0])),
            traced_vs_not: over(&rates(TRACED), &gateway),
        }
    }
}

/// The median of `values` (NaN when there are none).
fn median_of(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// `0.91 0.97 1.02` — each round's ratio, in order.
fn listed(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A warm-up, then the measured run.
fn measure(ctx: &Ctx, wrk: &std::path::Path, target: &Target, secrets: &[&str]) -> Result<Row> {
    let script = match &target.body {
        Some(body) => {
            let path = ctx.paths.bench().join(format!("{}.lua", target.key));
            std::fs::create_dir_all(ctx.paths.bench())?;
            std::fs::write(&path, Load::script("PUT", body))
                .with_context(|| format!("cannot write {}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    let load = |duration| Load {
        url: target.url.clone(),
        connections: if target.body.is_some() {
            WRITE_CONNECTIONS
        } else {
            CONNECTIONS
        },
        threads: THREADS,
        duration,
        headers: target.headers.clone(),
        script: script.clone(),
    };
    run_wrk(ctx, wrk, target.key, &load(WARM_UP), secrets).context("warming up")?;
    let report = run_wrk(ctx, wrk, target.key, &load(MEASURE), secrets)?;
    ctx.progress.step(
        target.key,
        format!(
            "{:.0} requests/s, p50 {}, p99 {}",
            report.requests_per_sec,
            super::table::latency(report.p50_us),
            super::table::latency(report.p99_us)
        ),
    );
    let request = target.url.split_once("//").map_or("", |(_, rest)| rest);
    let request = request.find('/').map_or(request, |at| &request[at..]);
    let auth = if target.headers.is_empty() {
        ""
    } else {
        " (bearer token)"
    };
    let method = if target.body.is_some() { "PUT" } else { "GET" };
    Ok(Row {
        key: target.key.to_owned(),
        label: target.label.to_owned(),
        request: format!("{method} {request}{auth}"),
        report,
    })
}

/// The round with the median rate.
fn median(mut rounds: Vec<Row>) -> Row {
    rounds.sort_by(|a, b| {
        a.report
            .requests_per_sec
            .total_cmp(&b.report.requests_per_sec)
    });
    let middle = rounds.len() / 2;
    rounds.swap_remove(middle)
}

fn run_wrk(
    ctx: &Ctx,
    wrk: &std::path::Path,
    label: &str,
    load: &Load,
    secrets: &[&str],
) -> Result<Report> {
    let mut cmd = load.command(wrk);
    let shown = secrets.iter().fold(exec::describe(&cmd), |shown, secret| {
        shown.replace(secret, "***")
    });
    ctx.progress.step(label, format!("$ {shown}"));
    let output = cmd.output().context("cannot run wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = Report::parse(&stdout).map_err(|e| {
        anyhow::anyhow!(
            "{e}\nwrk said:\n{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    if report.error_share() > MAX_ERROR_SHARE {
        bail!(
            "{label}: {} non-2xx answers and {} socket errors in {} requests: the figure would \
             be meaningless (rate limited? a service down?). wrk said:\n{stdout}",
            report.non_2xx,
            report.socket_errors,
            report.requests
        );
    }
    Ok(report)
}

/// Prints the table and the targets, writes the JSON and Markdown files.
fn report(ctx: &Ctx, tables: &[Table; 2], paired: &Paired, machine: &Machine) -> Result<()> {
    let vs_direct = median_of(&paired.vs_direct);
    let vs_nginx = median_of(&paired.vs_nginx);
    let put_vs_direct = median_of(&paired.put_vs_direct);
    let put_vs_nginx = median_of(&paired.put_vs_nginx);
    let traced_vs_not = median_of(&paired.traced_vs_not);
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let targets = format!(
        "gateway with a token check vs nginx, median of the rounds' ratios: {vs_nginx:.2} \
         (rounds: {}; target ≥ 1.00: {}); vs direct: {vs_direct:.2} (rounds: {}; target ≥ \
         {TARGET_VS_DIRECT:.2}: {}). The validated write through the gateway vs nginx: \
         {put_vs_nginx:.2} (rounds: {}; target ≥ 1.00: {}); vs direct: {put_vs_direct:.2} \
         (rounds: {}; target ≥ {TARGET_VS_DIRECT:.2}: {}). Tracing on (the gateway and \
         product-service each exporting every request's spans over OTLP/HTTP to a sink) vs \
         off, the same request with a token: {traced_vs_not:.2} (rounds: {})",
        listed(&paired.vs_nginx),
        verdict(vs_nginx >= 1.0),
        listed(&paired.vs_direct),
        verdict(vs_direct >= TARGET_VS_DIRECT),
        listed(&paired.put_vs_nginx),
        verdict(put_vs_nginx >= 1.0),
        listed(&paired.put_vs_direct),
        verdict(put_vs_direct >= TARGET_VS_DIRECT),
        listed(&paired.traced_vs_not)
    );
    let [reads, writes] = tables;
    println!();
    print!("{}", reads.render_text());
    println!();
    print!("{}", writes.render_text());
    println!("{targets}");

    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let settings = format!(
        "wrk, {THREADS} threads, {CONNECTIONS} connections ({WRITE_CONNECTIONS} for the write \
         rows), {}s warm-up then {}s measured per row, on loopback, from a second process on the same machine; {ROUNDS} rounds over \
         the rows in turn, each round starting one row later (no row is always measured \
         last, after the stand-in has taken the most writes), each row's median round reported, each ratio the median of the \
         rounds' ratios. nginx: \
         `worker_processes auto` ({cores} worker processes here, one per core), up to {} idle \
         keep-alive connections to product-service per worker; gateway: tokio's default \
         runtime ({cores} worker threads, one per core), its fast lane serving these \
         requests, up to 64 idle keep-alive connections to product-service. Both share the {cores} cores with wrk and \
         product-service",
        WARM_UP.as_secs(),
        MEASURE.as_secs(),
        super::nginx::UPSTREAM_KEEPALIVE,
    );
    println!("{settings}.");
    let json = Value::from_iter(vec![
        ("benchmark", Value::String("gateway".into())),
        ("machine", machine.to_json()),
        ("settings", Value::String(settings.clone())),
        ("results", reads.to_json()),
        ("writes", writes.to_json()),
        (
            "targets",
            Value::from_iter(vec![
                ("gatewayTokenVsNginx", super::number(round3(vs_nginx))),
                ("gatewayTokenVsNginxPerRound", per_round(&paired.vs_nginx)),
                ("gatewayTokenVsDirect", super::number(round3(vs_direct))),
                ("gatewayPutVsNginx", super::number(round3(put_vs_nginx))),
                ("gatewayPutVsNginxPerRound", per_round(&paired.put_vs_nginx)),
                ("gatewayPutVsDirect", super::number(round3(put_vs_direct))),
                ("tracedVsUntraced", super::number(round3(traced_vs_not))),
                ("tracedVsUntracedPerRound", per_round(&paired.traced_vs_not)),
                ("atLeastNginx", Value::Bool(vs_nginx >= 1.0)),
                (
                    "atLeastShareOfDirect",
                    Value::Bool(vs_direct >= TARGET_VS_DIRECT),
                ),
            ]),
        ),
    ]);
    let markdown = setup::markdown([reads, writes], machine, &settings, &targets);
    super::write_results(ctx, "gateway", &crate::http::pretty(&json), &markdown)
}

/// Each round's ratio, to three decimals.
fn per_round(ratios: &[f64]) -> Value {
    Value::Array(ratios.iter().map(|r| super::number(round3(*r))).collect())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
