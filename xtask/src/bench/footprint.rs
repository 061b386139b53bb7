//! `cargo xtask bench footprint`: each of the seven services' resident memory (`VmRSS` of
//! `/proc/<pid>/status`) idle and after an orders load, and its start-up time to healthy
//! (issue 9's target: under 20 MiB idle per service).
//!
//! The suite starts as the `orders` benchmark starts it ([`super::stack::suite`]: release
//! builds, spare ports, this run's databases), one service after another, each timed from
//! its start until `/health` answers. Idle is read after the last one is healthy and a
//! few seconds of quiet; then `loadgen orders` runs one stage of the orders mix, and the
//! memory is read again, with the peak (`VmHWM`) beside it.

use serde_json::Value;

use std::time::Duration;

use anyhow::Result;

use super::{
    machine::{self, Machine},
    orders,
    stack::{self, suite},
    table::{Grid, ms, size, verdict},
};
use crate::ctx::Ctx;

/// Issue 9: resident memory of an idle service.
pub const TARGET_IDLE_BYTES: f64 = 20.0 * 1024.0 * 1024.0;
/// Quiet between the last start and the idle reading: start-up work (topology, admin
/// account, first relay passes) is done.
const SETTLE: Duration = Duration::from_secs(3);
/// The load: one stage at this rate.
const LOAD_RATE: f64 = 10.0;
/// Its length.
const LOAD_SECS: u32 = 15;

/// One service's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Binary name.
    pub name: String,
    /// Start to healthy, in milliseconds.
    pub startup_ms: f64,
    /// `VmRSS` idle, KiB.
    pub idle_kib: Option<u64>,
    /// Of which anonymous (heap, stacks) and file-backed (the binary's pages), KiB.
    pub idle_split_kib: (Option<u64>, Option<u64>),
    /// `VmRSS` after the load, KiB.
    pub after_kib: Option<u64>,
    /// `VmHWM` after the load, KiB.
    pub peak_kib: Option<u64>,
}

impl Figures {
    fn met(&self) -> bool {
        self.idle_kib
            .is_some_and(|kib| (kib as f64) * 1024.0 < TARGET_IDLE_BYTES)
    }
}

/// Builds, starts, measures, writes `bench/results/footprint.{json,md}`; stops what it
/// started.
pub fn run(ctx: &Ctx) -> Result<()> {
    let (mut cleanup, urls) = stack::begin(ctx, &suite::PACKAGES)?;
    let run = stack::run_id();
    let load = machine::load_average();
    let shop = suite::start(ctx, &mut cleanup.started, &urls, "footprint", &run)?;
    ctx.progress.step(
        "footprint",
        format!(
            "all healthy; {} s of quiet before reading memory",
            SETTLE.as_secs()
        ),
    );
    std::thread::sleep(SETTLE);
    let idle: Vec<_> = shop
        .members
        .iter()
        .map(|m| {
            let read = |field| stack::vm_kib(m.pid, field);
            (read("VmRSS"), (read("RssAnon"), read("RssFile")))
        })
        .collect();
    let args = orders::loadgen_args(&shop.gateway_url(), &run, &[LOAD_RATE], LOAD_SECS)?;
    let load_figures = stack::loadgen(ctx, "footprint", &args)?;
    let figures: Vec<Figures> = shop
        .members
        .iter()
        .zip(idle)
        .map(|(m, (idle_kib, idle_split_kib))| Figures {
            name: m.name.to_owned(),
            startup_ms: m.startup.as_secs_f64() * 1000.0,
            idle_kib,
            idle_split_kib,
            after_kib: stack::vm_kib(m.pid, "VmRSS"),
            peak_kib: stack::vm_kib(m.pid, "VmHWM"),
        })
        .collect();
    drop(cleanup);

    let placed = load_figures
        .pointer("/stages")
        .and_then(Value::as_array)
        .and_then(|stages| stages.first())
        .and_then(|s| s.get("ordersOk"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let machine = Machine::describe(ctx, Vec::new(), load);
    report(ctx, &figures, placed, &machine)
}

fn kib(k: Option<u64>) -> String {
    size(k.map(|k| k as f64 * 1024.0))
}

fn grid(figures: &[Figures]) -> Grid {
    let mut grid = Grid::new(&[
        "service",
        "start-up to healthy",
        "idle RSS",
        "anon / file",
        "after load",
        "peak",
        "idle < 20 MiB",
    ]);
    for f in figures {
        grid.rows.push(vec![
            f.name.clone(),
            ms(Some(f.startup_ms)),
            kib(f.idle_kib),
            format!("{} / {}", kib(f.idle_split_kib.0), kib(f.idle_split_kib.1)),
            kib(f.after_kib),
            kib(f.peak_kib),
            verdict(f.met()).to_owned(),
        ]);
    }
    grid
}

/// The target line and whether every service meets it.
pub fn verdict_line(figures: &[Figures]) -> (String, bool) {
    let missed: Vec<&str> = figures
        .iter()
        .filter(|f| !f.met())
        .map(|f| f.name.as_str())
        .collect();
    let met = missed.is_empty() && !figures.is_empty();
    let line = if met {
        format!(
            "every service under 20 MiB idle (target: {})",
            verdict(true)
        )
    } else {
        format!(
            "over 20 MiB idle: {} (target < 20 MiB idle per service: {})",
            missed.join(", "),
            verdict(false)
        )
    };
    (line, met)
}

fn settings(placed: f64) -> String {
    format!(
        "the seven services as release builds (`RUST_LOG={}`), started one after another, \
         customer-service first and the gateway last, each timed from its start until \
         `/health` answers (polled every 10 ms); idle = `VmRSS` {} s after the last was \
         healthy, split into anonymous memory (heap, stacks) and file-backed pages (mostly \
         the binary's own code, shared with any other copy running); after load = `VmRSS` (and the peak, `VmHWM`) after one {LOAD_SECS} s stage \
         of the `orders` mix at {LOAD_RATE} orders/s offered through the gateway ({placed:.0} \
         orders placed and followed to delivery)",
        suite::LOG_LEVEL,
        SETTLE.as_secs()
    )
}

/// Prints the table and the target, writes the JSON and Markdown files.
fn report(ctx: &Ctx, figures: &[Figures], placed: f64, machine: &Machine) -> Result<()> {
    let (line, met) = verdict_line(figures);
    let grid = grid(figures);
    println!();
    print!("{}", grid.render_text());
    println!("{line}");
    let opt = |k: Option<u64>| k.map_or(Value::Null, Value::from);
    let services = figures
        .iter()
        .map(|f| {
            Value::from_iter(vec![
                ("service", Value::String(f.name.clone())),
                (
                    "startupMs",
                    super::number((f.startup_ms * 10.0).round() / 10.0),
                ),
                ("idleRssKiB", opt(f.idle_kib)),
                ("idleRssAnonKiB", opt(f.idle_split_kib.0)),
                ("idleRssFileKiB", opt(f.idle_split_kib.1)),
                ("afterLoadRssKiB", opt(f.after_kib)),
                ("peakRssKiB", opt(f.peak_kib)),
                ("idleMet", Value::Bool(f.met())),
            ])
        })
        .collect();
    let json = Value::from_iter(vec![
        ("benchmark", Value::String("footprint".into())),
        ("machine", machine.to_json()),
        ("settings", Value::String(settings(placed))),
        ("results", Value::Array(services)),
        (
            "targets",
            Value::from_iter(vec![
                ("idleRssUnderBytes", super::number(TARGET_IDLE_BYTES)),
                ("met", Value::Bool(met)),
            ]),
        ),
    ]);
    let markdown = format!(
        "# Benchmark: footprint of the seven services\n\n`cargo xtask bench footprint`: {}.\n\n\
         {}\n{line}.\n\n## Machine\n\n{}",
        settings(placed),
        grid.render_markdown(),
        machine.to_markdown()
    );
    super::write_results(ctx, "footprint", &crate::http::pretty(&json), &markdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, idle_mib: u64) -> Figures {
        Figures {
            name: name.to_owned(),
            startup_ms: 312.5,
            idle_kib: Some(idle_mib * 1024),
            idle_split_kib: (Some(idle_mib * 512), Some(idle_mib * 512)),
            after_kib: Some(idle_mib * 1024 + 512),
            peak_kib: None,
        }
    }

    #[test]
    fn every_service_must_stay_under_the_idle_target() {
        let (line, met) = verdict_line(&[service("gateway", 12), service("order-service", 19)]);
        assert!(met, "{line}");
        let (line, met) = verdict_line(&[service("gateway", 12), service("order-service", 20)]);
        assert!(
            !met && line.contains("order-service") && line.contains("MISSED"),
            "{line}"
        );
        assert!(!verdict_line(&[]).1);
    }

    #[test]
    fn each_service_is_a_row() {
        let grid = grid(&[service("gateway", 12)]);
        assert_eq!(
            grid.rows[0],
            [
                "gateway",
                "312.50 ms",
                "12.0 MiB",
                "6.0 MiB / 6.0 MiB",
                "12.5 MiB",
                "-",
                "met"
            ]
        );
    }
}
