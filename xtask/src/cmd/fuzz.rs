//! `cargo xtask fuzz [--max-examples N] [--seed N]`: schemathesis against the gateway's
//! OpenAPI document, as the admin and as the demo customer (see [`crate::fuzz`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::{ctx::Ctx, fuzz};

/// Fuzzes; the exit code is non-zero when anything was found.
pub fn run(ctx: &Ctx, options: fuzz::Options) -> Result<ExitCode> {
    fuzz::run(ctx, options)
}
