//! What `cargo xtask bench search` prints and writes: the two modes side by side and their
//! ratio, as text, Markdown and JSON.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use super::super::{
    machine::Machine,
    table::{Grid, latency, size},
};
use super::{COPIES, Figures, LOG_LEVEL, Mode, QUERIES, REQUESTS, THREADS, WARM_UP};
use crate::ctx::Ctx;

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn kib(k: Option<u64>) -> String {
    size(k.map(|k| k as f64 * 1024.0))
}

fn grid(figures: &[Figures]) -> Grid {
    let mut grid = Grid::new(&[
        "search",
        "requests/s",
        "p50",
        "p95",
        "p99",
        "max",
        "RSS idle",
        "RSS after",
        "peak",
    ]);
    for f in figures {
        grid.rows.push(vec![
            f.mode.label().to_owned(),
            format!("{:.0}", f.per_sec),
            latency(us(f.p50)),
            latency(us(f.p95)),
            latency(us(f.p99)),
            latency(us(f.max)),
            kib(f.idle_kib),
            kib(f.after_kib),
            kib(f.peak_kib),
        ]);
    }
    grid
}

/// The side-by-side line: how much meaning costs in p95 and in memory.
pub(super) fn ratio_line(figures: &[Figures]) -> String {
    let by = |mode| figures.iter().find(|f| f.mode == mode);
    let (Some(words), Some(meaning)) = (by(Mode::Words), by(Mode::Meaning)) else {
        return "one of the two services was not measured".to_owned();
    };
    let p95 = meaning.p95.as_secs_f64() / words.p95.as_secs_f64().max(1e-9);
    let memory = match (meaning.after_kib, words.after_kib) {
        (Some(m), Some(w)) if w > 0 => format!("{:.1}×", m as f64 / w as f64),
        _ => "?".to_owned(),
    };
    format!(
        "by meaning ÷ by words: p95 {p95:.1}×, throughput {:.2}×, resident memory after the \
         load {memory}",
        meaning.per_sec / words.per_sec.max(1e-9)
    )
}

fn settings() -> String {
    format!(
        "two release builds of product-service over one database, one with \
         `EMBEDDING_MODEL_DIR` (the pinned all-MiniLM-L6-v2: each query embedded, ranked by \
         words and meaning) and one without (words only); a catalog of {} products (the \
         seed's 25 and numbered copies, written through the service with the model so each \
         carries its embedding); {REQUESTS} anonymous `GET /products?search=…&sort=relevance&\
         limit=…&page=…` per service from {THREADS} client threads in the xtask process (one \
         connection a request, on loopback), after {WARM_UP} not counted, no two alike (the \
         {} queries in turn, each at page sizes 1–50 and pages 1–10), so none is answered \
         from the read cache: {}; `RUST_LOG={LOG_LEVEL}`; RSS idle is `VmRSS` once healthy, \
         before the catalog was written",
        25 * COPIES,
        QUERIES.len(),
        QUERIES.map(|q| format!("\"{q}\"")).join(", ")
    )
}

/// Prints the table, writes the JSON and Markdown files.
pub(super) fn report(ctx: &Ctx, figures: &[Figures], machine: &Machine) -> Result<()> {
    let grid = grid(figures);
    let line = ratio_line(figures);
    println!();
    print!("{}", grid.render_text());
    println!("{line}");
    let opt = |k: Option<u64>| k.map_or(Value::Null, Value::from);
    let ms = |d: Duration| super::super::number((d.as_secs_f64() * 1e5).round() / 100.0);
    let results = figures
        .iter()
        .map(|f| {
            Value::from_iter(vec![
                ("search", Value::String(f.mode.label().to_owned())),
                ("requests", Value::from(f.requests)),
                ("perSecond", super::super::number(f.per_sec.round())),
                ("p50Ms", ms(f.p50)),
                ("p95Ms", ms(f.p95)),
                ("p99Ms", ms(f.p99)),
                ("maxMs", ms(f.max)),
                ("idleRssKiB", opt(f.idle_kib)),
                ("afterRssKiB", opt(f.after_kib)),
                ("peakRssKiB", opt(f.peak_kib)),
            ])
        })
        .collect();
    let json = Value::from_iter(vec![
        ("benchmark", Value::String("search".into())),
        ("machine", machine.to_json()),
        ("settings", Value::String(settings())),
        ("results", Value::Array(results)),
        ("comparison", Value::String(line.clone())),
    ]);
    let markdown = format!(
        "# Benchmark: catalog search by meaning and by words\n\n`cargo xtask bench search`: \
         {}.\n\n{}\n{line}.\n\n## Machine\n\n{}",
        settings(),
        grid.render_markdown(),
        machine.to_markdown()
    );
    super::super::write_results(ctx, "search", &crate::http::pretty(&json), &markdown)
}
