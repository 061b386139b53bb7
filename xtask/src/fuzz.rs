//! `cargo xtask fuzz`: schemathesis, driven by the gateway's own OpenAPI document, against the
//! running suite — once as the admin, once as the demo customer — checking for 5xx answers
//! and for status codes and content types the document does not declare.
//!
//! - [`schemathesis`]: the pinned tool in `.local/venv`, one pass's arguments, running it.
//! - [`report`]: its console output and JSON report read back into findings and totals.
//! - [`markdown`]: writing `bench/results/fuzz.md`; [`console`]: the closing summary.
//! - [`setup`]: the suite to fuzz, the document's operations, the callers' tokens;
//!   [`tidy`]: deleting the products the admin pass created.
//!
//! When the gateway on :5000 does not answer, the suite is started as `up` starts it (with the
//! rate limits raised so the fuzzer is not throttled) and seeded, and whatever this run
//! started is stopped at the end, also on failure. A suite that was already running is used
//! as it is: its quotas apply, and the 429s they cause are declared in the document.

mod console;
mod markdown;
mod report;
mod schemathesis;
mod setup;
mod tidy;

use std::{process::ExitCode, time::Duration};

use anyhow::{Context as _, Result};

use crate::{cleanup::Cleanup, ctx::Ctx, seed::Gateway, services};
use markdown::{PassResult, RunInfo};
use report::{Output, Totals};
use schemathesis::{Only, Pass, Settings};

/// Test cases per operation and phase when `--max-examples` is not given: about two minutes
/// for both passes on two cores with the suite idle (up to a few minutes while it builds).
pub const DEFAULT_MAX_EXAMPLES: u32 = 100;
/// The seed when `--seed` is not given: the same run every time, so a fix can be checked.
pub const DEFAULT_SEED: u64 = 1;

/// The longest one pass may take before it is stopped.
const PASS_LIMIT: Duration = Duration::from_secs(600);
/// Per-minute quotas given to a gateway (and sign-in limit to a customer-service) this
/// command starts: far more than the fuzzer sends.
const HIGH_QUOTA: &str = "1000000";
const GATEWAY_PORT: u16 = 5000;
/// Logging out revokes the token a pass uses, so logout gets a pass (and a token) of its own.
const LOGOUT: &str = "/api/auth/logout";

/// What `cargo xtask fuzz` was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `--max-examples`.
    pub max_examples: u32,
    /// `--seed`.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_examples: DEFAULT_MAX_EXAMPLES,
            seed: DEFAULT_SEED,
        }
    }
}

/// Runs the passes, writes the report, and fails when anything was found.
pub fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    ctx.paths.ensure_dirs()?;
    let mut cleanup = Cleanup::new(ctx);
    let rate_limits = setup::prepare_suite(ctx, &mut cleanup.started)?;
    let exe = schemathesis::ensure(ctx)?;
    let setup::Document {
        operations,
        declare_429,
        streams,
    } = setup::document()?;
    ctx.progress.step(
        "fuzz",
        format!("the document lists {operations} operations, {declare_429} declare 429"),
    );
    // Left out of the two main passes: logging out (a pass of its own) and the event streams.
    let left_out: Vec<String> = std::iter::once(LOGOUT.to_owned())
        .chain(streams.iter().cloned())
        .collect();

    let gateway = Gateway::local();
    let [admin, customer, logout] = setup::tokens(ctx, &gateway)?;
    let catalog_before = tidy::catalog(ctx, &gateway)?;
    let passes = [
        pass("admin", admin, Only::AllBut(left_out.clone())),
        pass("customer", customer, Only::AllBut(left_out)),
        pass(
            "customer-logout",
            logout,
            Only::These(vec![LOGOUT.to_owned()]),
        ),
    ];
    let settings = Settings {
        schema_url: format!("http://127.0.0.1:{GATEWAY_PORT}/api/openapi.json"),
        base_url: format!("http://127.0.0.1:{GATEWAY_PORT}"),
        max_examples: options.max_examples,
        seed: options.seed,
    };
    let mut results = Vec::new();
    for pass in &passes {
        results.push(run_pass(ctx, &exe, &settings, pass)?);
    }

    let afterwards = tidy_up(ctx, &gateway, &catalog_before);
    let info = RunInfo {
        date: services::utc_now(),
        tool: schemathesis::PACKAGE.replace("==", " "),
        schema_url: settings.schema_url.clone(),
        operations,
        declare_429,
        seed: options.seed,
        max_examples: options.max_examples,
        checks: schemathesis::CHECKS.replace(',', ", "),
        rate_limits,
        streams,
        afterwards,
    };
    let path = ctx.paths.root.join("bench").join("results").join("fuzz.md");
    std::fs::create_dir_all(path.parent().unwrap_or(&ctx.paths.root))?;
    std::fs::write(&path, markdown::render(&info, &results))
        .with_context(|| format!("cannot write {}", path.display()))?;
    console::print_summary(&results);
    println!("Report: {}", ctx.paths.show(&path));
    drop(cleanup);
    Ok(if results.iter().all(PassResult::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Deletes the products the passes created; returns the sentence the report says about it.
/// A failure here is reported, not fatal: the findings matter more.
fn tidy_up(ctx: &Ctx, gateway: &Gateway, before: &std::collections::BTreeSet<String>) -> String {
    let removed = setup::admin_token(ctx, gateway)
        .and_then(|token| tidy::remove_new(ctx, gateway, &token, before));
    let sentence = match removed {
        Ok(n) => format!("The {n} products the passes created were deleted afterwards."),
        Err(error) => format!(
            "Deleting the products the passes created failed ({error:#}); they are still \
             in the catalog."
        ),
    };
    ctx.progress.step("fuzz", &sentence);
    sentence
}

fn pass(name: &str, token: String, only: Only) -> Pass {
    Pass {
        name: name.to_owned(),
        token,
        only,
    }
}

fn run_pass(
    ctx: &Ctx,
    exe: &std::path::Path,
    settings: &Settings,
    pass: &Pass,
) -> Result<PassResult> {
    let workdir = ctx.paths.local().join("fuzz");
    std::fs::create_dir_all(&workdir)?;
    let report = workdir.join(format!("{}.json", pass.name));
    let _ = std::fs::remove_file(&report);
    let log = ctx.paths.log(&format!("fuzz-{}", pass.name));
    let args = schemathesis::args(settings, pass, &report);
    ctx.progress.step(
        "fuzz",
        format!(
            "pass `{}`: $ {}",
            pass.name,
            schemathesis::describe(&args, &pass.token)
        ),
    );
    let (console, exit) = schemathesis::run(ctx, exe, &args, &workdir, &log, PASS_LIMIT)?;
    let totals = std::fs::read_to_string(&report)
        .ok()
        .and_then(|text| Totals::parse(&text).ok());
    Ok(PassResult {
        name: pass.name.clone(),
        totals,
        output: Output::parse(&console),
        exit,
        log: ctx.paths.show(&log),
    })
}
