//! `cargo xtask e2e`: the browser tests alone (see [`crate::web::e2e`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::{ctx::Ctx, web};

/// Runs them; the exit code is the runner's success or failure.
pub fn run(ctx: &Ctx) -> Result<ExitCode> {
    web::e2e(ctx)
}
