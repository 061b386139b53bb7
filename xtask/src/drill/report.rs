//! One row per drill — as `loadgen drill` reported it — printed as a table and written to
//! `bench/results/drill.md` (`drill.json` holds the rows as they are, with the machine).

use serde_json::{Value, json};

use crate::bench::machine::Machine;

/// Whether nothing was lost, duplicated or wrong, and the drill ran to its end.
pub fn passed(row: &Value) -> bool {
    row["passed"] == true
}

/// The findings of one kind (`lost`, `duplicated`, `wrong`).
fn list<'a>(row: &'a Value, kind: &str) -> impl Iterator<Item = &'a str> {
    row[kind]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

fn count(row: &Value, key: &str) -> String {
    row[key].as_u64().unwrap_or(0).to_string()
}

fn refused(row: &Value) -> String {
    let refused: Vec<String> = row["refused"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, n)| format!("{n}×{status}"))
        .collect();
    if refused.is_empty() {
        "0".to_owned()
    } else {
        refused.join(", ")
    }
}

/// When and where a row was measured: its run's date, commit and load average.
fn run_of(row: &Value) -> String {
    let run = &row["run"];
    match run["date"].as_str() {
        Some(date) => format!(
            "{} ({}; load {})",
            date.split('T').next().unwrap_or(date),
            run["commit"].as_str().unwrap_or("?"),
            run["loadBefore"].as_str().unwrap_or("?")
        ),
        None => "—".to_owned(),
    }
}

/// This run's rows, each marked with `machine`'s date, commit and load and `setting`, in
/// front of the rows of the drills it did not run, kept from the report before (`previous`,
/// the last `drill.json`; rows written before rows were marked take its machine's marks): one
/// `cargo xtask drill poison` does not wipe out the last `broker` figures.
pub fn merge(previous: &Value, rows: Vec<Value>, machine: &Value, setting: &str) -> Vec<Value> {
    let mark = |machine: &Value, setting: Option<&str>| {
        json!({ "date": machine["date"], "commit": machine["commit"],
                "loadBefore": machine["loadBefore"], "setting": setting })
    };
    let mut merged: Vec<Value> = rows
        .into_iter()
        .map(|mut row| {
            row["run"] = mark(machine, Some(setting));
            row
        })
        .collect();
    for old in previous["drills"].as_array().into_iter().flatten() {
        if merged.iter().any(|r| r["drill"] == old["drill"]) {
            continue;
        }
        let mut old = old.clone();
        if old["run"].is_null() {
            old["run"] = mark(&previous["machine"], None);
        }
        merged.push(old);
    }
    let order = |row: &Value| {
        super::ALL
            .iter()
            .position(|k| row["drill"].as_str() == Some(k.name()))
            .unwrap_or(usize::MAX)
    };
    merged.sort_by_key(order);
    merged
}

fn cells(row: &Value) -> [String; 10] {
    let secs = |key: &str| {
        row[key]
            .as_f64()
            .map_or("—".to_owned(), |s| format!("{s:.1} s"))
    };
    [
        row["drill"].as_str().unwrap_or("?").to_owned(),
        count(row, "ordersAttempted"),
        count(row, "accepted"),
        refused(row),
        count(row, "unanswered"),
        list(row, "lost").count().to_string(),
        (list(row, "duplicated").count() + list(row, "wrong").count()).to_string(),
        format!(
            "{}/{}",
            count(row, "subscribersCaughtUp"),
            count(row, "subscribers")
        ),
        format!(
            "{} / {}",
            secs("backAfterSeconds"),
            secs("settledAfterSeconds")
        ),
        if passed(row) { "pass" } else { "FAIL" }.to_owned(),
    ]
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
pub fn table(rows: &[Value]) -> String {
    let cells: Vec<[String; 10]> = rows.iter().map(cells).collect();
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
pub fn findings(rows: &[Value]) -> Vec<String> {
    let mut lines = Vec::new();
    for row in rows {
        let drill = row["drill"].as_str().unwrap_or("?");
        if let Some(error) = row["error"].as_str() {
            lines.push(format!("{drill}: did not run to its end: {error}"));
        }
        for (kind, name) in [
            ("lost", "Lost"),
            ("duplicated", "Duplicated"),
            ("wrong", "Wrong"),
        ] {
            lines.extend(list(row, kind).map(|what| format!("{drill}: {name}: {what}")));
        }
    }
    lines
}

/// `bench/results/drill.md`.
pub fn markdown(rows: &[Value], machine: &Machine, setting: &str) -> String {
    let mut md = String::from(
        "# Fault drills\n\n`cargo xtask drill` against the running suite, under a steady order load \
         (`loadgen drill`: 4 customers, one order a second each, every fifth cancelled at once, \
         every sixth on a product with little stock). After each fault the invariants are \
         polled until they hold: every accepted order final, no order beyond the 2xx answers \
         (and the lost ones), stock = initial − what confirmed orders hold, analytics counting \
         each order and its units once, one alert per event, and live SSE subscribers \
         reconnecting with `Last-Event-ID` seeing every change once.\n\n",
    );
    md.push_str(setting);
    md.push_str(
        " Rows of drills this run did not repeat are kept from earlier runs, each with its \
         own date, commit and load average (*run*).",
    );
    md.push_str("\n\n| ");
    md.push_str(&HEADERS.join(" | "));
    md.push_str(" | run |\n|");
    md.push_str(&" --- |".repeat(HEADERS.len() + 1));
    md.push('\n');
    for row in rows {
        md.push_str(&format!(
            "| {} | {} |\n",
            cells(row).join(" | "),
            run_of(row)
        ));
    }
    md.push_str(
        "\n*back*: from the end of the fault to the first order accepted after it; \
                 *settled*: from the end of the fault until every invariant held.\n\n## Faults\n\n",
    );
    for row in rows {
        let drill = row["drill"].as_str().unwrap_or("?");
        let fault = row["fault"].as_str().unwrap_or("(did not happen)");
        md.push_str(&format!("- **{drill}**: {fault}\n"));
    }
    let findings = findings(rows);
    md.push_str("\n## Findings\n\n");
    if findings.is_empty() {
        md.push_str("None: nothing lost, nothing duplicated.\n");
    }
    for line in findings {
        md.push_str(&format!("- {line}\n"));
    }
    md.push_str("\n## Machine (this run)\n\n");
    md.push_str(&machine.to_markdown());
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_replaces_its_own_drills_rows_and_keeps_the_others_with_their_marks() {
        let before = json!({
            "machine": {"date": "2026-11-25T15:06:36Z", "commit": "7d54c57", "loadBefore": "4.38"},
            "drills": [{"drill": "broker", "passed": true}, {"drill": "poison", "passed": false}]
        });
        let machine =
            json!({"date": "2026-12-06T08:00:00Z", "commit": "abc1234", "loadBefore": "30.1"});
        let rows = vec![json!({"drill": "poison", "passed": true})];
        let merged = merge(&before, rows, &machine, "started by xtask");
        let names: Vec<&str> = merged.iter().filter_map(|r| r["drill"].as_str()).collect();
        assert_eq!(names, ["broker", "poison"]);
        assert_eq!(merged[1]["passed"], true);
        assert_eq!(run_of(&merged[1]), "2026-12-06 (abc1234; load 30.1)");
        assert_eq!(run_of(&merged[0]), "2026-11-25 (7d54c57; load 4.38)");
        assert_eq!(merged[0]["run"]["setting"], Value::Null);
        // A second merge keeps the marks the first gave.
        let again = merge(
            &json!({"machine": machine, "drills": merged}),
            Vec::new(),
            &machine,
            "x",
        );
        assert_eq!(run_of(&again[0]), "2026-11-25 (7d54c57; load 4.38)");
    }

    #[test]
    fn a_row_is_read_into_its_cells_and_findings() {
        let row = json!({"drill": "broker", "ordersAttempted": 40, "accepted": 38,
            "refused": {"503": 2}, "unanswered": 0, "lost": [], "duplicated": [],
            "wrong": ["1 orders refused with 500"], "subscribersCaughtUp": 6,
            "subscribers": 6, "backAfterSeconds": 1.25, "settledAfterSeconds": null,
            "error": null, "passed": false});
        assert_eq!(
            cells(&row),
            [
                "broker",
                "40",
                "38",
                "2×503",
                "0",
                "0",
                "1",
                "6/6",
                "1.2 s / —",
                "FAIL"
            ]
            .map(str::to_owned)
        );
        assert_eq!(
            findings(&[row]),
            ["broker: Wrong: 1 orders refused with 500"]
        );
        let error = json!({"drill": "network", "error": "no proxy", "passed": false});
        assert_eq!(
            findings(&[error]),
            ["network: did not run to its end: no proxy"]
        );
    }
}
