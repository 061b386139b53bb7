//! `cargo xtask bench <name>`: figures from one run on this machine, written with its
//! description to `bench/results/<name>.json` and `bench/results/<name>.md`.
//!
//! - [`gateway`]: `GET /api/products/:id` direct, through nginx and through the gateway.
//! - [`assistant`]: `POST /assistant/chat` without an LLM, replies/s and p95.
//! - [`orders`]: the shop's mix through the gateway at rising rates, event-to-client delay.
//! - [`streams`]: N SSE + N WebSocket subscribers of one order: memory per stream, fan-out time.
//! - [`footprint`]: each service's resident memory idle and after load, and its start-up time.
//! - [`relay`]: the outbox relay's events/s against the broker's pipelined-confirm ceiling.
//! - [`all`]: every benchmark in turn, then one summary of their targets.
//! - [`stack`]: release builds, spare ports, the processes a benchmark starts, the whole
//!   suite ([`stack::suite`]) and the `loadgen` crate's load generator run as a child.
//! - [`wrk`]: the load generator's command and report; [`nginx`]: the reference proxy.
//! - [`table`]: rows of figures as text, Markdown and JSON; [`machine`]: what it ran on.
//!
//! Everything a benchmark starts is stopped when it ends, also on failure
//! ([`crate::cleanup::Cleanup`]).

pub mod all;
pub mod assistant;
pub mod footprint;
pub mod gateway;
pub(crate) mod machine;
mod nginx;
pub mod orders;
pub mod relay;
pub mod search;
pub mod stack;
pub mod streams;
mod table;
mod wrk;

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::{apt, ctx::Ctx, exec};

/// The benchmarks `cargo xtask bench` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    /// The gateway against direct calls and nginx.
    Gateway,
    /// The assistant's chat without an LLM.
    Assistant,
    /// The shop's mix through the gateway at rising rates.
    Orders,
    /// Many live subscribers of one order.
    Streams,
    /// Each service's memory and start-up time.
    Footprint,
    /// The outbox relay against the broker's ceiling.
    Relay,
    /// Catalog search by meaning against search by words.
    Search,
    /// All of them in turn.
    All,
}

impl Name {
    /// Parses `gateway`, `orders`, `streams`, `footprint`, `assistant`, `relay`, `search` or
    /// `all`.
    pub fn parse(word: &str) -> Result<Self, String> {
        match word {
            "gateway" => Ok(Self::Gateway),
            "orders" => Ok(Self::Orders),
            "streams" => Ok(Self::Streams),
            "footprint" => Ok(Self::Footprint),
            "assistant" => Ok(Self::Assistant),
            "relay" => Ok(Self::Relay),
            "search" => Ok(Self::Search),
            "all" => Ok(Self::All),
            other => Err(format!(
                "unknown benchmark `{other}`; available: gateway, orders, streams, footprint, \
                 assistant, relay, search, all"
            )),
        }
    }
}

/// Runs one benchmark.
pub fn run(ctx: &Ctx, name: Name) -> Result<()> {
    match name {
        Name::Gateway => gateway::run(ctx),
        Name::Assistant => assistant::run(ctx),
        Name::Orders => orders::run(ctx),
        Name::Streams => streams::run(ctx),
        Name::Footprint => footprint::run(ctx),
        Name::Relay => relay::run(ctx),
        Name::Search => search::run(ctx),
        Name::All => all::run(ctx),
    }
}

/// Finds `program`, installing the first of `packages` that apt can install when it is
/// missing (e.g. `nginx-light`, then `nginx`).
fn ensure_program(ctx: &Ctx, program: &str, packages: &[&str]) -> Result<PathBuf> {
    if let Some(path) = exec::find_program(program) {
        return Ok(path);
    }
    let hint = format!(
        "install {} yourself, then run the benchmark again",
        packages.join(" or ")
    );
    let mut last = None;
    for package in packages {
        match apt::install(ctx, "bench", &[package], &hint) {
            Ok(()) => break,
            Err(error) => last = Some(error),
        }
    }
    exec::find_program(program).with_context(|| match last {
        Some(error) => format!("{program} is still missing: {error:#}"),
        None => format!("{program} is still missing after installing it: {hint}"),
    })
}

/// Writes `bench/results/<name>.json` and `<name>.md` and says so.
fn write_results(ctx: &Ctx, name: &str, json: &str, markdown: &str) -> Result<()> {
    let json_path = result_path(ctx, &format!("{name}.json"))?;
    std::fs::write(&json_path, json)
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    let md_path = result_path(ctx, &format!("{name}.md"))?;
    std::fs::write(&md_path, markdown)
        .with_context(|| format!("cannot write {}", md_path.display()))?;
    println!(
        "Written: {} and {}",
        ctx.paths.show(&json_path),
        ctx.paths.show(&md_path)
    );
    Ok(())
}

/// `bench/results/<file>`, its folder created.
fn result_path(ctx: &Ctx, file: &str) -> Result<PathBuf> {
    let dir = ctx.paths.root.join("bench").join("results");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join(file))
}

/// A JSON pointer from member names: `["latencyMs", "order", "p99"]` → `/latencyMs/order/p99`.
pub fn pointer(path: &[&str]) -> String {
    format!("/{}", path.join("/"))
}

/// A figure as JSON: whole numbers without a fraction (`25`, not `25.0`), others as the
/// shortest text that reads back the same; NaN and infinities (which JSON lacks) as `null`.
pub fn number(x: f64) -> serde_json::Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        // Whole and within i64's exact range, checked above.
        serde_json::Value::from(x as i64)
    } else {
        serde_json::Value::from(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_benchmark_of_issues_6_8_and_9_has_a_name() {
        for (word, name) in [
            ("gateway", Name::Gateway),
            ("orders", Name::Orders),
            ("streams", Name::Streams),
            ("footprint", Name::Footprint),
            ("assistant", Name::Assistant),
            ("relay", Name::Relay),
            ("all", Name::All),
        ] {
            assert_eq!(Name::parse(word), Ok(name));
        }
        assert!(Name::parse("nope").unwrap_err().contains("unknown"));
    }
}
