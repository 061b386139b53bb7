//! What a run of `cargo xtask bench orders` says about its targets: issue 9's on the direct
//! path and issue 22's goal on each path.

use serde_json::Value;

use super::super::{
    pointer,
    table::{ms, verdict},
};
use super::{GOAL_EVENT_P99_MS, GOAL_RATE, PATHS, TARGET_EVENT_P99_MS};

/// What the run says about a target.
pub struct Verdict {
    /// The highest rate sustained, orders/s placed there, and its event-to-client p99.
    pub top: Option<(f64, f64, f64)>,
    /// The target line.
    pub line: String,
    /// Whether the target is met.
    pub met: bool,
}

/// The stages of `path` (`direct`, `shop`); a run of one path has them at the top.
pub(super) fn stages<'a>(figures: &'a Value, path: &str) -> &'a [Value] {
    let at = |pointer: &str| figures.pointer(pointer).and_then(Value::as_array);
    at(&format!("/byPath/{path}/stages"))
        .or_else(|| (path == PATHS[0]).then(|| at("/stages")).flatten())
        .map_or(&[][..], Vec::as_slice)
}

/// The top sustained stage of `path`: its rate, placed/s and event-to-client p99.
pub(super) fn top_of(figures: &Value, path: &str) -> Option<(f64, f64, f64)> {
    let top = figures
        .pointer(&format!("/byPath/{path}/topSustained"))
        .or_else(|| {
            (path == PATHS[0])
                .then(|| figures.get("topSustained"))
                .flatten()
        })
        .filter(|t| **t != Value::Null)?;
    let number = |path: &[&str]| top.pointer(&pointer(path)).and_then(Value::as_f64);
    Some((
        number(&["offeredPerSec"])?,
        number(&["ordersPerSec"])?,
        number(&["eventToClientMs", "p99"])?,
    ))
}

/// Issue 9's target, on the direct path: event-to-client p99 < 20 ms at the top rate.
pub fn verdict_of(figures: &Value) -> Verdict {
    let top = top_of(figures, PATHS[0]);
    let (line, met) = match top {
        Some((rate, placed, p99)) => {
            let met = p99 < TARGET_EVENT_P99_MS;
            (
                format!(
                    "direct: top sustained rate {rate:.0} orders/s offered ({placed:.1} placed/s); \
                     event-to-client p99 there {} (target < {TARGET_EVENT_P99_MS:.0} ms: {})",
                    ms(Some(p99)),
                    verdict(met)
                ),
                met,
            )
        }
        None => (
            format!(
                "no rate was sustained, not even the first (target: event-to-client p99 < \
                 {TARGET_EVENT_P99_MS:.0} ms at the top rate: MISSED)"
            ),
            false,
        ),
    };
    Verdict { top, line, met }
}

/// Issue 22's goal on `path`: `GOAL_RATE` orders/s sustained with event-to-client p99 under
/// `GOAL_EVENT_P99_MS`.
pub fn goal_of(figures: &Value, path: &str) -> Verdict {
    let at_goal = stages(figures, path).iter().find(|s| {
        s.get("offeredPerSec")
            .and_then(Value::as_f64)
            .is_some_and(|r| r >= GOAL_RATE)
    });
    let n = |stage: &Value, path: &[&str]| stage.pointer(&pointer(path)).and_then(Value::as_f64);
    let top = at_goal.and_then(|s| {
        Some((
            n(s, &["offeredPerSec"])?,
            n(s, &["ordersPerSec"])?,
            n(s, &["eventToClientMs", "p99"])?,
        ))
    });
    let sustained = at_goal.is_some_and(|s| s.get("sustained") == Some(&Value::Bool(true)));
    let (line, met) = match (at_goal, top) {
        (Some(_), Some((rate, placed, p99))) => {
            let met = sustained && p99 < GOAL_EVENT_P99_MS;
            (
                format!(
                    "{path}: at {rate:.0}/s offered {placed:.1} placed/s ({}), event-to-client \
                     p99 {} (target {GOAL_RATE:.0} orders/s sustained with event-to-client p99 \
                     < {GOAL_EVENT_P99_MS:.0} ms: {})",
                    if sustained {
                        "sustained"
                    } else {
                        "not sustained"
                    },
                    ms(Some(p99)),
                    verdict(met)
                ),
                met,
            )
        }
        _ => {
            let reached = top_of(figures, path).map_or_else(
                || "no rate sustained".to_owned(),
                |(rate, _, p99)| {
                    format!(
                        "top sustained {rate:.0}/s, event-to-client p99 {}",
                        ms(Some(p99))
                    )
                },
            );
            (
                format!(
                    "{path}: {GOAL_RATE:.0}/s not reached ({reached}) (target {GOAL_RATE:.0} \
                     orders/s sustained with event-to-client p99 < {GOAL_EVENT_P99_MS:.0} ms: \
                     MISSED)"
                ),
                false,
            )
        }
    };
    Verdict { top, line, met }
}

/// The targets as JSON.
pub(super) fn targets_json(verdict: &Verdict, goal: &Verdict) -> Value {
    let or_null = |x: Option<f64>| x.map_or(Value::Null, super::super::number);
    Value::from_iter(vec![
        (
            "eventToClientP99UnderMs",
            super::super::number(TARGET_EVENT_P99_MS),
        ),
        ("topSustainedPerSec", or_null(verdict.top.map(|t| t.0))),
        ("eventToClientP99Ms", or_null(verdict.top.map(|t| t.2))),
        ("met", Value::Bool(verdict.met)),
        (
            "issue22",
            Value::from_iter(vec![
                ("sustainedPerSec", super::super::number(GOAL_RATE)),
                (
                    "eventToClientP99UnderMs",
                    super::super::number(GOAL_EVENT_P99_MS),
                ),
                ("placedPerSec", or_null(goal.top.map(|t| t.1))),
                ("eventToClientP99Ms", or_null(goal.top.map(|t| t.2))),
                ("met", Value::Bool(goal.met)),
            ]),
        ),
    ])
}
