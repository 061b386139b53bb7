//! `cargo xtask bench relay`: the outbox relay's events/s draining a backlog against the same
//! broker's pipelined-confirm ceiling, both measured in the same run by `loadgen relay`
//! (issue 22; target: the relay reaches at least half the ceiling).
//!
//! The ratio is what counts: on a machine shared with other work both figures move, the
//! ratio much less, since both go through the same broker at about the same time (the ceiling
//! is measured before and after the relay and the higher one is used).

use anyhow::Result;
use serde_json::Value;

use super::{
    machine::{self, Machine},
    pointer, stack,
    table::{Grid, verdict},
};
use crate::ctx::Ctx;

/// Pending events in the backlog.
const EVENTS: u32 = 20_000;
/// Documents holding them (ten events each).
const DOCUMENTS: u32 = 2_000;
/// Issue 22: the relay's events/s at least this share of the broker's ceiling.
pub const TARGET_RATIO: f64 = 0.5;

/// Builds, measures, writes `bench/results/relay.{json,md}`.
pub fn run(ctx: &Ctx) -> Result<()> {
    let (cleanup, urls) = stack::begin(ctx, &["loadgen"])?;
    let run = stack::run_id();
    let load = machine::load_average();
    let args: Vec<String> = [
        "relay",
        "--mongodb",
        &urls.mongodb,
        "--amqp",
        &urls.amqp,
        "--run",
        &run,
        "--events",
        &EVENTS.to_string(),
        "--documents",
        &DOCUMENTS.to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    let figures = stack::loadgen(ctx, "relay", &args)?;
    drop(cleanup);
    let machine = Machine::describe(ctx, Vec::new(), load);
    report(ctx, &figures, &machine)
}

/// The target line and whether it is met.
pub fn verdict_of(figures: &Value) -> (String, bool) {
    let n = |path: &[&str]| figures.pointer(&pointer(path)).and_then(Value::as_f64);
    match (n(&["relay", "perSec"]), n(&["ratio"])) {
        (Some(relay), Some(ratio)) => {
            let met = ratio >= TARGET_RATIO;
            (
                format!(
                    "relay {relay:.0} events/s, {ratio:.2} of the broker's ceiling (target ≥ \
                     {TARGET_RATIO}: {})",
                    verdict(met)
                ),
                met,
            )
        }
        _ => (
            format!("no figures from the relay (target ≥ {TARGET_RATIO}: MISSED)"),
            false,
        ),
    }
}

fn grid(figures: &Value) -> Grid {
    let n = |path: &[&str]| figures.pointer(&pointer(path)).and_then(Value::as_f64);
    let whole = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |x| format!("{x:.0}"));
    let mut grid = Grid::new(&["publisher", "events/s", "seconds", "of the ceiling"]);
    let events = n(&["events"]);
    for (name, key) in [
        ("plain lapin, before", "before"),
        ("plain lapin, after", "after"),
    ] {
        let per_sec = n(&["ceilingPerSec", key]);
        grid.rows.push(vec![
            name.to_owned(),
            whole(per_sec),
            events
                .zip(per_sec)
                .map_or_else(|| "-".to_owned(), |(e, r)| format!("{:.2}", e / r)),
            "-".to_owned(),
        ]);
    }
    grid.rows.push(vec![
        "outbox relay".to_owned(),
        whole(n(&["relay", "perSec"])),
        n(&["relay", "seconds"]).map_or_else(|| "-".to_owned(), |s| format!("{s:.2}")),
        n(&["ratio"]).map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
    ]);
    grid
}

fn settings() -> String {
    format!(
        "`loadgen relay` (release build): {EVENTS} pending events in {DOCUMENTS} documents \
         (written as the services stage them), drained by one outbox relay (pages of 500 \
         documents, at most 16 events of a document a pass, each round's confirms in flight \
         together, one update command per pass marking them sent), timed from its start until \
         no document has an event pending; against a plain lapin publisher sending the same \
         number of messages of the same size with every confirm in flight together, to the \
         same exchange and routing key (so the same queues), measured before and after the \
         relay, the higher one counting. Persistent messages, `mandatory`"
    )
}

/// Prints the table and the target, writes the JSON and Markdown files.
fn report(ctx: &Ctx, figures: &Value, machine: &Machine) -> Result<()> {
    let (line, met) = verdict_of(figures);
    let grid = grid(figures);
    println!();
    print!("{}", grid.render_text());
    println!("{line}");
    let json = Value::from_iter(vec![
        ("benchmark", Value::String("relay".into())),
        ("machine", machine.to_json()),
        ("settings", Value::String(settings())),
        ("results", figures.clone()),
        (
            "targets",
            Value::from_iter(vec![
                ("ratioAtLeast", super::number(TARGET_RATIO)),
                ("met", Value::Bool(met)),
            ]),
        ),
    ]);
    let markdown = format!(
        "# Benchmark: the outbox relay against the broker's ceiling\n\n`cargo xtask bench \
         relay`: {}.\n\n{}\n{line}.\n\nMeasured on a machine shared with other work (see the \
         load average below): both figures move with it, their ratio much less.\n\n## \
         Machine\n\n{}",
        settings(),
        grid.render_markdown(),
        machine.to_markdown()
    );
    super::write_results(ctx, "relay", &crate::http::pretty(&json), &markdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(ratio: f64) -> Value {
        serde_json::json!({
            "events": 20000, "documents": 2000, "messageBytes": 270,
            "ceilingPerSec": { "before": 10000.0, "after": 8000.0 },
            "relay": { "seconds": 4.0, "perSec": 5000.0 },
            "ratio": ratio,
        })
    }

    #[test]
    fn the_target_is_the_relays_share_of_the_ceiling() {
        let (line, met) = verdict_of(&figures(0.5));
        assert!(met, "{line}");
        assert!(
            line.contains("0.50 of the broker's ceiling") && line.contains("met"),
            "{line}"
        );
        let (line, met) = verdict_of(&figures(0.3));
        assert!(!met && line.contains("MISSED"), "{line}");
        let (line, met) = verdict_of(&serde_json::json!({}));
        assert!(!met && line.contains("MISSED"), "{line}");
    }

    #[test]
    fn each_publisher_is_a_row() {
        let grid = grid(&figures(0.5));
        assert_eq!(grid.rows.len(), 3);
        assert_eq!(grid.rows[0][1], "10000");
        assert_eq!(grid.rows[0][2], "2.00");
        assert_eq!(grid.rows[2], ["outbox relay", "5000", "4.00", "0.50"]);
    }
}
