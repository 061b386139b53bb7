//! `cargo xtask bench all`: every benchmark in turn — gateway, orders, streams, footprint,
//! assistant, search, relay — then one summary: how each went and every target it reports, as met or
//! MISSED. A benchmark that fails does not stop the others; the command fails at the end.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use super::Name;
use crate::ctx::Ctx;

/// The order they run in: the cheap one first, the whole shop's in the middle.
pub const ORDER: [(Name, &str); 7] = [
    (Name::Gateway, "gateway"),
    (Name::Orders, "orders"),
    (Name::Streams, "streams"),
    (Name::Footprint, "footprint"),
    (Name::Assistant, "assistant"),
    (Name::Search, "search"),
    (Name::Relay, "relay"),
];

/// How one benchmark went.
struct Outcome {
    name: &'static str,
    took: Duration,
    /// Its target lines, or why it failed.
    result: Result<Vec<String>, String>,
}

/// Runs them all, prints the summary; fails when any failed.
pub fn run(ctx: &Ctx) -> Result<()> {
    let mut outcomes = Vec::new();
    for (which, name) in ORDER {
        ctx.progress.step("bench all", format!("=== {name} ==="));
        let begun = Instant::now();
        let result = match super::run(ctx, which) {
            Ok(()) => Ok(target_lines(ctx, name)),
            Err(error) => {
                eprintln!("error: bench {name}: {error:#}");
                Err(format!("{error:#}"))
            }
        };
        outcomes.push(Outcome {
            name,
            took: begun.elapsed(),
            result,
        });
    }
    let summary = summary(&outcomes);
    println!("\n{summary}");
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.result.is_err())
        .map(|o| o.name)
        .collect();
    if !failed.is_empty() {
        bail!("these benchmarks failed: {}", failed.join(", "));
    }
    Ok(())
}

/// The lines of `bench/results/<name>.md` that judge a target (they say `(target`).
fn target_lines(ctx: &Ctx, name: &str) -> Vec<String> {
    let path = ctx
        .paths
        .root
        .join("bench")
        .join("results")
        .join(format!("{name}.md"));
    let text = std::fs::read_to_string(path).unwrap_or_default();
    targets_in(&text)
}

fn targets_in(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .filter(|line| line.contains("(target"))
        .map(|line| line.trim().trim_end_matches('.').to_owned())
        .collect()
}

fn summary(outcomes: &[Outcome]) -> String {
    let mut out = String::from("Summary of `cargo xtask bench all`:\n");
    for o in outcomes {
        let took = o.took.as_secs_f64();
        match &o.result {
            Ok(lines) => {
                out.push_str(&format!("- {} ({took:.0} s):\n", o.name));
                for line in lines {
                    out.push_str(&format!("    {line}\n"));
                }
                if lines.is_empty() {
                    out.push_str("    (no target line found in its results)\n");
                }
            }
            Err(error) => {
                let first = error.lines().next().unwrap_or_default();
                out.push_str(&format!("- {} FAILED after {took:.0} s: {first}\n", o.name));
            }
        }
    }
    let met = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .flatten()
        .filter(|l| !l.contains("MISSED"))
        .count();
    let missed = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .flatten()
        .filter(|l| l.contains("MISSED"))
        .count();
    out.push_str(&format!("Targets: {met} met, {missed} MISSED.\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_lines_are_those_that_judge_a_target() {
        let md = "# Benchmark\n\n| a | met |\n\np95 1.2 ms (target < 20 ms: met).\n\
                  over 20 MiB idle: gateway (target < 20 MiB idle per service: MISSED).\n";
        assert_eq!(
            targets_in(md),
            [
                "p95 1.2 ms (target < 20 ms: met)",
                "over 20 MiB idle: gateway (target < 20 MiB idle per service: MISSED)"
            ]
        );
    }

    #[test]
    fn the_summary_counts_targets_and_names_failures() {
        let outcomes = [
            Outcome {
                name: "gateway",
                took: Duration::from_secs(60),
                result: Ok(vec!["x (target: met)".into(), "y (target: MISSED)".into()]),
            },
            Outcome {
                name: "streams",
                took: Duration::from_secs(5),
                result: Err("loadgen failed\nmore".into()),
            },
        ];
        let text = summary(&outcomes);
        assert!(
            text.contains("- gateway (60 s):\n    x (target: met)\n"),
            "{text}"
        );
        assert!(
            text.contains("- streams FAILED after 5 s: loadgen failed\n"),
            "{text}"
        );
        assert!(text.ends_with("Targets: 1 met, 1 MISSED.\n"), "{text}");
    }

    #[test]
    fn every_benchmark_is_run_once() {
        let names: Vec<&str> = ORDER.iter().map(|(_, n)| *n).collect();
        assert_eq!(
            names,
            [
                "gateway",
                "orders",
                "streams",
                "footprint",
                "assistant",
                "search",
                "relay"
            ]
        );
        for (which, name) in ORDER {
            assert_eq!(Name::parse(name), Ok(which));
        }
    }
}
