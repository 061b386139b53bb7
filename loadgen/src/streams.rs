//! `loadgen streams`: N SSE and N WebSocket subscribers of one order on one order-service.
//!
//! It signs in as the admin, creates a product, registers a customer and places an order
//! (waiting until the stock saga made it `PROCESSING`), then opens N SSE streams of the order
//! and N WebSockets subscribed to it (or only one kind), each waiting for its snapshot, reading the service's
//! resident memory before, after the SSE streams and after the WebSockets. Then the admin
//! moves the order to `SHIPPED` and to `DELIVERED`, and every subscriber notes when each
//! change reached it: the time from the change being stored (the `at` of its history entry,
//! in milliseconds, from the admin's answer) to the last of the 2N subscribers is the time
//! one change takes to reach them all.
//!
//! Connections come from 127.0.0.1 … 127.0.0.`sources` in turn, so 20,000 of them never run
//! out of ephemeral ports towards one address, and open `connect_concurrency` at a time so
//! the listener's backlog never overflows.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result};
use reqwest::Client;
use serde_json::{Value, json};
use tokio::{
    sync::{Semaphore, mpsc},
    task::JoinSet,
};

use crate::{
    api::Api,
    clock::{now_ms, parse_rfc3339_ms},
    limits,
    stats::{Summary, round3},
};

mod subscribers;

use subscribers::{sse, ws};

/// The parameters of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// order-service's base URL.
    pub orders: String,
    /// customer-service's base URL.
    pub customers: String,
    /// product-service's base URL.
    pub products: String,
    /// The admin account.
    pub admin_email: String,
    /// Its password.
    pub admin_password: String,
    /// Makes names unique (the customer's email, the product's name).
    pub run: String,
    /// Subscribers of each kind.
    pub n: usize,
    /// Whether to open the SSE subscribers.
    pub sse: bool,
    /// Whether to open the WebSocket subscribers.
    pub ws: bool,
    /// order-service's process id, for its resident memory (none: not measured).
    pub pid: Option<u32>,
    /// Longest wait for one change to reach everybody.
    pub reach_secs: f64,
    /// Source addresses 127.0.0.1 … 127.0.0.`sources`.
    pub sources: usize,
    /// Connections being opened at once.
    pub connect_concurrency: usize,
}

/// Which transport a subscriber uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sse,
    Ws,
}

/// One change reaching one subscriber.
struct Arrival {
    kind: Kind,
    status: String,
    wall_ms: f64,
}

/// What every subscriber needs.
struct Target {
    order: String,
    token: String,
    sse_url: String,
    ws_url: String,
    addr: SocketAddr,
    sources: usize,
    gate: Semaphore,
    arrivals: mpsc::UnboundedSender<Arrival>,
    ready: mpsc::UnboundedSender<Result<(), String>>,
}

/// Runs the load; the figures as JSON.
pub async fn run(p: &Params) -> Result<Value> {
    let kinds = usize::from(p.sse) + usize::from(p.ws);
    let limit = limits::raise_open_files((kinds * p.n) as u64 + 1024)?;
    eprintln!("streams: open-file limit {limit}");
    let orders = Api::new(&p.orders)?;
    let (order, token, admin) = setup(p, &orders).await?;

    let (arrivals_tx, mut arrivals) = mpsc::unbounded_channel();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    let target = Arc::new(Target {
        sse_url: orders.url(&format!("/orders/{order}/stream")),
        ws_url: orders.url("/ws/orders").replacen("http://", "ws://", 1),
        addr: socket_addr(&p.orders)?,
        order: order.clone(),
        token,
        sources: p.sources.max(1),
        gate: Semaphore::new(p.connect_concurrency.max(1)),
        arrivals: arrivals_tx,
        ready: ready_tx,
    });
    let clients = sse_clients(p.sources.max(1))?;
    let rss = |_: &str| p.pid.and_then(limits::rss_kib);
    let rss_before = rss("before");
    let mut subscribers = JoinSet::new();

    let sse_n = if p.sse { p.n } else { 0 };
    let ws_n = if p.ws { p.n } else { 0 };
    let begun = Instant::now();
    for i in 0..sse_n {
        let client = clients[i % clients.len()].clone();
        subscribers.spawn(sse(Arc::clone(&target), client));
    }
    let sse_open = wait_ready(&mut ready, sse_n, "SSE").await;
    let sse_secs = begun.elapsed().as_secs_f64();
    settle().await;
    let rss_sse = rss("sse");

    let begun = Instant::now();
    for i in 0..ws_n {
        subscribers.spawn(ws(Arc::clone(&target), i));
    }
    let ws_open = wait_ready(&mut ready, ws_n, "WebSocket").await;
    let ws_secs = begun.elapsed().as_secs_f64();
    settle().await;
    let rss_ws = rss("ws");

    let expected = sse_open.opened + ws_open.opened;
    let reach = Duration::from_secs_f64(p.reach_secs);
    let changes = changes(&orders, &admin, &order, &mut arrivals, expected, reach).await?;
    subscribers.abort_all();

    let per = |after: Option<u64>, before: Option<u64>, count: usize| match (after, before) {
        (Some(a), Some(b)) if count > 0 => {
            json!(round3((a as f64 - b as f64) * 1024.0 / count as f64))
        }
        _ => Value::Null,
    };
    Ok(json!({
        "n": p.n,
        "openFilesLimit": limit,
        "order": order,
        "opened": { "sse": sse_open.opened, "ws": ws_open.opened },
        "openFailures": sse_open.failed + ws_open.failed,
        "firstError": sse_open.first_error.or(ws_open.first_error),
        "openSeconds": { "sse": round3(sse_secs), "ws": round3(ws_secs) },
        "rssKiB": { "before": rss_before, "afterSse": rss_sse, "afterWs": rss_ws },
        "bytesPerStream": {
            "sse": per(rss_sse, rss_before, sse_open.opened),
            "ws": per(rss_ws, rss_sse, ws_open.opened),
            "both": per(rss_ws, rss_before, sse_open.opened + ws_open.opened),
        },
        "changes": changes,
    }))
}

/// The order shipped, then delivered: for each change, when it was stored and when each of
/// the `expected` subscribers heard of it (within `reach`).
async fn changes(
    orders: &Api,
    admin: &str,
    order: &str,
    arrivals: &mut mpsc::UnboundedReceiver<Arrival>,
    expected: usize,
    reach: Duration,
) -> Result<Vec<Value>> {
    let mut changes = Vec::new();
    for status in ["SHIPPED", "DELIVERED"] {
        let sent = now_ms();
        let after = orders.set_status(admin, order, status).await?;
        let answered = now_ms();
        let stored = stored_at(&after, status)
            .with_context(|| format!("no {status} entry with a time in {after}"))?;
        let got = collect(arrivals, status, expected, reach).await;
        eprintln!(
            "streams: {status} reached {} of {expected} subscribers",
            got.len()
        );
        changes.push(change_json(status, expected, &got, stored, sent, answered));
    }
    Ok(changes)
}

/// Admin token, a product, a customer and its `PROCESSING` order: (order, customer token,
/// admin token).
async fn setup(p: &Params, orders: &Api) -> Result<(String, String, String)> {
    let customers = Api::new(&p.customers)?;
    let products = Api::new(&p.products)?;
    let admin = customers
        .login_when_ready(&p.admin_email, &p.admin_password)
        .await
        .context("signing in as the admin")?;
    let product = json!({
        "name": format!("Stream Lamp {}", p.run),
        "description": "The product `loadgen streams` orders.",
        "price": 9.5, "category": "Bench", "tags": ["bench"], "stock": 1000,
    });
    let product = products.create_product(&admin, &product).await?;
    let email = format!("streams-{}@bench.example.com", p.run);
    let token = customers
        .register("Stream Watcher", &email, "bench-password")
        .await?;
    let order = orders.place_order(&token, &product, 1).await?;
    orders.wait_status(&token, &order, "PROCESSING").await?;
    eprintln!(
        "streams: order {order} is PROCESSING; opening {} + {} streams",
        p.n, p.n
    );
    Ok((order, token, admin))
}

/// One reqwest client per source address.
fn sse_clients(sources: usize) -> Result<Vec<Client>> {
    let trust = crate::api::trust()?;
    (0..sources)
        .map(|i| {
            shared::http::client_builder(&trust)
                .local_address(source(i))
                .connect_timeout(Duration::from_secs(10))
                .build()
                .context("cannot build an HTTP client")
        })
        .collect()
}

/// 127.0.0.1, 127.0.0.2, … (every 127/8 address is the loopback on Linux).
fn source(i: usize) -> IpAddr {
    let n = u32::try_from(i % 250).unwrap_or(0) + 1;
    IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 0)) + n))
}

/// `127.0.0.1:5001` from `http://127.0.0.1:5001/...`.
pub fn socket_addr(url: &str) -> Result<SocketAddr> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url} is not an http:// URL"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    authority
        .parse()
        .with_context(|| format!("{url} does not name an IP address and port"))
}

/// The `at` of the history entry that recorded `status` last, in epoch milliseconds.
pub fn stored_at(order: &Value, status: &str) -> Option<f64> {
    order["statusHistory"]
        .as_array()?
        .iter()
        .filter(|entry| entry["status"] == status)
        .max_by_key(|entry| entry["index"].as_i64().unwrap_or(-1))
        .and_then(|entry| parse_rfc3339_ms(entry["at"].as_str()?))
}

/// The `newStatus` of an `order.status_changed` message, found without parsing the whole
/// order it carries (the receiving side must stay cheap at 20,000 messages).
pub fn new_status(data: &str) -> Option<&str> {
    const KEY: &str = "\"newStatus\":\"";
    let start = data.find(KEY)? + KEY.len();
    let len = data[start..].find('"')?;
    Some(&data[start..start + len])
}

/// How many subscribers of one kind opened.
struct Opened {
    opened: usize,
    failed: usize,
    first_error: Option<String>,
}

/// Waits for `n` subscribers to report (60 s at most, plus 10 ms per subscriber).
async fn wait_ready(
    ready: &mut mpsc::UnboundedReceiver<Result<(), String>>,
    n: usize,
    what: &str,
) -> Opened {
    let deadline = Instant::now() + Duration::from_secs(60) + Duration::from_millis(10 * n as u64);
    if n == 0 {
        return Opened {
            opened: 0,
            failed: 0,
            first_error: None,
        };
    }
    let mut out = Opened {
        opened: 0,
        failed: 0,
        first_error: None,
    };
    while out.opened + out.failed < n {
        match tokio::time::timeout_at(deadline.into(), ready.recv()).await {
            Ok(Some(Ok(()))) => out.opened += 1,
            Ok(Some(Err(e))) => {
                out.failed += 1;
                out.first_error.get_or_insert(e);
            }
            Ok(None) | Err(_) => {
                out.failed = n - out.opened;
                out.first_error
                    .get_or_insert_with(|| "timed out opening".to_owned());
            }
        }
    }
    eprintln!(
        "streams: {} {what} streams open, {} failed",
        out.opened, out.failed
    );
    out
}

/// A moment for the service to finish what opening left behind, before its memory is read.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// The arrivals of `status` until `expected` came or `within` passed.
async fn collect(
    arrivals: &mut mpsc::UnboundedReceiver<Arrival>,
    status: &str,
    expected: usize,
    within: Duration,
) -> Vec<Arrival> {
    let deadline = tokio::time::Instant::now() + within;
    let mut got = Vec::with_capacity(expected);
    while got.len() < expected {
        match tokio::time::timeout_at(deadline, arrivals.recv()).await {
            Ok(Some(a)) if a.status == status => got.push(a),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    got
}

fn change_json(
    status: &str,
    expected: usize,
    got: &[Arrival],
    stored: f64,
    sent: f64,
    answered: f64,
) -> Value {
    let from = |t: f64| got.iter().map(|a| a.wall_ms - t).collect::<Vec<_>>();
    let reached = |kind| got.iter().filter(|a| a.kind == kind).count();
    let from_stored = Summary::of(&from(stored));
    json!({
        "status": status,
        "subscribers": expected,
        "reached": { "sse": reached(Kind::Sse), "ws": reached(Kind::Ws) },
        "allReached": got.len() == expected,
        "fromStoredMs": from_stored.to_json(),
        "fromRequestMs": Summary::of(&from(sent)).to_json(),
        "requestMs": round3(answered - sent),
        "allReachedMs": (got.len() == expected).then(|| round3(from_stored.max)),
    })
}

/// One SSE subscriber: opens the stream, waits for the snapshot, reports ready, then notes
/// every change.
#[cfg(test)]
mod tests;
