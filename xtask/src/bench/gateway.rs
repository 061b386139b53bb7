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

mod cpu;
mod report;
mod setup;

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
/// median round, and each ratio the median of its per-round ratios. Rounds go forth and
/// back over [`ORDER`], an even number of them, so that each pair compared is measured back
/// to back, each side of it first as often as last.
const ROUNDS: usize = 6;
/// The order rows are measured in (indices into [`targets`]): each ratio's two rows side by
/// side (the bare gateway, nginx, the gateway with a token, the traced one; the writes
/// direct, through nginx, through the gateway).
const ORDER: [usize; 8] = [0, 2, 1, 3, 4, 5, 6, 7];
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
    /// The proxy's process (none when direct), and product-service's, whose CPU time is read.
    proxy: Option<u32>,
    service: u32,
}

/// The processes whose CPU time a row reads.
pub struct Pids {
    pub product: u32,
    pub traced_product: u32,
    pub gateway: u32,
    pub traced_gateway: u32,
    pub nginx: u32,
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

    let pids = setup::pids(&cleanup.started)?;
    let targets = targets(&ports, &fixture, &pids);
    let secrets = [
        fixture.customer_token.as_str(),
        fixture.admin_token.as_str(),
    ];
    let load = super::machine::load_average();
    let mut rounds: Vec<Vec<Row>> = targets.iter().map(|_| Vec::new()).collect();
    let mut cpu: Vec<Vec<cpu::Cpu>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 1..=ROUNDS {
        ctx.progress
            .step("bench", format!("round {round} of {ROUNDS}"));
        for i in turn(round) {
            let (row, used) = measure(ctx, &wrk, &targets[i], &secrets)?;
            rounds[i].push(row);
            cpu[i].push(used);
        }
    }
    let paired = Paired::of(&targets, &rounds);
    let cpu_table = cpu::table(targets.iter().map(|t| (t.key, t.label)), &cpu);
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
    report::report(ctx, &tables, &paired, &cpu_table, &machine)
}

/// What each row measures: reads direct, through nginx and through the gateway (bare, with a
/// token, traced), then the validated writes direct, through nginx and through the gateway.
fn targets(ports: &setup::Ports, fixture: &setup::Fixture, pids: &Pids) -> [Target; 8] {
    let id = &fixture.product_id;
    let bearer = |token: &str| vec![format!("Authorization: Bearer {token}")];
    let (customer, admin) = (
        bearer(&fixture.customer_token),
        bearer(&fixture.admin_token),
    );
    // Who serves the row: the port asked, the proxy's process (none when direct) and the
    // product-service behind it.
    let direct = (ports.product, None, pids.product);
    let nginx = (ports.nginx, Some(pids.nginx), pids.product);
    let gateway = (ports.gateway, Some(pids.gateway), pids.product);
    let traced = (
        ports.traced_gateway,
        Some(pids.traced_gateway),
        pids.traced_product,
    );
    let target = |key, label, (port, proxy, service): (u16, Option<u32>, u32), headers, body| {
        let prefix = if proxy.is_some() { "/api" } else { "" };
        Target {
            key,
            label,
            url: format!("http://127.0.0.1:{port}{prefix}/products/{id}"),
            headers,
            body,
            proxy,
            service,
        }
    };
    let write = |key, label, via| {
        target(
            key,
            label,
            via,
            admin.clone(),
            Some(fixture.product.clone()),
        )
    };
    [
        target("direct", "product-service, direct", direct, vec![], None),
        target("nginx", "nginx → product-service", nginx, vec![], None),
        target(
            "gateway",
            "gateway → product-service",
            gateway,
            vec![],
            None,
        ),
        target(
            "gateway-token",
            "gateway + customer token → product-service",
            gateway,
            customer.clone(),
            None,
        ),
        target(
            TRACED,
            "the same, gateway and product-service traced (OTLP export on)",
            traced,
            customer,
            None,
        ),
        write(WRITES[0], "product-service, direct", direct),
        write(WRITES[1], "nginx → product-service", nginx),
        write(WRITES[2], "gateway → product-service", gateway),
    ]
}

/// The order of the rows in round `round` (from 1): [`ORDER`] forth in odd rounds, back in
/// even ones.
fn turn(round: usize) -> impl Iterator<Item = usize> {
    let back = round.is_multiple_of(2);
    (0..ORDER.len()).map(move |k| ORDER[if back { ORDER.len() - 1 - k } else { k }])
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
pub(super) fn median_of(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// A warm-up, then the measured run.
fn measure(
    ctx: &Ctx,
    wrk: &std::path::Path,
    target: &Target,
    secrets: &[&str],
) -> Result<(Row, cpu::Cpu)> {
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
    let proxy_before = target.proxy.map(cpu::used_ns);
    let service_before = cpu::used_ns(target.service);
    let report = run_wrk(ctx, wrk, target.key, &load(MEASURE), secrets)?;
    let requests = report.requests.max(1) as f64;
    let per_request =
        |before: u64, pid: u32| cpu::used_ns(pid).saturating_sub(before) as f64 / requests / 1000.0;
    let used = cpu::Cpu {
        proxy: target
            .proxy
            .zip(proxy_before)
            .map(|(pid, before)| per_request(before, pid)),
        service: per_request(service_before, target.service),
    };
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
    let row = Row {
        key: target.key.to_owned(),
        label: target.label.to_owned(),
        request: format!("{method} {request}{auth}"),
        report,
    };
    Ok((row, used))
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

#[cfg(test)]
mod tests;
