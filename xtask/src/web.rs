//! The web front end in `web/`: installed with `npm ci` (only when `node_modules` is missing
//! or the lockfile changed since the last install), built with `npm run build` into
//! `web/dist` (which the gateway serves as `WEB_ROOT`), and its browser tests run with
//! `npm run e2e` in Debian's chromium against a running, seeded suite.
//!
//! Playwright's own browser download is never used (it cannot work on these machines):
//! `/usr/bin/chromium` comes from apt when it is missing.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

use anyhow::{Context as _, Result, bail};

use crate::{
    apt,
    cleanup::Cleanup,
    ctx::Ctx,
    exec, health,
    seed::{self, Gateway},
    suite,
};

/// Debian's chromium, which the browser tests drive.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Where the tests find the suite.
pub const BASE_URL: &str = "http://127.0.0.1:5000";
const GATEWAY_PORT: u16 = 5000;
/// A copy of the lockfile `npm ci` last installed, inside `node_modules` (so that removing
/// `node_modules` also forgets it).
const INSTALLED_LOCK: &str = "node_modules/.xtask-package-lock.json";

fn dir(ctx: &Ctx) -> PathBuf {
    ctx.paths.root.join("web")
}

fn npm(ctx: &Ctx) -> Result<Command> {
    let Some(npm) = exec::find_program("npm") else {
        bail!(
            "npm is not installed: install Node.js 20.19 or newer with npm (e.g. `apt-get \
             install nodejs npm` on a recent Debian, or from nodejs.org), then try again"
        );
    };
    let mut cmd = Command::new(npm);
    cmd.current_dir(dir(ctx));
    Ok(cmd)
}

/// Whether `npm ci` must run: no `node_modules`, or a lockfile unlike the one installed.
pub fn needs_install(web: &Path) -> bool {
    let lock = std::fs::read(web.join("package-lock.json")).ok();
    let installed = std::fs::read(web.join(INSTALLED_LOCK)).ok();
    !web.join("node_modules").is_dir() || lock.is_none() || lock != installed
}

/// `npm ci` when needed, then `npm run build`.
pub fn build(ctx: &Ctx) -> Result<()> {
    let web = dir(ctx);
    if needs_install(&web) {
        let hint = "check that the npm registry is reachable, then run `cargo xtask up` again";
        exec::run(
            ctx,
            "web",
            npm(ctx)?.args(["ci", "--no-audit", "--no-fund"]),
            hint,
        )?;
        std::fs::copy(web.join("package-lock.json"), web.join(INSTALLED_LOCK))
            .context("noting the installed lockfile")?;
    } else {
        ctx.progress
            .step("web", "node_modules matches package-lock.json: no install");
    }
    let hint = "fix the TypeScript or build errors above (`npm run build` in web/)";
    exec::run(ctx, "web", npm(ctx)?.args(["run", "build"]), hint)?;
    ctx.progress.step(
        "web",
        format!("built into {}", ctx.paths.show(&web.join("dist"))),
    );
    Ok(())
}

/// `/usr/bin/chromium`, installed from Debian's packages when missing.
pub fn ensure_chromium(ctx: &Ctx) -> Result<()> {
    if Path::new(CHROMIUM).is_file() {
        return Ok(());
    }
    let hint = "install Debian's chromium (`apt-get install chromium`) so that /usr/bin/chromium \
                exists; Playwright's own browser download is not used";
    apt::install(ctx, "chromium", &["chromium"], hint)?;
    if !Path::new(CHROMIUM).is_file() {
        bail!("the chromium package did not provide {CHROMIUM}: {hint}");
    }
    Ok(())
}

/// The extra variables of a service the browser tests start: every spec signs in (most as a
/// customer registered for it), all from 127.0.0.1, which the sign-in quotas of `up` (20 a
/// minute at the gateway, and customer-service's per-client sign-in limit) would refuse.
fn e2e_env(service: &crate::services::Service) -> Vec<(&'static str, String)> {
    let high = || "100000".to_owned();
    match service.name {
        "gateway" => vec![
            ("RATE_LIMIT_AUTH_PER_MIN", high()),
            ("RATE_LIMIT_CLICKSTREAM_PER_MIN", high()),
        ],
        "customer-service" => vec![("LOGIN_MAX_PER_CLIENT", high())],
        _ => Vec::new(),
    }
}

/// The browser tests: chromium, the build, a seeded suite (the running one, or one started
/// as `up` starts it, with the sign-in quotas raised, and stopped afterwards, also on
/// failure), then `npm run e2e`.
pub fn e2e(ctx: &Ctx) -> Result<ExitCode> {
    ctx.paths.ensure_dirs()?;
    ensure_chromium(ctx)?;
    build(ctx)?;
    let mut cleanup = Cleanup::new(ctx);
    if health::check(GATEWAY_PORT, "/health").is_ok_and(|r| r.is_healthy()) {
        ctx.progress.step(
            "e2e",
            "the gateway on :5000 answers: testing the running suite (started by `up`, its \
             sign-in quota of 20 a minute refuses some specs with 429: `cargo xtask down` \
             first to have one started with the quotas raised)",
        );
    } else {
        ctx.progress.step(
            "e2e",
            "the gateway on :5000 does not answer: starting the suite as `up` does, and \
             stopping it afterwards",
        );
        suite::start(ctx, &e2e_env, &mut cleanup.started)?;
    }
    // Idempotent: the demo accounts, the catalog and the demo cart the specs rely on.
    seed::run(ctx, &Gateway::local()).context("seeding the suite for the browser tests")?;
    let mut run = npm(ctx)?;
    run.args(["run", "e2e"])
        .env("BASE_URL", BASE_URL)
        .env("CHROMIUM_PATH", CHROMIUM);
    let status = exec::status(ctx, "e2e", &mut run)?;
    ctx.progress.step("e2e", format!("finished: {status}"));
    drop(cleanup);
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_ci_runs_only_when_node_modules_or_the_lockfile_changed() {
        let web = std::env::temp_dir().join(format!("xtask-web-{}", std::process::id()));
        std::fs::create_dir_all(&web).unwrap();
        std::fs::write(web.join("package-lock.json"), "{\"v\":1}").unwrap();
        assert!(needs_install(&web), "no node_modules");

        std::fs::create_dir_all(web.join("node_modules")).unwrap();
        assert!(needs_install(&web), "never installed by xtask");

        std::fs::write(web.join(INSTALLED_LOCK), "{\"v\":1}").unwrap();
        assert!(!needs_install(&web), "installed from this lockfile");

        std::fs::write(web.join("package-lock.json"), "{\"v\":2}").unwrap();
        assert!(needs_install(&web), "the lockfile changed");
        std::fs::remove_dir_all(&web).unwrap();
    }
}
