//! `cargo xtask bench search`: catalog search (`GET /products?search=…&sort=relevance`) by
//! meaning against search by words, side by side in one run (issue 21): requests per second,
//! p50/p95/p99 and the service's memory with the embedding model loaded and without it.
//!
//! Two release builds of product-service run at once on spare ports over one database
//! (`bench_<run>_products`): one with `EMBEDDING_MODEL_DIR` (the pinned all-MiniLM-L6-v2), one
//! without (words only, today's fallback). A customer-service beside them signs the admin
//! token the catalog is written with. The catalog is the seed's 25 products, each also in
//! [`COPIES`] − 1 numbered copies, written through the service with the model, so every
//! product carries its embedding; the other reads the same documents. The queries mix exact
//! words with needs told in other words. Load comes from client threads in this process (a
//! second process from the services), one connection a request; each service is measured
//! alone, the words-only one first, after a warm-up that is not counted.

use serde_json::Value;

use std::{
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, bail};

use super::{
    machine::{self, Machine},
    stack::{self, leftovers::Leftovers, percentile},
};
use crate::{ctx::Ctx, http, seed};

mod report;

use report::report;

/// Copies of each seed product in the catalog (the seed's own included).
const COPIES: usize = 8;
/// Measured requests per service, over all threads.
const REQUESTS: usize = 2000;
/// Client threads.
const THREADS: usize = 4;
/// Requests before the measurement, not counted.
const WARM_UP: usize = 200;
/// Longest wait for one answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The service's log level: per-request `info` lines would be measured too.
const LOG_LEVEL: &str = "warn";

/// What shoppers type: the catalog's own words, and needs in other words.
const QUERIES: [&str; 16] = [
    "headphones",
    "coffee",
    "yoga mat",
    "backpack",
    "lamp",
    "water bottle",
    "keyboard",
    "running shoes",
    "a gift for someone who loves cooking",
    "something to keep my drink hot",
    "block out noise on a plane",
    "help me sleep better",
    "stay fit at home",
    "carry my laptop to work",
    "light for reading at night",
    "present for a teenager who games",
];

/// The two ways a service searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Words,
    Meaning,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Self::Words => "words only (no model)",
            Self::Meaning => "words + meaning (model loaded)",
        }
    }

    fn process(self) -> &'static str {
        match self {
            Self::Words => "product-service-words",
            Self::Meaning => "product-service-meaning",
        }
    }
}

/// The figures of one service.
#[derive(Debug, Clone, PartialEq)]
struct Figures {
    mode: Mode,
    requests: usize,
    errors: usize,
    per_sec: f64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
    /// `VmRSS` once healthy, before the catalog was written, KiB.
    idle_kib: Option<u64>,
    /// `VmRSS` and `VmHWM` after the measurement, KiB.
    after_kib: Option<u64>,
    peak_kib: Option<u64>,
    first_error: Option<String>,
}

/// Distinct searches before one repeats: every query at every page size and page.
const DISTINCT: usize = QUERIES.len() * 50 * 10;
/// Where the warm-up's searches start among them, away from the measured ones.
const WARM_UP_FROM: usize = DISTINCT / 2;

/// The `i`-th distinct search (its query, page size and page): no two of the first
/// [`DISTINCT`] share a cache key, so each is searched, not read back from the cache.
fn nth(i: usize) -> (&'static str, usize, usize) {
    let i = i % DISTINCT;
    let n = QUERIES.len();
    (QUERIES[i % n], 1 + (i / n) % 50, 1 + i / (n * 50))
}

/// One search; its time, and the error when it did not answer 200 with a list.
fn search(port: u16, (query, limit, page): (&str, usize, usize)) -> (Duration, Option<String>) {
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect();
    let path = format!("/products?search={encoded}&sort=relevance&limit={limit}&page={page}");
    let begun = Instant::now();
    let reply = http::get(port, &path, TIMEOUT);
    let elapsed = begun.elapsed();
    let error = match reply {
        Ok(r) if r.status == 200 && r.json().get("data").is_some_and(Value::is_array) => None,
        Ok(r) => Some(format!("{} {path}: {}", r.status, r.text)),
        Err(e) => Some(format!("{path}: {e}")),
    };
    (elapsed, error)
}

/// `per_thread` searches on each of `threads` threads, distinct searches from the `from`-th
/// on ([`nth`]); every sample and the wall time.
fn load(
    port: u16,
    threads: usize,
    per_thread: usize,
    from: usize,
) -> (Vec<(Duration, Option<String>)>, Duration) {
    stack::on_threads(threads, move |thread| {
        (0..per_thread)
            .map(|n| search(port, nth(from + thread * per_thread + n)))
            .collect()
    })
}

/// Builds, starts, measures, writes `bench/results/search.{json,md}`; stops what it started.
pub fn run(ctx: &Ctx) -> Result<()> {
    // loadgen: it removes the run's databases and queues at the end.
    let (mut cleanup, urls) =
        stack::begin(ctx, &["customer-service", "product-service", "loadgen"])?;
    let run = stack::run_id();
    let leftovers = Leftovers::new("search", &run, &urls);
    let exchange = leftovers.exchange.clone();
    cleanup.started.leftovers.push(leftovers);
    let [customers, words, meaning] = stack::spare_ports::<3>()?;
    let jwks = format!("http://127.0.0.1:{customers}/.well-known/jwks.json");
    let service = |name: &str, port: u16, db: &str| {
        let mut cmd = Command::new(ctx.paths.release_binary(name));
        cmd.current_dir(&ctx.paths.root)
            .envs(urls.env())
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("RUST_LOG", LOG_LEVEL)
            .env("MONGODB_DB", format!("bench_{run}_{db}"))
            .env("REDIS_PREFIX", format!("bench:{run}:"))
            .env("EVENTS_EXCHANGE", &exchange)
            .env("JWKS_URL", &jwks)
            .env(
                "CUSTOMER_SERVICE_URL",
                format!("http://127.0.0.1:{customers}"),
            )
            .env("LOGIN_MAX_PER_CLIENT", "1000000000")
            .env("LOGIN_DELAY_MS", "0");
        cmd
    };
    let cmd = service("customer-service", customers, "customers");
    stack::spawn(ctx, &mut cleanup.started, "customer-service", cmd)?;
    stack::wait_until(ctx, &mut cleanup.started, "customer-service", || {
        stack::healthy(customers)
    })?;
    let mut idle = Vec::new();
    for (mode, port) in [(Mode::Words, words), (Mode::Meaning, meaning)] {
        let mut cmd = service("product-service", port, "products");
        match mode {
            Mode::Words => {
                cmd.env_remove(crate::model::ENV);
            }
            Mode::Meaning => {
                cmd.envs(crate::model::env(ctx));
            }
        }
        stack::spawn(ctx, &mut cleanup.started, mode.process(), cmd)?;
        stack::wait_until(ctx, &mut cleanup.started, mode.process(), || {
            stack::healthy(port)
        })?;
        let embeddings = embeddings(port);
        if (mode == Mode::Meaning) != (embeddings == "on") {
            bail!(
                "{} says embeddings {embeddings}: the comparison would be meaningless",
                mode.process()
            );
        }
        let pid = stack::pid_of(&cleanup.started, mode.process()).unwrap_or(0);
        idle.push(stack::vm_kib(pid, "VmRSS"));
    }

    let token = admin_token(customers)?;
    write_catalog(ctx, meaning, &token)?;
    let load_before = machine::load_average();
    let mut figures = Vec::new();
    for ((mode, port), idle_kib) in [(Mode::Words, words), (Mode::Meaning, meaning)]
        .into_iter()
        .zip(idle)
    {
        figures.push(measure_mode(ctx, &cleanup.started, mode, port, idle_kib)?);
    }
    drop(cleanup);

    refuse_failures(&figures)?;
    let machine = Machine::describe(ctx, Vec::new(), load_before);
    report(ctx, &figures, &machine)
}

/// Warms `mode`'s service on `port` up, then measures its searches from `THREADS` threads.
fn measure_mode(
    ctx: &Ctx,
    started: &crate::cleanup::Started,
    mode: Mode,
    port: u16,
    idle_kib: Option<u64>,
) -> Result<Figures> {
    ctx.progress.step(
        "bench",
        format!("{}: {WARM_UP} searches to warm up", mode.process()),
    );
    let (warm, _) = load(port, THREADS, WARM_UP / THREADS, WARM_UP_FROM);
    if let Some(error) = warm.iter().find_map(|(_, e)| e.clone()) {
        bail!("warming up {}, a search failed: {error}", mode.process());
    }
    ctx.progress.step(
        "bench",
        format!(
            "{}: measuring {REQUESTS} searches from {THREADS} threads",
            mode.process()
        ),
    );
    let (samples, wall) = load(port, THREADS, REQUESTS / THREADS, 0);
    let pid = stack::pid_of(started, mode.process()).unwrap_or(0);
    Ok(measure(
        mode,
        &samples,
        wall,
        idle_kib,
        (stack::vm_kib(pid, "VmRSS"), stack::vm_kib(pid, "VmHWM")),
    ))
}

/// Refuses figures with failed searches: they would be meaningless.
fn refuse_failures(figures: &[Figures]) -> Result<()> {
    for f in figures {
        if f.errors > 0 {
            bail!(
                "{} of {} searches failed ({}): the figures would be meaningless; first: {}",
                f.errors,
                f.requests,
                f.mode.label(),
                f.first_error.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(())
}

/// The service's `features.embeddings` on `/health` (`on`, `off`, or `?`).
fn embeddings(port: u16) -> String {
    http::get(port, "/health", TIMEOUT)
        .ok()
        .and_then(|r| {
            let h = r.json();
            let health = h.get("data").unwrap_or(&h);
            health
                .pointer("/features/embeddings")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// Signs the admin in at customer-service; the access token.
fn admin_token(port: u16) -> Result<String> {
    let [(email, password), _] = seed::credentials()?;
    let body = serde_json::json!({ "email": email, "password": password });
    let reply = http::Request::new("POST", &format!("http://127.0.0.1:{port}/auth/login"))
        .json(body.to_string())
        .send(TIMEOUT)
        .context("signing the admin in at customer-service")?;
    reply
        .json()
        .pointer("/data/accessToken")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("admin login answered {}: {}", reply.status, reply.text))
}

/// Writes the catalog through the service with the model (each product embedded as it is
/// created): the seed's products, and numbered copies of them.
fn write_catalog(ctx: &Ctx, port: u16, token: &str) -> Result<()> {
    let products = seed::catalog()?;
    let url = format!("http://127.0.0.1:{port}/products");
    let total = products.len() * COPIES;
    ctx.progress
        .step("bench", format!("writing the catalog: {total} products"));
    for copy in 0..COPIES {
        for product in &products {
            let mut body = product.clone();
            if copy > 0 {
                let name = body["name"].as_str().unwrap_or("product").to_owned();
                body["name"] = Value::from(format!("{name} ({})", copy + 1));
            }
            let reply = http::Request::new("POST", &url)
                .header("Authorization", &format!("Bearer {token}"))
                .json(body.to_string())
                .send(TIMEOUT)?;
            if reply.status != 201 {
                bail!("POST /products answered {}: {}", reply.status, reply.text);
            }
        }
    }
    Ok(())
}

fn measure(
    mode: Mode,
    samples: &[(Duration, Option<String>)],
    wall: Duration,
    idle_kib: Option<u64>,
    (after_kib, peak_kib): (Option<u64>, Option<u64>),
) -> Figures {
    let mut times: Vec<Duration> = samples.iter().map(|(t, _)| *t).collect();
    times.sort_unstable();
    let seconds = wall.as_secs_f64();
    Figures {
        mode,
        requests: samples.len(),
        errors: samples.iter().filter(|(_, e)| e.is_some()).count(),
        per_sec: if seconds > 0.0 {
            samples.len() as f64 / seconds
        } else {
            0.0
        },
        p50: percentile(&times, 50.0),
        p95: percentile(&times, 95.0),
        p99: percentile(&times, 99.0),
        max: times.last().copied().unwrap_or_default(),
        idle_kib,
        after_kib,
        peak_kib,
        first_error: samples.iter().find_map(|(_, e)| e.clone()),
    }
}

#[cfg(test)]
mod tests;
