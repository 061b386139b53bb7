//! What `cargo xtask bench assistant` prints and writes: the figures against issue 8's target,
//! the accuracy against issue 21's goal, as text, Markdown and JSON.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use super::super::{machine::Machine, table::latency};
use super::{Accuracy, Figures, LOG_LEVEL, REQUESTS, TARGET_P95, THREADS, WARM_UP, accuracy};
use crate::{ctx::Ctx, http};

fn settings() -> String {
    format!(
        "{REQUESTS} anonymous `POST /assistant/chat` requests from {THREADS} client threads in \
         the xtask process (a second process from the service; one connection a request, on \
         loopback), after {WARM_UP} not counted; conversations of 2–4 messages in a session: \
         policy questions and follow-ups, chitchat, off-topic, complaints (escalated once a \
         session); no `LLM_ENDPOINT`, `EMBEDDING_MODEL_DIR` set (the pinned \
         all-MiniLM-L6-v2), `RUST_LOG={LOG_LEVEL}`, release build"
    )
}

fn verdict(figures: &Figures) -> String {
    format!(
        "p95 {} (target < {}: {})",
        latency(us(figures.p95)),
        latency(us(TARGET_P95)),
        if figures.met() { "met" } else { "MISSED" }
    )
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Header and one row of figures.
fn cells(figures: &Figures) -> [[String; 7]; 2] {
    [
        ["replies", "replies/s", "p50", "p95", "p99", "max", "errors"].map(str::to_owned),
        [
            figures.requests.to_string(),
            format!("{:.0}", figures.per_sec),
            latency(us(figures.p50)),
            latency(us(figures.p95)),
            latency(us(figures.p99)),
            latency(us(figures.max)),
            figures.errors.to_string(),
        ],
    ]
}

fn intents_line(figures: &Figures) -> String {
    figures
        .intents
        .iter()
        .map(|(intent, (n, p95))| format!("{intent} {n} (p95 {})", latency(us(*p95))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_text(figures: &Figures) -> String {
    let rows = cells(figures);
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:>width$}"))
                .collect();
            line.join("  ") + "\n"
        })
        .collect()
}

fn accuracy_verdict(accuracy: &Accuracy) -> String {
    format!(
        "accuracy at least {:.2} on every intent: {}{}",
        accuracy::TARGET,
        if accuracy.confusion.met() {
            "met"
        } else {
            "MISSED"
        },
        if accuracy.model {
            ""
        } else {
            " (the embedding model was NOT loaded: words and rules only)"
        }
    )
}

/// The held-out messages' reply times, in words.
fn novel_line(novel: &Figures) -> String {
    format!(
        "Replies to the held-out messages, each text new to the service (sent once each from \
         {THREADS} threads, before the load): {} replies, {:.0}/s, p50 {}, p95 {}, p99 {}, max {}",
        novel.requests,
        novel.per_sec,
        latency(us(novel.p50)),
        latency(us(novel.p95)),
        latency(us(novel.p99)),
        latency(us(novel.max))
    )
}

fn render_markdown(figures: &Figures, accuracy: &Accuracy, machine: &Machine) -> String {
    let [header, row] = cells(figures);
    format!(
        "# Benchmark: the assistant\n\n\
         `cargo xtask bench assistant`: {}.\n\n\
         | {} |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n| {} |\n\n\
         {}.\n\nReplies by intent answered (with their p95): {}.\n\n\
         ## Intent accuracy\n\nEvery message of `assistant-service/data/intents-eval.tsv` \
         (held out: never trained on nor looked up), sent once each as the first message of a \
         new session from {THREADS} threads, before the load above; embedding model {}.\n\n\
         {}\n{}.\n\n{}.\n\n## Machine\n\n{}",
        settings(),
        header.join(" | "),
        row.join(" | "),
        verdict(figures),
        intents_line(figures),
        if accuracy.model { "on" } else { "off" },
        accuracy.confusion.to_markdown(),
        accuracy_verdict(accuracy),
        novel_line(&accuracy.novel),
        machine.to_markdown()
    )
}

fn to_json(figures: &Figures, accuracy: &Accuracy, machine: &Machine) -> Value {
    let number = super::super::number;
    let ms = |d: Duration| number((us(d)).round());
    Value::from_iter(vec![
        ("benchmark", Value::String("assistant".into())),
        ("machine", machine.to_json()),
        ("settings", Value::String(settings())),
        (
            "results",
            Value::from_iter(vec![
                ("requests", number(figures.requests as f64)),
                ("errors", number(figures.errors as f64)),
                (
                    "seconds",
                    number((figures.seconds * 1000.0).round() / 1000.0),
                ),
                (
                    "repliesPerSec",
                    number((figures.per_sec * 10.0).round() / 10.0),
                ),
                (
                    "latencyUs",
                    Value::from_iter(vec![
                        ("p50", ms(figures.p50)),
                        ("p95", ms(figures.p95)),
                        ("p99", ms(figures.p99)),
                        ("max", ms(figures.max)),
                        ("mean", ms(figures.mean)),
                    ]),
                ),
                (
                    "intents",
                    Value::Object(
                        figures
                            .intents
                            .iter()
                            .map(|(k, (n, p95))| {
                                (
                                    k.clone(),
                                    Value::from_iter(vec![
                                        ("replies", number(*n as f64)),
                                        ("p95Us", ms(*p95)),
                                    ]),
                                )
                            })
                            .collect(),
                    ),
                ),
            ]),
        ),
        ("embeddings", Value::Bool(accuracy.model)),
        ("intentAccuracy", accuracy.confusion.to_json()),
        (
            "novelLatencyUs",
            Value::from_iter(vec![
                ("replies", number(accuracy.novel.requests as f64)),
                ("p50", ms(accuracy.novel.p50)),
                ("p95", ms(accuracy.novel.p95)),
                ("p99", ms(accuracy.novel.p99)),
                ("max", ms(accuracy.novel.max)),
            ]),
        ),
        (
            "targets",
            Value::from_iter(vec![
                ("p95UnderMs", number(TARGET_P95.as_millis() as f64)),
                ("p95Met", Value::Bool(figures.met())),
                ("accuracyAtLeast", number(accuracy::TARGET)),
                ("accuracyMet", Value::Bool(accuracy.confusion.met())),
            ]),
        ),
    ])
}

/// Prints the table and the target, writes the JSON and Markdown files.
pub(super) fn report(
    ctx: &Ctx,
    figures: &Figures,
    accuracy: &Accuracy,
    machine: &Machine,
) -> Result<()> {
    println!();
    print!("{}", render_text(figures));
    println!("{}", verdict(figures));
    println!("by intent (p95): {}", intents_line(figures));
    println!();
    print!("{}", accuracy.confusion.to_markdown());
    println!("{}", accuracy_verdict(accuracy));
    println!("{}", novel_line(&accuracy.novel));
    super::super::write_results(
        ctx,
        "assistant",
        &http::pretty(&to_json(figures, accuracy, machine)),
        &render_markdown(figures, accuracy, machine),
    )
}
