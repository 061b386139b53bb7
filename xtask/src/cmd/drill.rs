//! `cargo xtask drill [broker|database|service|network|all]`: faults under load, then the
//! delivery guarantees checked (see [`crate::drill`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::{ctx::Ctx, drill};

/// Runs the drills; the exit code is non-zero on any loss or duplicate.
pub fn run(ctx: &Ctx, kinds: &[drill::Kind]) -> Result<ExitCode> {
    drill::run(ctx, kinds)
}
