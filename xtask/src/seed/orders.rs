//! The demo orders: the seeded customers and the catalog, as the API lists them to the admin,
//! piped as JSON into `order-service seed`, which writes 18 historical orders (with the events
//! they would have published) into order-service's own database. They cannot go through the
//! API, which dates every order "now" (see `order-service/src/seed.rs`). Running it again
//! inserts nothing.

use serde_json::{Value, json};

use std::{
    io::Write as _,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result, anyhow, bail};

use super::api::{Gateway, Reply};
use crate::{
    ctx::Ctx,
    exec,
    infra::{Infra, Urls},
};

/// The package and binary that writes the orders.
const BINARY: &str = "order-service";
/// Items per page of the lists (the most both services allow).
const PAGE: u64 = 100;
/// How long `order-service seed` may take (it gives up on MongoDB after a few seconds).
const SEED_TIMEOUT: Duration = Duration::from_secs(120);

/// What `order-service seed` reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Orders inserted now.
    pub created: u64,
    /// Orders there from an earlier seed.
    pub already_there: u64,
    /// The seed's orders by status: `("DELIVERED", 8)`.
    pub by_status: Vec<(String, u64)>,
}

impl Seeded {
    /// `18 created, 0 already there (CANCELLED 2, DELIVERED 8, ...)`.
    pub fn line(&self) -> String {
        let statuses: Vec<String> = self
            .by_status
            .iter()
            .map(|(status, n)| format!("{status} {n}"))
            .collect();
        format!(
            "{} created, {} already there ({})",
            self.created,
            self.already_there,
            statuses.join(", ")
        )
    }
}

/// Lists the customers whose e-mail is in `seeded` (with the admin's `token`) and every
/// product, and has `order-service seed` write the orders for them.
pub fn run(ctx: &Ctx, gateway: &Gateway, token: &str, seeded: &[&str]) -> Result<Seeded> {
    let customers = list(ctx, gateway, "/customers", Some(token))?;
    let products = list(ctx, gateway, "/products", None)?;
    let input = input(&customers, &products, seeded);
    let binary = ctx.paths.binary(BINARY);
    if !binary.exists() {
        let mut build = exec::cargo();
        build
            .current_dir(&ctx.paths.root)
            .args(["build", "-p", BINARY]);
        exec::run(
            ctx,
            "seed",
            &mut build,
            "fix the build, then `cargo xtask seed`",
        )?;
    }
    let mut cmd = Command::new(&binary);
    cmd.arg("seed")
        .current_dir(&ctx.paths.root)
        .envs(urls().env())
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
        );
    ctx.progress.step(
        "seed",
        format!(
            "$ {} < {} customers and {} products as JSON",
            exec::describe(&cmd),
            count(&input, "customers"),
            count(&input, "products")
        ),
    );
    let stdout = pipe(cmd, &input.to_string())?;
    let seeded = report(&stdout)?;
    ctx.progress
        .step("seed", format!("orders: {}", seeded.line()));
    Ok(seeded)
}

/// What `cargo xtask up` gives order-service: the configured URL of each dependency, or the
/// local server's (as `infra::ensure_all` decides them).
fn urls() -> Urls {
    let url = |infra: Infra| {
        infra
            .env_url()
            .unwrap_or_else(|| infra.local_url().to_owned())
    };
    Urls {
        mongodb: url(Infra::Mongodb),
        amqp: url(Infra::Rabbitmq),
        redis: url(Infra::Redis),
        smtp: url(Infra::Smtp),
    }
}

/// Every item of a paged list (`GET /api<path>?page=&limit=100`).
fn list(ctx: &Ctx, gateway: &Gateway, path: &str, token: Option<&str>) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    for page in 1.. {
        let mut request = gateway.request("GET", &format!("{path}?page={page}&limit={PAGE}"));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let reply = gateway.send(ctx, &request)?;
        let (found, total) = page_of(&reply).with_context(|| format!("GET /api{path}"))?;
        let empty = found.is_empty();
        items.extend(found);
        if empty || items.len() as u64 >= total {
            break;
        }
    }
    Ok(items)
}

/// `data` and `meta.total` of a 200 list answer.
fn page_of(reply: &Reply) -> Result<(Vec<Value>, u64)> {
    if reply.status != 200 {
        bail!("{}", reply.describe());
    }
    let items = reply
        .json
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("200 without a data list"))?;
    let total = super::api::total(reply)?;
    Ok((items.to_vec(), total))
}

/// `{customers: [{id, email, name, address}], products: [{id, name, price, stock}]}`: the
/// customers of the seed only (not whoever else registered), every product.
fn input(customers: &[Value], products: &[Value], seeded: &[&str]) -> Value {
    let pick = |item: &Value, fields: &[&str]| {
        Value::Object(
            fields
                .iter()
                .filter_map(|f| item.get(f).map(|v| ((*f).to_owned(), v.clone())))
                .collect(),
        )
    };
    let customers = customers
        .iter()
        .filter(|c| {
            c.get("email")
                .and_then(Value::as_str)
                .is_some_and(|e| seeded.iter().any(|s| s.eq_ignore_ascii_case(e)))
        })
        .map(|c| pick(c, &["id", "email", "name", "address"]))
        .collect();
    // A product sold in variants is not ordered itself (its variants are not listed).
    let products = products
        .iter()
        .filter(|p| !super::variants::sold_in_variants(p))
        .map(|p| pick(p, &["id", "name", "price", "stock"]))
        .collect();
    json!({ "customers": Value::Array(customers), "products": Value::Array(products) })
}

fn count(input: &Value, list: &str) -> usize {
    input
        .get(list)
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// Runs `cmd` with `stdin` written to it; its stdout, or an error with its stderr.
fn pipe(mut cmd: Command, stdin: &str) -> Result<String> {
    let program = exec::describe(&cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run `{program}`"))?;
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    if let Some(mut input) = child.stdin.take() {
        // A child that exits early closes the pipe; its stderr says why.
        let _ = input.write_all(stdin.as_bytes());
    }
    let status = wait(&mut child, SEED_TIMEOUT);
    let (stdout, stderr) = (stdout.join(), stderr.join());
    let stdout = stdout.unwrap_or_default();
    let stderr = stderr.unwrap_or_default();
    match status? {
        Some(status) if status.success() => Ok(stdout),
        Some(status) => bail!("`{program}` failed ({status}): {}", stderr.trim()),
        None => bail!(
            "`{program}` did not finish within {}s and was stopped; is the binary older than \
             its `seed` subcommand? `cargo build -p {BINARY}`",
            SEED_TIMEOUT.as_secs()
        ),
    }
}

fn reader(pipe: Option<impl std::io::Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Waits for `child` up to `timeout`; past it, kills it and answers `None`.
fn wait(child: &mut Child, timeout: Duration) -> Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Reads the report line: `{"created": 18, "alreadyThere": 0, "byStatus": {"DELIVERED": 8}}`.
fn report(stdout: &str) -> Result<Seeded> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| anyhow!("`{BINARY} seed` printed no report"))?;
    let json: Value = serde_json::from_str(line)
        .map_err(|e| anyhow!("`{BINARY} seed` reported {line:?}: {e}"))?;
    // A whole, non-negative count.
    let number = |value: Option<&Value>| value.and_then(Value::as_u64);
    let field = |name: &str| {
        number(json.get(name)).ok_or_else(|| anyhow!("`{BINARY} seed` reported no {name}: {line}"))
    };
    Ok(Seeded {
        created: field("created")?,
        already_there: field("alreadyThere")?,
        by_status: json
            .get("byStatus")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(status, n)| Some((status.clone(), number(Some(n))?)))
            .collect(),
    })
}

#[cfg(test)]
mod tests;
