//! The seven services: their ports, the build, launching them detached, and waiting for
//! their `/health`.

use std::{
    fs::OpenOptions,
    io::Write as _,
    os::unix::process::CommandExt as _,
    process::{Child, Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context as _, Result, anyhow, bail};

use crate::{ctx::Ctx, exec, health, infra::Urls, proc};

/// One service: binary (= package) name, port, the variable the gateway reads its URL from,
/// and its database.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// Binary and package name.
    pub name: &'static str,
    /// HTTP port (DESIGN.md); [`Service::port`] is where it runs, shifted by
    /// [`PORT_OFFSET_VAR`].
    pub design_port: u16,
    /// The gateway's variable for this service's URL (`None` for the gateway).
    pub gateway_var: Option<&'static str>,
    /// Its database's default name (`None`: it has none).
    pub database: Option<&'static str>,
}

const fn backend(
    name: &'static str,
    port: u16,
    var: &'static str,
    database: &'static str,
) -> Service {
    Service {
        name,
        design_port: port,
        gateway_var: Some(var),
        database: Some(database),
    }
}

/// In start order: the backends, then the gateway in front of them.
pub const SERVICES: [Service; 7] = [
    backend("order-service", 5001, "ORDER_SERVICE_URL", "orders"),
    backend("product-service", 5002, "PRODUCT_SERVICE_URL", "products"),
    backend(
        "customer-service",
        5003,
        "CUSTOMER_SERVICE_URL",
        "customers",
    ),
    backend("alert-service", 5004, "ALERT_SERVICE_URL", "alerts"),
    backend(
        "analytics-service",
        5005,
        "ANALYTICS_SERVICE_URL",
        "analytics",
    ),
    backend(
        "assistant-service",
        5006,
        "ASSISTANT_SERVICE_URL",
        "assistant",
    ),
    Service {
        name: "gateway",
        design_port: 5000,
        gateway_var: None,
        database: None,
    },
];

/// `XTASK_PORT_OFFSET=<n>`: the suite xtask starts, checks and drills runs on 5000+n to
/// 5006+n, so that a second suite on one machine leaves `up`'s ports to the first.
pub const PORT_OFFSET_VAR: &str = "XTASK_PORT_OFFSET";
/// `XTASK_NAMESPACE=<name>`: that suite's databases are `<name>_<database>`, its exchange
/// `<name>.events` and its Redis prefix `<name>:`, so that it shares no queue, document or
/// key with the first.
pub const NAMESPACE_VAR: &str = "XTASK_NAMESPACE";

/// The port offset ([`PORT_OFFSET_VAR`]; 0 when unset or not a number that keeps every port
/// valid).
pub fn port_offset() -> u16 {
    parse_offset(std::env::var(PORT_OFFSET_VAR).ok().as_deref())
}

fn parse_offset(value: Option<&str>) -> u16 {
    value
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|n| n.checked_add(5006).is_some())
        .unwrap_or(0)
}

/// The namespace ([`NAMESPACE_VAR`]), when set to a name of letters, digits and `_`.
pub fn namespace() -> Option<String> {
    std::env::var(NAMESPACE_VAR)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The variables that put a service on the shifted ports and in the namespace: every other
/// service's URL and the signing keys' (the defaults name 5000–5006), and the namespace's
/// database, exchange and Redis prefix. Empty when neither is set.
pub fn placement_env(service: &Service) -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    if port_offset() != 0 {
        for other in SERVICES.iter() {
            if let Some(var) = other.gateway_var {
                env.push((var, other.url()));
            }
        }
        let customers = SERVICES.iter().find(|s| s.name == "customer-service");
        if let Some(customers) = customers {
            env.push((
                "JWKS_URL",
                format!("{}/.well-known/jwks.json", customers.url()),
            ));
        }
        if service.is_gateway() {
            // The default metrics listener (9100) belongs to the first suite's gateway.
            env.push((
                "METRICS_ADDR",
                format!("127.0.0.1:{}", 9100 + port_offset()),
            ));
        }
        env.push((
            "GATEWAY_METRICS_URL",
            format!("http://127.0.0.1:{}", 9100 + port_offset()),
        ));
    }
    if let Some(name) = namespace() {
        if let Some(db) = service.database {
            env.push(("MONGODB_DB", format!("{name}_{db}")));
        }
        env.push(("EVENTS_EXCHANGE", exchange_in(&name)));
        env.push(("REDIS_PREFIX", format!("{name}:")));
    }
    env
}

/// The namespace's exchange.
pub fn exchange_in(namespace: &str) -> String {
    format!("{namespace}.events")
}

/// Starts the line `launch` writes into a service's log before each start.
const RUN_MARKER: &str = "=== cargo xtask up: starting";

/// How long a service may take to answer `/health`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(60);

impl Service {
    /// Where it runs: its DESIGN.md port plus [`port_offset`].
    pub fn port(&self) -> u16 {
        self.design_port + port_offset()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Whether this is the gateway.
    pub fn is_gateway(&self) -> bool {
        self.gateway_var.is_none()
    }
}

/// `cargo build --workspace --bins` (dev profile).
pub fn build(ctx: &Ctx) -> Result<()> {
    let started = Instant::now();
    let mut cmd = exec::cargo();
    cmd.current_dir(&ctx.paths.root)
        .args(["build", "--workspace", "--bins"]);
    let hint = "fix the build errors above, then run `cargo xtask up` again";
    exec::run(ctx, "build", &mut cmd, hint)?;
    let seconds = started.elapsed().as_secs_f64();
    ctx.progress.step("build", format!("done in {seconds:.1}s"));
    Ok(())
}

/// What `launch` did.
pub enum Launch {
    /// Something already answers `/health` on the port: not started again.
    AlreadyRunning,
    /// Started; the child lets us notice an early exit.
    Spawned(Child),
}

/// Starts `service` detached (own process group, output appended to its log, pid file
/// written), unless its port already answers `/health`. `extra` variables come last, so
/// they win (e.g. the high rate limits `cargo xtask fuzz` gives the gateway).
pub fn launch(
    ctx: &Ctx,
    service: &Service,
    urls: &Urls,
    extra: &[(&str, String)],
) -> Result<Launch> {
    if let Ok(reply) = health::check(service.port(), "/health")
        && reply.is_healthy()
    {
        let message = format!(
            "already running on :{} ({}); not starting a second copy",
            service.port(),
            reply.summary()
        );
        ctx.progress.step(service.name, message);
        return Ok(Launch::AlreadyRunning);
    }
    let binary = ctx.paths.binary(service.name);
    if !binary.exists() {
        bail!("{} is missing: did the build succeed?", binary.display());
    }
    let log_path = ctx.paths.log(service.name);
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    writeln!(log, "{RUN_MARKER} {} at {} ===", service.name, utc_now())?;

    let mut cmd = Command::new(&binary);
    cmd.current_dir(&ctx.paths.root)
        .envs(urls.env())
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
        )
        // Explicit, so that a PORT exported in the caller's shell cannot make all seven collide.
        .env("PORT", service.port().to_string())
        .envs(placement_env(service));
    if service.name == "customer-service" {
        // One development signing key for every start, so a restart (or the service drill's
        // SIGKILL) does not sign everyone out. JWT_PRIVATE_KEY, when set, still wins.
        cmd.env(
            "JWT_PRIVATE_KEY_FILE",
            ctx.paths.local().join("run").join("jwt-dev.pem"),
        );
    }
    if matches!(service.name, "customer-service" | "alert-service")
        && std::env::var_os("SERVICE_TOKEN_KEY").is_none()
    {
        // One development service key for both ends of the internal look-ups (a customer's
        // address, the staff to mail the weekly report), kept like the signing key.
        cmd.env("SERVICE_TOKEN_KEY", dev_service_key(ctx)?);
    }
    if service.is_gateway() {
        for backend in SERVICES.iter() {
            if let Some(var) = backend.gateway_var {
                cmd.env(var, backend.url());
            }
        }
    }
    cmd.envs(extra.iter().map(|(k, v)| (k, v)));
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // A process group of its own: Ctrl-C in this terminal does not reach it, and it
        // outlives xtask.
        .process_group(0);
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    proc::write_pid(&ctx.paths.pid(service.name), child.id())?;
    let message = format!(
        "started pid {}, log {}",
        child.id(),
        ctx.paths.show(&log_path)
    );
    ctx.progress.step(service.name, message);
    Ok(Launch::Spawned(child))
}

/// Waits until `/health` answers healthy; fails with the end of the log when the process
/// exits first or the time runs out.
pub fn wait_healthy(
    ctx: &Ctx,
    service: &Service,
    mut child: Option<&mut Child>,
) -> Result<health::Reply> {
    let started = Instant::now();
    loop {
        if let Some(child) = child.as_deref_mut()
            && let Some(status) = child.try_wait()?
        {
            return Err(failure(
                ctx,
                service,
                &format!("exited ({status}) before answering /health"),
            ));
        }
        let last = match health::check(service.port(), "/health") {
            Ok(reply) if reply.is_healthy() => {
                let seconds = started.elapsed().as_secs_f64();
                let message = format!(
                    "healthy after {seconds:.1}s: GET /health {}",
                    reply.summary()
                );
                ctx.progress.step(service.name, message);
                return Ok(reply);
            }
            Ok(reply) => format!("GET /health answered {}", reply.summary()),
            Err(error) => format!("GET /health: {error}"),
        };
        if started.elapsed() > HEALTH_TIMEOUT {
            let why = format!(
                "was not healthy within {}s (last: {last})",
                HEALTH_TIMEOUT.as_secs()
            );
            return Err(failure(ctx, service, &why));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn failure(ctx: &Ctx, service: &Service, why: &str) -> anyhow::Error {
    let log = ctx.paths.log(service.name);
    let mut lines = proc::tail(&log, 20);
    // Only this start's lines: older runs' output would mislead.
    if let Some(start) = lines.iter().rposition(|l| l.starts_with(RUN_MARKER)) {
        lines.drain(..start);
    }
    eprintln!("--- last lines of {} ---", ctx.paths.show(&log));
    for line in lines {
        eprintln!("{line}");
    }
    eprintln!("---");
    anyhow!(
        "{} {why}; its log is {}. Services already started keep running: \
         `cargo xtask status` shows them, `cargo xtask down` stops them",
        service.name,
        ctx.paths.show(&log)
    )
}

/// Now, as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    utc(now.as_secs())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (the services log UTC, too).
fn utc(epoch_seconds: u64) -> String {
    let (days, seconds) = (epoch_seconds / 86_400, epoch_seconds % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (no negative dates here).
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

/// The development service key (Ed25519, PKCS#8 PEM) in `.local/run/service-dev.pem`, made
/// the first time. Only `up` uses it: production gives `SERVICE_TOKEN_KEY` itself.
fn dev_service_key(ctx: &Ctx) -> Result<String> {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
    let path = ctx.paths.local().join("run").join("service-dev.pem");
    if let Ok(pem) = std::fs::read_to_string(&path) {
        return Ok(pem);
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("cannot encode the development service key: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, pem.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(pem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_607_966), "2026-11-25T11:59:26Z");
    }

    #[test]
    fn ports_are_unique_and_the_gateway_starts_last() {
        let mut ports: Vec<u16> = SERVICES.iter().map(|s| s.design_port).collect();
        ports.sort_unstable();
        assert_eq!(ports, (5000..=5006).collect::<Vec<_>>());
        assert!(SERVICES[SERVICES.len() - 1].is_gateway());
        assert_eq!(SERVICES.iter().filter(|s| s.is_gateway()).count(), 1);
    }

    #[test]
    fn an_offset_that_would_leave_the_port_range_is_ignored() {
        assert_eq!(parse_offset(None), 0);
        assert_eq!(parse_offset(Some(" 100 ")), 100);
        assert_eq!(parse_offset(Some("-3")), 0);
        assert_eq!(parse_offset(Some("65000")), 0);
        assert_eq!(parse_offset(Some("many")), 0);
    }
}
