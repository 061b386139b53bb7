//! `cargo xtask test [-- args]`: the infrastructure of `up` (no services), the embedding model,
//! the manifest validator ([`k8s`]) and poppler's `pdftoppm`/`pdftotext` (the sales report's
//! PDF is rendered by a test), then the whole workspace test suite against them, then the
//! browser tests (`cargo xtask e2e`).

use std::process::ExitCode;

use anyhow::Result;

use crate::{apt, ctx::Ctx, exec, infra, k8s, model, state::State, web};

/// Runs the tests; the exit code is the runner's.
pub fn run(ctx: &Ctx, extra: &[String]) -> Result<ExitCode> {
    ctx.paths.ensure_dirs()?;
    let urls = infra::ensure_all(ctx)?;
    let validator = k8s::validator(ctx)?;
    let model = model::env(ctx);
    apt::ensure_program(
        ctx,
        "pdftoppm",
        "poppler-utils",
        "install Debian's poppler-utils (`apt-get install poppler-utils`): analytics-service's \
         tests render the sales report's PDF with pdftoppm and read it with pdftotext",
    )?;

    let nextest = exec::succeeds(exec::cargo().args(["nextest", "--version"]));
    let mut cmd = exec::cargo();
    cmd.current_dir(&ctx.paths.root);
    if nextest {
        cmd.args(["nextest", "run"]);
    } else {
        cmd.arg("test");
    }
    cmd.args(["--workspace", "--no-fail-fast"])
        .args(extra)
        .envs(urls.env())
        .envs(model)
        .env("KUBERNETES_VALIDATE", &validator);
    let status = exec::status(ctx, "test", &mut cmd)?;

    let started: Vec<&str> = State::load(&ctx.paths.state())?
        .all_started()
        .map(|infra| infra.name())
        .collect();
    if !started.is_empty() {
        ctx.progress.step(
            "test",
            format!(
                "left running: {} (started by xtask); `cargo xtask down` stops it",
                started.join(", ")
            ),
        );
    }
    let code = match status.code() {
        Some(code) => u8::try_from(code).unwrap_or(1),
        None => {
            use std::os::unix::process::ExitStatusExt as _;
            128 + u8::try_from(status.signal().unwrap_or(0))
                .unwrap_or(0)
                .min(127)
        }
    };
    ctx.progress.step("test", format!("finished: {status}"));

    // The browser tests run whatever the Rust suite said, so one run shows both; the exit
    // code is the Rust suite's when it failed, else theirs.
    let browser = web::e2e(ctx);
    if let Err(error) = &browser {
        eprintln!("\nerror: the browser tests did not run: {error:#}");
    }
    match browser {
        _ if code != 0 => Ok(ExitCode::from(code)),
        Ok(exit) => Ok(exit),
        Err(_) => Ok(ExitCode::FAILURE),
    }
}
