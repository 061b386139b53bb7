//! `loadgen drill`: one drill against the suite through the gateway, for `cargo xtask drill`,
//! which applies the fault. On stdout, one JSON line per step; on stdin, xtask's answers:
//!
//! 1. (`network` only) `{"step":"proxy","url":"amqp://...@127.0.0.1:<port>/..."}`: the broker
//!    URL through a proxy this process runs; xtask restarts order-service on it and writes a
//!    line.
//! 2. `{"step":"fault"}` once the load has run a while; xtask applies the fault and, when the
//!    suite has everything back, writes one line: what it did (or `error: ...`). The `network`
//!    fault is this process's own: the proxy severed for `--outage-secs`, then restored.
//! 3. `{"step":"row","row":{...}}`: the [`Row`](super::Row), once the checks held or gave up
//!    (and, as for every `loadgen` command, the row alone as the last line, from `main`).

use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::json;
use shared::testing::{TcpProxy, socket_addr_of};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines, Stdin};

use super::{Setup, Timing, api, load::Plan};

/// Customers placing orders, and orders followed live.
const CUSTOMERS: usize = 4;
const SUBSCRIBERS: usize = 6;
/// Stock of the drill's products.
const STOCK: (i64, i64) = (100_000, 8);

/// What `loadgen drill` takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// `http://127.0.0.1:5000/api`.
    pub gateway: String,
    /// The admin's credentials.
    pub admin_email: String,
    /// The admin's password.
    pub admin_password: String,
    /// `broker`, `database`, `service` or `network`.
    pub kind: String,
    /// Unique per run: in e-mails, product names and idempotency keys.
    pub run: String,
    /// How long the network is cut (the other faults' length is xtask's).
    pub outage_secs: u64,
    /// The broker order-service uses (`network` only).
    pub broker_url: Option<String>,
}

/// Runs the drill; the row as JSON.
pub async fn run(params: &Params) -> Result<serde_json::Value> {
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let proxy = match (&params.broker_url, params.kind.as_str()) {
        (Some(url), "network") => {
            let proxy = TcpProxy::start(socket_addr_of(url, 5672))
                .await
                .context("cannot start the proxy to the broker")?;
            say(json!({ "step": "proxy", "url": proxy.rewrite(url) }));
            answer(&mut stdin).await?;
            Some(proxy)
        }
        (None, "network") => bail!("the network drill needs --broker-url"),
        _ => None,
    };
    let api = api::Api::new(api::under(&params.gateway))?;
    let admin = api
        .account(&params.admin_email, &params.admin_password)
        .await?;
    let mut customers = Vec::new();
    for i in 0..CUSTOMERS {
        let email = format!("drill-{}-{}-{i}@example.com", params.run, params.kind);
        customers.push(api.register(&email, &format!("Drill Customer {i}")).await?);
    }
    let name = format!("Drill {} {}", params.kind, params.run);
    let setup = Setup::new(api, admin, customers, &name, STOCK).await?;
    eprintln!(
        "{}: {CUSTOMERS} customers registered, products created",
        params.kind
    );
    let timing = Timing {
        before: Duration::from_secs(5),
        fault: Duration::from_secs(params.outage_secs),
        after: Duration::from_secs(8),
        settle: Duration::from_secs(180),
        subscribers: SUBSCRIBERS,
    };
    let prefix = format!("drill-{}-{}", params.run, params.kind);
    let outage = Duration::from_secs(params.outage_secs);
    let fault = async {
        if let Some(proxy) = &proxy {
            proxy.sever();
            let severed = tokio::time::Instant::now();
            tokio::time::sleep(outage).await;
            proxy.restore();
            return Ok(format!(
                "order-service's broker connection severed at a TCP proxy for {:.1} s",
                severed.elapsed().as_secs_f64()
            ));
        }
        say(json!({ "step": "fault", "kind": params.kind }));
        let line = answer(&mut stdin).await?;
        match line.strip_prefix("error: ") {
            Some(error) => Err(anyhow!("{error}")),
            None => Ok(line),
        }
    };
    let mut row = super::run(&setup, Plan::STEADY, timing, &prefix, fault).await?;
    row.drill = params.kind.clone();
    let row = serde_json::to_value(row)?;
    say(json!({ "step": "row", "row": row }));
    Ok(row)
}

/// One line on stdout, at once.
fn say(line: serde_json::Value) {
    println!("{line}");
}

/// xtask's next line.
async fn answer(stdin: &mut Lines<BufReader<Stdin>>) -> Result<String> {
    stdin
        .next_line()
        .await?
        .map(|line| line.trim().to_owned())
        .ok_or_else(|| anyhow!("xtask closed stdin before answering"))
}
