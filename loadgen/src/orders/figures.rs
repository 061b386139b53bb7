//! A run's figures: each stage's JSON (and whether it was sustained), the paths' stages
//! side by side, the progress line, and the machine's load average.

use std::time::Instant;

use serde_json::{Value, json};

use super::{MAX_ERROR_SHARE, MAX_EVENT_P99_MS, MIN_ACHIEVED, MIN_FINISHED, Notes, PathRun};
use crate::stats::{Summary, round3};

pub(super) fn figures(runs: &[PathRun]) -> Value {
    let by_path: serde_json::Map<String, Value> = runs
        .iter()
        .map(|r| {
            (
                r.path.name().to_owned(),
                json!({ "stages": r.stages, "topSustained": r.top }),
            )
        })
        .collect();
    let first = runs.first();
    json!({
        "paths": runs.iter().map(|r| r.path.name()).collect::<Vec<_>>(),
        "byPath": by_path,
        "stages": first.map_or(Vec::new(), |r| r.stages.clone()),
        "topSustained": first.and_then(|r| r.top.clone()),
    })
}

/// The progress line of a stage.
pub(super) fn stage_line(stage: &Value) -> String {
    let placing = stage["placing"].as_str().unwrap_or("order");
    format!(
        "{} {}/s offered: {} placed/s, {placing} p99 {} ms, event-to-client p99 {} ms, \
         load {}, {}",
        stage["path"].as_str().unwrap_or("?"),
        stage["offeredPerSec"],
        stage["ordersPerSec"],
        stage["latencyMs"][placing]["p99"],
        stage["eventToClientMs"]["p99"],
        stage["loadAverage"]["start"],
        if stage["sustained"] == true {
            "sustained"
        } else {
            "NOT sustained"
        }
    )
}

/// The 1-, 5- and 15-minute load averages of `/proc/loadavg`, when it can be read.
pub(super) fn load_average() -> Option<[f64; 3]> {
    parse_load_average(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// The first three numbers of a `/proc/loadavg` line.
pub(super) fn parse_load_average(line: &str) -> Option<[f64; 3]> {
    let mut numbers = line.split_whitespace().map(str::parse::<f64>);
    let mut next = || numbers.next()?.ok();
    Some([next()?, next()?, next()?])
}

pub(super) fn stage_json(
    notes: &Notes,
    rate: f64,
    count: usize,
    stage_secs: f64,
    start: Instant,
) -> Value {
    let seconds = notes.last_order.map_or(stage_secs, |last| {
        last.duration_since(start).as_secs_f64().max(stage_secs)
    });
    let per_sec = notes.orders_ok as f64 / seconds;
    let errors: usize = notes.errors.values().sum();
    let error_share = errors as f64 / notes.requests.max(1) as f64;
    let finished_share = notes.streams_finished as f64 / notes.streams_opened.max(1) as f64;
    let events = Summary::of(&notes.events);
    let sustained = per_sec >= MIN_ACHIEVED * rate
        && error_share <= MAX_ERROR_SHARE
        && notes.skipped == 0
        && finished_share >= MIN_FINISHED
        && events.p99 < MAX_EVENT_P99_MS;
    let latencies: serde_json::Map<String, Value> = notes
        .latencies
        .iter()
        .map(|(kind, samples)| ((*kind).to_owned(), Summary::of(samples).to_json()))
        .collect();
    json!({
        "offeredPerSec": rate,
        "sessions": count,
        "ordersOk": notes.orders_ok,
        "ordersPerSec": round3(per_sec),
        "seconds": round3(seconds),
        "sustained": sustained,
        "requests": notes.requests,
        "errors": notes.errors,
        "firstError": notes.first_error,
        "skipped": notes.skipped,
        "latencyMs": latencies,
        "eventToClientMs": events.to_json(),
        "streams": { "opened": notes.streams_opened, "finished": notes.streams_finished },
    })
}
