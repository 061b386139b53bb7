//! One row per drill, printed as a table and written to `bench/results/drill.md` and
//! `bench/results/drill.json` with the machine's description.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use super::{
    check::{Finding, Kind},
    load::{Attempt, Outcome},
};
use crate::{bench::machine::Machine, json::Json};

/// What one drill found.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// `broker`, `database`, `service`, `network`.
    pub drill: String,
    /// What was done to the suite.
    pub fault: String,
    /// Orders attempted, accepted (2xx), refused (by status) and unanswered.
    pub attempted: usize,
    /// 2xx answers.
    pub accepted: usize,
    /// Refusals by status.
    pub refused: BTreeMap<u16, usize>,
    /// Answers lost even after retrying the key.
    pub unknown: usize,
    /// Live subscribers that caught up, of all.
    pub subscribers: (usize, usize),
    /// From the end of the fault to the first order accepted after it.
    pub back_after: Option<Duration>,
    /// From the end of the fault until every invariant held.
    pub settled_after: Option<Duration>,
    /// What was wrong.
    pub findings: Vec<Finding>,
    /// Why the drill could not run to its end.
    pub error: Option<String>,
}

impl Row {
    /// Counts the attempts into the row; refusals other than 503 are findings.
    pub fn tally(&mut self, attempts: &[Attempt], restored_at: Instant) {
        self.attempted = attempts.len();
        let mut examples = std::collections::BTreeMap::new();
        for attempt in attempts {
            match &attempt.outcome {
                Outcome::Accepted(_) => self.accepted += 1,
                Outcome::Refused(status, message) => {
                    *self.refused.entry(*status).or_default() += 1;
                    examples.entry(*status).or_insert_with(|| message.clone());
                }
                Outcome::Unknown(_) => self.unknown += 1,
            }
        }
        for (status, n) in &self.refused {
            if *status != 503 {
                let example = examples.get(status).cloned().unwrap_or_default();
                self.findings.push(Finding {
                    kind: Kind::Wrong,
                    what: format!(
                        "{n} orders refused with {status} (a refusal should be 503), e.g. `{example}`"
                    ),
                });
            }
        }
        self.back_after = attempts
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Accepted(_)) && a.at > restored_at)
            .map(|a| a.at.duration_since(restored_at))
            .min();
    }

    fn count(&self, kind: Kind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// Whether nothing was lost, duplicated or wrong, and the drill ran to its end.
    pub fn passed(&self) -> bool {
        self.findings.is_empty() && self.error.is_none()
    }

    fn refused_text(&self) -> String {
        if self.refused.is_empty() {
            return "0".to_owned();
        }
        self.refused
            .iter()
            .map(|(status, n)| format!("{n}×{status}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn cells(&self) -> [String; 10] {
        let secs = |d: Option<Duration>| {
            d.map_or("—".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()))
        };
        [
            self.drill.clone(),
            self.attempted.to_string(),
            self.accepted.to_string(),
            self.refused_text(),
            self.unknown.to_string(),
            self.count(Kind::Lost).to_string(),
            format!("{}", self.count(Kind::Duplicated) + self.count(Kind::Wrong)),
            format!("{}/{}", self.subscribers.0, self.subscribers.1),
            format!("{} / {}", secs(self.back_after), secs(self.settled_after)),
            if self.passed() { "pass" } else { "FAIL" }.to_owned(),
        ]
    }
}

const HEADERS: [&str; 10] = [
    "drill",
    "orders",
    "accepted",
    "refused",
    "unanswered",
    "lost",
    "duplicated/wrong",
    "subscribers caught up",
    "back / settled after",
    "result",
];

/// The table as aligned text.
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 10]> = rows.iter().map(Row::cells).collect();
    let widths: Vec<usize> = (0..HEADERS.len())
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([HEADERS[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |items: Vec<&str>| {
        items
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(HEADERS.to_vec())];
    out.extend(
        cells
            .iter()
            .map(|c| line(c.iter().map(String::as_str).collect())),
    );
    out.join("\n") + "\n"
}

/// The findings and errors, one a line (empty when there are none).
pub fn findings(rows: &[Row]) -> Vec<String> {
    let mut lines = Vec::new();
    for row in rows {
        if let Some(error) = &row.error {
            lines.push(format!("{}: did not run to its end: {error}", row.drill));
        }
        for finding in &row.findings {
            lines.push(format!(
                "{}: {:?}: {}",
                row.drill, finding.kind, finding.what
            ));
        }
    }
    lines
}

/// `bench/results/drill.md`.
pub fn markdown(rows: &[Row], machine: &Machine, setting: &str) -> String {
    let mut md = String::from(
        "# Fault drills\n\n`cargo xtask drill` against the running suite, under a steady order load \
         (4 customers, one order a second each, every fifth cancelled at once, every sixth on \
         a product with little stock). After each fault the invariants are polled until they \
         hold: every accepted order final, no order beyond the 2xx answers (and the lost \
         ones), stock = initial − what confirmed orders hold, analytics counting each order \
         and its units once, one alert per event, and live SSE subscribers reconnecting with \
         `Last-Event-ID` seeing every change once.\n\n",
    );
    md.push_str(setting);
    md.push_str("\n\n| ");
    md.push_str(&HEADERS.join(" | "));
    md.push_str(" |\n|");
    md.push_str(&" --- |".repeat(HEADERS.len()));
    md.push('\n');
    for row in rows {
        md.push_str(&format!("| {} |\n", row.cells().join(" | ")));
    }
    md.push_str(
        "\n*back*: from the end of the fault to the first order accepted after it; \
                 *settled*: from the end of the fault until every invariant held.\n\n## Faults\n\n",
    );
    for row in rows {
        md.push_str(&format!("- **{}**: {}\n", row.drill, row.fault));
    }
    let findings = findings(rows);
    md.push_str("\n## Findings\n\n");
    if findings.is_empty() {
        md.push_str("None: nothing lost, nothing duplicated.\n");
    }
    for line in findings {
        md.push_str(&format!("- {line}\n"));
    }
    md.push_str("\n## Machine\n\n");
    md.push_str(&machine.to_markdown());
    md
}

/// `bench/results/drill.json`.
pub fn json(rows: &[Row], machine: &Machine) -> Json {
    let secs = |d: Option<Duration>| {
        d.map_or(Json::Null, |d| {
            Json::Number((d.as_secs_f64() * 10.0).round() / 10.0)
        })
    };
    let number = |n: usize| Json::Number(n as f64);
    let drills = rows
        .iter()
        .map(|row| {
            let list = |kind: Kind| {
                Json::Array(
                    row.findings
                        .iter()
                        .filter(|f| f.kind == kind)
                        .map(|f| Json::String(f.what.clone()))
                        .collect(),
                )
            };
            Json::Object(vec![
                ("drill".into(), Json::String(row.drill.clone())),
                ("fault".into(), Json::String(row.fault.clone())),
                ("ordersAttempted".into(), number(row.attempted)),
                ("accepted".into(), number(row.accepted)),
                (
                    "refused".into(),
                    Json::Object(
                        row.refused
                            .iter()
                            .map(|(s, n)| (s.to_string(), number(*n)))
                            .collect(),
                    ),
                ),
                ("unanswered".into(), number(row.unknown)),
                ("lost".into(), list(Kind::Lost)),
                ("duplicated".into(), list(Kind::Duplicated)),
                ("wrong".into(), list(Kind::Wrong)),
                ("subscribersCaughtUp".into(), number(row.subscribers.0)),
                ("subscribers".into(), number(row.subscribers.1)),
                ("backAfterSeconds".into(), secs(row.back_after)),
                ("settledAfterSeconds".into(), secs(row.settled_after)),
                (
                    "error".into(),
                    row.error.clone().map_or(Json::Null, Json::String),
                ),
                ("passed".into(), Json::Bool(row.passed())),
            ])
        })
        .collect();
    Json::Object(vec![
        ("machine".into(), machine.to_json()),
        ("drills".into(), Json::Array(drills)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_other_than_503_are_findings() {
        let now = Instant::now();
        let attempt = |outcome| Attempt { at: now, outcome };
        let mut row = Row::default();
        row.tally(
            &[
                attempt(Outcome::Accepted("a".into())),
                attempt(Outcome::Refused(503, "503 database".into())),
                attempt(Outcome::Refused(500, "500 oops".into())),
            ],
            now,
        );
        assert_eq!((row.attempted, row.accepted), (3, 1));
        assert_eq!(row.findings.len(), 1);
        assert!(row.findings[0].what.contains("500"));
    }
}
