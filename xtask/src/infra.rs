//! The dependencies (the three stores and the SMTP sink): use the configured URL or a server
//! already listening, else install and start one — and record what `xtask` started so `down`
//! stops that and only that.

mod mongodb;
mod rabbitmq;
mod redis;
mod smtp;

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::{ctx::Ctx, net, state::State};
pub use mongodb::ensure_venv;

/// One piece of infrastructure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Infra {
    /// Redis (cache, sessions, revoked tokens).
    Redis,
    /// RabbitMQ (the event bus).
    Rabbitmq,
    /// MongoDB, locally the `nx-27017` stand-in.
    Mongodb,
    /// The mail server alert-service sends notifications to, locally the aiosmtpd sink.
    Smtp,
}

/// In start order.
pub const ALL: [Infra; 4] = [Infra::Redis, Infra::Rabbitmq, Infra::Mongodb, Infra::Smtp];

impl Infra {
    /// Its name in messages and in the state file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Rabbitmq => "rabbitmq",
            Self::Mongodb => "mongodb",
            Self::Smtp => "smtp",
        }
    }

    /// The inverse of [`Infra::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.into_iter().find(|infra| infra.name() == name)
    }

    /// The variable that points the services (and us) at an existing server.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::Redis => "REDIS_URL",
            Self::Rabbitmq => "AMQP_URL",
            Self::Mongodb => "MONGODB_URI",
            Self::Smtp => "SMTP_URL",
        }
    }

    /// The port of the local server (also the default port of the URL scheme).
    pub fn port(self) -> u16 {
        match self {
            Self::Redis => 6379,
            Self::Rabbitmq => 5672,
            Self::Mongodb => 27017,
            Self::Smtp => 1025,
        }
    }

    /// The URL of the local server (the services' defaults too: shared/src/config.rs).
    pub fn local_url(self) -> &'static str {
        match self {
            Self::Redis => "redis://127.0.0.1:6379",
            Self::Rabbitmq => "amqp://guest:guest@127.0.0.1:5672/%2f",
            Self::Mongodb => "mongodb://127.0.0.1:27017",
            Self::Smtp => "smtp://127.0.0.1:1025",
        }
    }

    /// The URL from the environment, if set (empty counts as unset, as in the services).
    pub fn env_url(self) -> Option<String> {
        std::env::var(self.env_var())
            .ok()
            .filter(|url| !url.trim().is_empty())
    }

    /// Whether the server behind `url` accepts TCP; `None` when the URL names no host to probe.
    pub fn reachable(self, url: &str) -> Option<bool> {
        let endpoint = net::endpoint(url, self.port()).ok()?;
        Some(net::accepts_tcp(&endpoint.host, endpoint.port))
    }
}

/// The URLs the services and tests get.
#[derive(Debug, Clone)]
pub struct Urls {
    /// `MONGODB_URI`.
    pub mongodb: String,
    /// `AMQP_URL`.
    pub amqp: String,
    /// `REDIS_URL`.
    pub redis: String,
    /// `SMTP_URL` (alert-service's mail).
    pub smtp: String,
}

impl Urls {
    /// As environment variables, with `APP_ENV=development`: every process xtask starts (the
    /// services, `order-service seed`, the benchmarks' stacks, the tests) runs the suite
    /// locally with its development secrets, and the binaries default to production.
    pub fn env(&self) -> [(&'static str, &str); 5] {
        [
            ("APP_ENV", "development"),
            ("MONGODB_URI", &self.mongodb),
            ("AMQP_URL", &self.amqp),
            ("REDIS_URL", &self.redis),
            ("SMTP_URL", &self.smtp),
        ]
    }
}

/// How a local server came to be running after `launch`.
pub enum Launch {
    /// We started it: record it, and `down` stops it.
    ByXtask,
    /// Installing its package started it (systemd): not ours to stop.
    ByPackage,
}

/// Makes every dependency available; returns the URLs to use.
pub fn ensure_all(ctx: &Ctx) -> Result<Urls> {
    let mut state = State::load(&ctx.paths.state())?;
    Ok(Urls {
        redis: ensure(ctx, Infra::Redis, &mut state)?,
        amqp: ensure(ctx, Infra::Rabbitmq, &mut state)?,
        mongodb: ensure(ctx, Infra::Mongodb, &mut state)?,
        smtp: ensure(ctx, Infra::Smtp, &mut state)?,
    })
}

/// [`ensure_all`], adding to `started` what this call started (so a caller can stop exactly
/// that afterwards), whether it succeeds or not.
pub fn ensure_all_noting(ctx: &Ctx, started: &mut Vec<Infra>) -> Result<Urls> {
    let before = State::load(&ctx.paths.state())?;
    let urls = ensure_all(ctx);
    let after = State::load(&ctx.paths.state()).unwrap_or_default();
    started.extend(after.all_started().filter(|infra| !before.started(*infra)));
    urls
}

fn ensure(ctx: &Ctx, infra: Infra, state: &mut State) -> Result<String> {
    let label = infra.name();
    if let Some(url) = infra.env_url() {
        let note = match infra.reachable(&url) {
            Some(true) => "reachable",
            Some(false) => "NOT reachable now; services report degraded until it is",
            None => "not probed",
        };
        let shown = net::redact(&url);
        ctx.progress
            .step(label, format!("using {}={shown} ({note})", infra.env_var()));
        return Ok(url);
    }
    let port = infra.port();
    if net::accepts_tcp("127.0.0.1", port) {
        let whose = if state.started(infra) {
            "started earlier by xtask"
        } else {
            "not started by xtask, so `down` leaves it alone"
        };
        ctx.progress.step(
            label,
            format!("already running on 127.0.0.1:{port} ({whose})"),
        );
        return Ok(infra.local_url().to_owned());
    }
    if state.started(infra) {
        // Recorded as ours but gone: stopped by hand or by a reboot.
        state.forget(infra);
        state.save(&ctx.paths.state())?;
    }
    let started = Instant::now();
    let launch = match infra {
        Infra::Redis => redis::launch(ctx)?,
        Infra::Rabbitmq => rabbitmq::launch(ctx)?,
        Infra::Mongodb => mongodb::launch(ctx)?,
        Infra::Smtp => smtp::launch(ctx)?,
    };
    if let Launch::ByPackage = launch {
        ctx.progress.step(
            label,
            "started by its package's service manager (not recorded: `down` leaves it alone)",
        );
        return Ok(infra.local_url().to_owned());
    }
    // Recorded before waiting, so that `down` stops it even if it never gets ready.
    state.mark_started(infra);
    state.save(&ctx.paths.state())?;
    match infra {
        Infra::Redis => redis::wait_ready(ctx)?,
        Infra::Rabbitmq => rabbitmq::wait_ready(ctx)?,
        Infra::Mongodb => mongodb::wait_ready(ctx)?,
        Infra::Smtp => smtp::wait_ready(ctx)?,
    }
    let seconds = started.elapsed().as_secs_f64();
    ctx.progress.step(
        label,
        format!("ready on 127.0.0.1:{port} after {seconds:.1}s (started by xtask; `cargo xtask down` stops it)"),
    );
    Ok(infra.local_url().to_owned())
}

/// Stops a server `xtask` started.
pub fn stop(ctx: &Ctx, infra: Infra) -> Result<()> {
    if !net::accepts_tcp("127.0.0.1", infra.port()) {
        ctx.progress.step(infra.name(), "already stopped");
        return Ok(());
    }
    match infra {
        Infra::Redis => redis::stop(ctx),
        Infra::Rabbitmq => rabbitmq::stop(ctx),
        Infra::Mongodb => mongodb::stop(ctx),
        Infra::Smtp => smtp::stop(ctx),
    }?;
    if !net::wait_for(Duration::from_secs(30), || {
        !net::accepts_tcp("127.0.0.1", infra.port())
    }) {
        anyhow::bail!(
            "{} still listens on 127.0.0.1:{} after being told to stop",
            infra.name(),
            infra.port()
        );
    }
    ctx.progress.step(infra.name(), "stopped");
    Ok(())
}

/// After installing a package: on a systemd machine the package starts its own service; wait
/// up to `wait` for it, and say whether it came up.
fn came_up_with_package(infra: Infra, wait: Duration) -> bool {
    let port = infra.port();
    if std::path::Path::new("/run/systemd/system").exists() {
        net::wait_for(wait, || net::accepts_tcp("127.0.0.1", port))
    } else {
        net::accepts_tcp("127.0.0.1", port)
    }
}

/// Fails with the end of `log` printed when `ready` does not hold within `timeout`.
fn wait_or_fail(
    ctx: &Ctx,
    infra: Infra,
    timeout: Duration,
    log: &std::path::Path,
    ready: impl FnMut() -> bool,
) -> Result<()> {
    ctx.progress.step(
        infra.name(),
        format!(
            "waiting up to {}s for 127.0.0.1:{}",
            timeout.as_secs(),
            infra.port()
        ),
    );
    if net::wait_for(timeout, ready) {
        return Ok(());
    }
    crate::exec::print_tail(ctx, log, 20);
    anyhow::bail!(
        "{} did not get ready on 127.0.0.1:{} within {}s; see {}. It may still be starting: \
         `cargo xtask down` stops it, or set {} to a server you run yourself",
        infra.name(),
        infra.port(),
        timeout.as_secs(),
        ctx.paths.show(log),
        infra.env_var()
    )
}
