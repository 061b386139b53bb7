//! `loadgen drill`: one drill against the suite through the gateway, for `cargo xtask drill`,
//! which applies the fault. On stdout, one JSON line per step; on stdin, xtask's answers:
//!
//! 1. (`network` only) `{"step":"proxy","url":"amqp://...@127.0.0.1:<port>/..."}`: the broker
//!    URL through a proxy this process runs; xtask restarts order-service on it and writes a
//!    line.
//!    (`replica` only) `{"step":"replicas"}`: xtask starts a second order-service,
//!    product-service and gateway on the suite's databases and queue and answers one JSON line,
//!    `{"orders":[url, url],"products":[url, url],"gateways":[api, api]}`, the replica it will
//!    kill last in each; every call then goes to the gateways in turn (both list both copies
//!    of each backend). Without `gateways`, `/orders` and `/products` go to the replicas in
//!    turn, the rest through the gateway.
//! 2. `{"step":"fault"}` once the load has run a while; xtask applies the fault and, when the
//!    suite has everything back, writes one line: what it did (or `error: ...`). The `network`
//!    fault is this process's own: the proxy severed for `--outage-secs`, then restored; so is
//!    `poison` (messages published into every queue of `--exchange` on `--broker-url`, the
//!    dead letters read and replayed through the admin API). While xtask keeps Redis away
//!    (`redis`), the probes of [`super::redis`] run beside the load.
//! 3. `{"step":"row","row":{...}}`: the [`Row`](super::Row), once the checks held or gave up
//!    (and, as for every `loadgen` command, the row alone as the last line, from `main`).

use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};
use shared::{
    events::topology,
    testing::{TcpProxy, socket_addr_of},
};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines, Stdin};

use super::{
    Setup, Timing, api,
    check::Finding,
    load::Plan,
    poison,
    redis::Probe,
    replica::{self, Pool},
};

type Input = Lines<BufReader<Stdin>>;

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
    /// The broker order-service uses (`network`, `poison`).
    pub broker_url: Option<String>,
    /// The suite's exchange (`poison`).
    pub exchange: String,
}

/// The replicas xtask started, `/orders` and `/products` spread over them (`replica`); or,
/// when xtask started a second gateway too, every call spread over the gateways, which spread
/// theirs over the replicas.
struct Replicas {
    orders: std::sync::Arc<Pool>,
    products: std::sync::Arc<Pool>,
    /// The gateways' API bases (`None`: one gateway, `/orders` and `/products` called on the
    /// replicas directly).
    gateways: Option<std::sync::Arc<Pool>>,
    /// The replica of each that xtask kills, and the gateway.
    doomed: (String, String, Option<String>),
}

/// Asks xtask for the replicas and routes over them.
async fn replicas(stdin: &mut Input) -> Result<Replicas> {
    say(json!({ "step": "replicas" }));
    let line = answer(stdin).await?;
    if let Some(error) = line.strip_prefix("error: ") {
        bail!("{error}");
    }
    let urls: Value = serde_json::from_str(&line).context("xtask's replicas")?;
    let list = |name: &str| -> Result<Vec<String>> {
        let urls: Vec<String> = urls[name]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_owned))
            .collect();
        if urls.len() < 2 {
            bail!(
                "xtask named {} {name} replicas, the drill needs two",
                urls.len()
            );
        }
        Ok(urls)
    };
    let (orders, products) = (list("orders")?, list("products")?);
    let gateways = urls.get("gateways").map(|_| list("gateways")).transpose()?;
    Ok(Replicas {
        doomed: (
            orders[orders.len() - 1].clone(),
            products[products.len() - 1].clone(),
            gateways.as_ref().map(|g| g[g.len() - 1].clone()),
        ),
        orders: Pool::new(&orders),
        products: Pool::new(&products),
        gateways: gateways.as_deref().map(Pool::new),
    })
}

/// The poison fault, this process's own: what it did; its findings go to `found`.
async fn poison_fault(setup: &Setup, params: &Params, found: &mut Vec<Finding>) -> Result<String> {
    let amqp = params
        .broker_url
        .as_deref()
        .ok_or_else(|| anyhow!("the poison drill needs --broker-url"))?;
    let queues = poison::queues(&params.exchange, &topology::QUEUES);
    let marker = format!("drill-{}-poison", params.run);
    let published = poison::publish(amqp, &queues, &marker).await?;
    let patience = tokio::time::Instant::now() + Duration::from_secs(120);
    let (api, admin) = (&setup.api, &setup.admin);
    let (first, took) =
        poison::dead_lettered(api, admin, &published, &marker, "published", patience).await?;
    found.extend(first);
    let replayed = poison::replay(api, admin, &published).await?;
    let patience = tokio::time::Instant::now() + Duration::from_secs(120);
    let (again, retook) =
        poison::dead_lettered(api, admin, &published, &marker, "replayed", patience).await?;
    found.extend(again);
    Ok(format!(
        "{} poison messages (a body that is not JSON and an envelope no handler can apply) \
         into each of {} queues; all in the dead-letter queue after {:.1} s; {replayed} \
         replayed, back in it after {:.1} s",
        published.len(),
        poison::by_queue(&published).len(),
        took.as_secs_f64(),
        retook.as_secs_f64()
    ))
}

/// xtask's fault, with the Redis probes beside it while it lasts (`redis`).
async fn xtask_fault(
    stdin: &mut Input,
    kind: &str,
    probe: Option<&Probe>,
    found: &mut Vec<Finding>,
) -> Result<String> {
    say(json!({ "step": "fault", "kind": kind }));
    let (over, heard) = tokio::sync::oneshot::channel::<()>();
    let reply = async {
        let line = answer(stdin).await;
        let _ = over.send(());
        line
    };
    let probes = async {
        match probe {
            Some(probe) => Some(
                probe
                    .during(async {
                        let _ = heard.await;
                    })
                    .await,
            ),
            None => None,
        }
    };
    let (line, probed) = tokio::join!(reply, probes);
    if let Some((seen, findings)) = probed {
        eprintln!("{kind}: while Redis was away: {}", json!(seen));
        found.extend(findings);
    }
    let line = line?;
    match line.strip_prefix("error: ") {
        Some(error) => Err(anyhow!("{error}")),
        None => Ok(line),
    }
}

/// Runs the drill; the row as JSON.
pub async fn run(params: &Params) -> Result<serde_json::Value> {
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let kind = params.kind.as_str();
    let proxy = match (&params.broker_url, kind) {
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
    let replicas = match kind {
        "replica" => Some(replicas(&mut stdin).await?),
        _ => None,
    };
    let (setup, probe) = prepare(params, kind, replicas.as_ref()).await?;
    // A kill is over at once: the replica drill loads both copies a while before it and the
    // survivors a while after, so that orders of every stage span it.
    let (before, after) = if kind == "replica" { (15, 20) } else { (5, 8) };
    let timing = Timing {
        before: Duration::from_secs(before),
        fault: Duration::from_secs(params.outage_secs),
        after: Duration::from_secs(after),
        settle: Duration::from_secs(180),
        subscribers: SUBSCRIBERS,
    };
    let prefix = format!("drill-{}-{}", params.run, kind);
    let outage = Duration::from_secs(params.outage_secs);
    let mut found = Vec::new();
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
        if kind == "poison" {
            return poison_fault(&setup, params, &mut found).await;
        }
        let done = xtask_fault(&mut stdin, kind, probe.as_ref(), &mut found).await;
        if let (Some(r), Ok(_)) = (&replicas, &done) {
            // Killed now: out of the turn, as a load balancer's health check would take it.
            r.orders.down(&r.doomed.0);
            r.products.down(&r.doomed.1);
            if let (Some(gateways), Some(doomed)) = (&r.gateways, &r.doomed.2) {
                gateways.down(doomed);
            }
        }
        done
    };
    let mut row = super::run(&setup, Plan::STEADY, timing, &prefix, fault).await?;
    row.drill = params.kind.clone();
    row.extend(found);
    if let Some(probe) = &probe {
        row.extend(probe.after(Duration::from_secs(60)).await);
    }
    let row = serde_json::to_value(row)?;
    say(json!({ "step": "row", "row": row }));
    Ok(row)
}

/// The API through the gateway (or around the replicas), the admin, the redis drill's probe,
/// and the drill's customers and products.
async fn prepare(
    params: &Params,
    kind: &str,
    replicas: Option<&Replicas>,
) -> Result<(Setup, Option<Probe>)> {
    let gateway = api::under(&params.gateway);
    let routes = match replicas {
        Some(Replicas {
            gateways: Some(gateways),
            ..
        }) => replica::spread(gateways.clone()),
        Some(r) => replica::routes(r.orders.clone(), r.products.clone(), gateway),
        None => gateway,
    };
    let api = api::Api::new(routes)?;
    let admin = api
        .account(&params.admin_email, &params.admin_password)
        .await?;
    let probe = match kind {
        "redis" => Some(Probe::enlist(&api, &admin, &params.run, Duration::from_secs(60)).await?),
        _ => None,
    };
    let mut customers = Vec::new();
    for i in 0..CUSTOMERS {
        let email = format!("drill-{}-{}-{i}@example.com", params.run, kind);
        customers.push(api.register(&email, &format!("Drill Customer {i}")).await?);
    }
    let name = format!("Drill {} {}", kind, params.run);
    let setup = Setup::new(api, admin, customers, &name, STOCK).await?;
    eprintln!("{kind}: {CUSTOMERS} customers registered, products created");
    Ok((setup, probe))
}

/// One line on stdout, at once.
fn say(line: serde_json::Value) {
    println!("{line}");
}

/// xtask's next line.
async fn answer(stdin: &mut Input) -> Result<String> {
    stdin
        .next_line()
        .await?
        .map(|line| line.trim().to_owned())
        .ok_or_else(|| anyhow!("xtask closed stdin before answering"))
}
