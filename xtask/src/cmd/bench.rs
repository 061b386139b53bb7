//! `cargo xtask bench <name>`: one benchmark, its figures printed and written to
//! `bench/results/<name>.{json,md}` (see [`crate::bench`]).

use anyhow::Result;

use crate::{bench, ctx::Ctx};

/// Runs the benchmark.
pub fn run(ctx: &Ctx, name: bench::Name) -> Result<()> {
    bench::run(ctx, name)
}
