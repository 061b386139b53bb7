//! `cargo xtask bench <name>`: figures from one run on this machine, written with its
//! description to `bench/results/<name>.json` and `bench/results/<name>.md`.
//!
//! - [`gateway`]: `GET /api/products/:id` direct, through nginx and through the gateway.
//! - [`assistant`]: `POST /assistant/chat` without an LLM, replies/s and p95.
//! - [`stack`]: release builds, spare ports, the processes a benchmark starts.
//! - [`wrk`]: the load generator's command and report; [`nginx`]: the reference proxy.
//! - [`table`]: rows of figures as text, Markdown and JSON; [`machine`]: what it ran on.
//!
//! Everything a benchmark starts is stopped when it ends, also on failure
//! ([`crate::cleanup::Cleanup`]).

pub mod assistant;
pub mod gateway;
pub(crate) mod machine;
mod nginx;
mod stack;
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
}

impl Name {
    /// Parses `gateway` or `assistant`.
    pub fn parse(word: &str) -> Result<Self, String> {
        match word {
            "gateway" => Ok(Self::Gateway),
            "assistant" => Ok(Self::Assistant),
            "orders" | "streams" | "footprint" | "all" => Err(format!(
                "`bench {word}` is not written yet (issue 9); available: gateway, assistant"
            )),
            other => Err(format!(
                "unknown benchmark `{other}`; available: gateway, assistant"
            )),
        }
    }
}

/// Runs one benchmark.
pub fn run(ctx: &Ctx, name: Name) -> Result<()> {
    match name {
        Name::Gateway => gateway::run(ctx),
        Name::Assistant => assistant::run(ctx),
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

/// `bench/results/<file>`, its folder created.
fn result_path(ctx: &Ctx, file: &str) -> Result<PathBuf> {
    let dir = ctx.paths.root.join("bench").join("results");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_and_assistant_benchmarks_exist_so_far() {
        assert_eq!(Name::parse("gateway"), Ok(Name::Gateway));
        assert_eq!(Name::parse("assistant"), Ok(Name::Assistant));
        assert!(
            Name::parse("orders")
                .unwrap_err()
                .contains("not written yet")
        );
        assert!(Name::parse("nope").unwrap_err().contains("unknown"));
    }
}
