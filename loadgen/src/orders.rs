//! `loadgen orders`: the shop's mix through the gateway at rising rates, by one path or two.
//!
//! Before the stages it signs in as the admin, creates six products and registers
//! `customers` customers. Each stage starts `rate × stage_secs` sessions at an even pace
//! (open loop: a slow answer does not slow the arrivals), each of which, as one customer:
//! browses the catalog, searches it, reads one product, signs in again (one session in
//! `login_every`; the others keep their token), places an order, then follows the order's SSE
//! stream through the gateway until it is `DELIVERED` (the service runs fulfilment with short
//! delays) or `follow_secs` passed. For every `order.status_changed` event the time from the
//! change being stored (its `at`, in milliseconds) to the event's arrival is noted.
//!
//! How the order is placed is the stage's [`Path`]:
//! - `direct`: `POST /orders` of one item with an `Idempotency-Key` (an API client's order,
//!   invoiced: no payment step).
//! - `shop` ([`shop`], issue 15): a cart of two lines, a coupon in one session of
//!   `coupon_every`, the quote, and `POST /checkout` with the `test` provider's approving card;
//!   its customers come from their own pool ([`pool`]), one session at a time each.
//!
//! With both paths, every rate runs a `direct` stage and then a `shop` stage, so the two are
//! measured side by side on the same machine within a minute of each other; a path stops
//! rising after its first stage that is not sustained, the other goes on. Each stage notes
//! the machine's load average (`/proc/loadavg`) when it starts and ends.
//!
//! A stage is sustained when at least 95 % of the offered orders per second were placed,
//! at most 1 % of requests failed, no session was skipped for too many in flight, at least
//! 99 % of the followed streams saw their order delivered, and the events' p99 delay stayed
//! under a second (events lagging by seconds mean a backlog that grows: the orders are
//! placed, but the suite is falling behind them). The stages stop after the first one that
//! is not.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result};
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use reqwest::{Client, Method};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::{
    api::{Api, order_body},
    clock::{now_ms, parse_rfc3339_ms},
    limits,
    stats::{Summary, round3},
};

pub mod pool;
pub mod shop;

use pool::{Customer, Pool};

/// How a stage's sessions place their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// `POST /orders` with the items.
    Direct,
    /// Cart, quote and `POST /checkout` with a card.
    Shop,
}

impl Path {
    /// `direct` or `shop`, as on the command line and in the figures.
    pub fn name(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Shop => "shop",
        }
    }

    /// The request that places the order, as its latencies are noted.
    pub fn placing(self) -> &'static str {
        match self {
            Self::Direct => "order",
            Self::Shop => "checkout",
        }
    }

    /// Reads `direct` or `shop`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "direct" => Some(Self::Direct),
            "shop" => Some(Self::Shop),
            _ => None,
        }
    }
}

/// The parameters of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// The gateway's base URL (`http://127.0.0.1:5000`); requests go to `/api/...`.
    pub gateway: String,
    /// The admin account, which creates the products.
    pub admin_email: String,
    /// Its password.
    pub admin_password: String,
    /// Makes names unique (emails, product names, idempotency keys).
    pub run: String,
    /// Orders per second offered, one stage each, rising.
    pub rates: Vec<f64>,
    /// Length of a stage's arrivals.
    pub stage_secs: f64,
    /// Customers the sessions take turns as.
    pub customers: usize,
    /// One session in this many signs in again.
    pub login_every: usize,
    /// Longest a session follows its order's stream.
    pub follow_secs: f64,
    /// Sessions in flight at most; beyond, a session is skipped (and the stage not sustained).
    pub max_in_flight: usize,
    /// The paths measured, each at every rate, in this order.
    pub paths: Vec<Path>,
    /// Customers of the shop path registered before the stages (the pool grows if a stage
    /// needs more at once).
    pub shop_customers: usize,
    /// One shop session in this many applies the run's coupon.
    pub coupon_every: usize,
}

/// The catalog's words: product names and searches.
const WORDS: [&str; 6] = ["mug", "lamp", "chair", "kettle", "desk", "pillow"];
/// Share of offered orders a sustained stage must place.
const MIN_ACHIEVED: f64 = 0.95;
/// Share of requests a sustained stage may fail.
const MAX_ERROR_SHARE: f64 = 0.01;
/// Share of followed streams that must see the order delivered.
const MIN_FINISHED: f64 = 0.99;
/// Longest p99 delay of the events of a sustained stage, in milliseconds.
const MAX_EVENT_P99_MS: f64 = 1000.0;
/// The password of the customers registered here.
const PASSWORD: &str = "bench-password";

/// What every session shares.
struct Shop {
    api: Api,
    streaming: Client,
    products: Vec<String>,
    /// The direct path's customers, taken in turn.
    customers: Vec<Arc<Customer>>,
    /// The shop path's customers, one session at a time each.
    pool: Pool,
    /// The run's coupon, when the shop path runs.
    coupon: Option<String>,
    params: Params,
}

/// What one stage's sessions noted.
#[derive(Default)]
struct Notes {
    latencies: BTreeMap<&'static str, Vec<f64>>,
    requests: usize,
    errors: BTreeMap<&'static str, usize>,
    first_error: Option<String>,
    orders_ok: usize,
    last_order: Option<Instant>,
    events: Vec<f64>,
    streams_opened: usize,
    streams_finished: usize,
    skipped: usize,
}

type Shared = Arc<Mutex<Notes>>;

fn note(notes: &Shared, change: impl FnOnce(&mut Notes)) {
    change(
        &mut notes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
}

/// Runs every stage; the figures as JSON: `byPath.<path>.{stages, topSustained}`, and the
/// first path's as `stages` and `topSustained` too (what readers of one path expect).
pub async fn run(p: &Params) -> Result<Value> {
    let limit = limits::raise_open_files(2 * p.max_in_flight as u64 + 1024)?;
    let shop = Arc::new(setup(p).await?);
    eprintln!(
        "orders: {} products, {} customers, {} shop customers; open-file limit {limit}",
        shop.products.len(),
        shop.customers.len(),
        shop.pool.take_counts().customers,
    );
    let mut runs: Vec<PathRun> = p.paths.iter().map(|&path| PathRun::new(path)).collect();
    let mut number = 0;
    for &rate in &p.rates {
        for run in runs.iter_mut().filter(|r| r.rising) {
            let stage = stage(&shop, number, rate, run.path).await;
            number += 1;
            eprintln!("orders: {}", stage_line(&stage));
            run.add(stage);
        }
        if runs.iter().all(|r| !r.rising) {
            break;
        }
    }
    Ok(figures(&runs))
}

/// One path's stages so far.
struct PathRun {
    path: Path,
    stages: Vec<Value>,
    top: Option<Value>,
    /// Every stage so far was sustained: the next rate is tried.
    rising: bool,
}

impl PathRun {
    fn new(path: Path) -> Self {
        Self {
            path,
            stages: Vec::new(),
            top: None,
            rising: true,
        }
    }

    fn add(&mut self, stage: Value) {
        if stage["sustained"] == true {
            self.top = Some(stage.clone());
        } else {
            self.rising = false;
        }
        self.stages.push(stage);
    }
}

fn figures(runs: &[PathRun]) -> Value {
    let by_path: serde_json::Map<String, Value> = runs
        .iter()
        .map(|r| {
            (
                r.path.name().to_owned(),
                json!({ "stages": r.stages, "topSustained": r.top }),
            )
        })
        .collect();
    let first = runs.first();
    json!({
        "paths": runs.iter().map(|r| r.path.name()).collect::<Vec<_>>(),
        "byPath": by_path,
        "stages": first.map_or(Vec::new(), |r| r.stages.clone()),
        "topSustained": first.and_then(|r| r.top.clone()),
    })
}

/// The progress line of a stage.
fn stage_line(stage: &Value) -> String {
    let placing = stage["placing"].as_str().unwrap_or("order");
    format!(
        "{} {}/s offered: {} placed/s, {placing} p99 {} ms, event-to-client p99 {} ms, \
         load {}, {}",
        stage["path"].as_str().unwrap_or("?"),
        stage["offeredPerSec"],
        stage["ordersPerSec"],
        stage["latencyMs"][placing]["p99"],
        stage["eventToClientMs"]["p99"],
        stage["loadAverage"]["start"],
        if stage["sustained"] == true {
            "sustained"
        } else {
            "NOT sustained"
        }
    )
}

async fn setup(p: &Params) -> Result<Shop> {
    let api = Api::new(&format!("{}/api", p.gateway.trim_end_matches('/')))?;
    let admin = api
        .login_when_ready(&p.admin_email, &p.admin_password)
        .await
        .context("signing in as the admin")?;
    let mut products = Vec::new();
    for word in WORDS {
        let product = json!({
            "name": format!("Bench {word} {}", p.run),
            "description": format!("A {word} for the orders benchmark."),
            "price": 12.5, "category": "Bench", "tags": ["bench", word], "stock": 1_000_000,
        });
        products.push(api.create_product(&admin, &product).await?);
    }
    let mut customers = Vec::new();
    if p.paths.contains(&Path::Direct) {
        for i in 0..p.customers {
            let email = format!("orders-{}-{i}@bench.example.com", p.run);
            let token = api.register("Bench Shopper", &email, PASSWORD).await?;
            customers.push(Customer::new(email, token));
        }
    }
    let mut shoppers = Vec::new();
    let mut coupon = None;
    if p.paths.contains(&Path::Shop) {
        for i in 0..p.shop_customers {
            let email = format!("shop-{}-{i}@bench.example.com", p.run);
            let token = api.register("Bench Shopper", &email, PASSWORD).await?;
            shoppers.push(Customer::new(email, token));
        }
        let code = shop::coupon_code(&p.run);
        api.expect(
            &[201],
            Method::POST,
            "/coupons",
            Some(&shop::coupon_body(&code)),
            Some(&admin),
        )
        .await
        .context("creating the run's coupon")?;
        coupon = Some(code);
    }
    let streaming = shared::http::client_builder(&crate::api::trust()?)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .context("cannot build a streaming client")?;
    Ok(Shop {
        api,
        streaming,
        products,
        customers,
        pool: Pool::new(shoppers),
        coupon,
        params: p.clone(),
    })
}

/// One stage at `rate` orders per second by `path`.
async fn stage(shop: &Arc<Shop>, number: usize, rate: f64, path: Path) -> Value {
    let p = &shop.params;
    let load_at_start = load_average();
    shop.pool.take_counts();
    let count = (rate * p.stage_secs).round().max(1.0) as usize;
    let notes: Shared = Arc::default();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut sessions = JoinSet::new();
    let start = tokio::time::Instant::now();
    for i in 0..count {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
        if in_flight.load(Ordering::Relaxed) >= p.max_in_flight {
            note(&notes, |n| n.skipped += 1);
            continue;
        }
        in_flight.fetch_add(1, Ordering::Relaxed);
        let (shop, notes, in_flight) =
            (Arc::clone(shop), Arc::clone(&notes), Arc::clone(&in_flight));
        sessions.spawn(async move {
            match path {
                Path::Direct => session(&shop, &notes, number, i).await,
                Path::Shop => shop::session(&shop, &notes, number, i).await,
            }
            in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    while sessions.join_next().await.is_some() {}
    let notes = std::mem::take(
        &mut *notes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let mut stage = stage_json(&notes, rate, count, p.stage_secs, start.into_std());
    stage["path"] = json!(path.name());
    stage["placing"] = json!(path.placing());
    stage["loadAverage"] = json!({ "start": load_at_start, "end": load_average() });
    if path == Path::Shop {
        let counts = shop.pool.take_counts();
        stage["customers"] = json!({
            "pool": counts.customers,
            "peakInUse": counts.peak_in_use,
            "registeredDuringStage": counts.added,
        });
    }
    stage
}

/// The 1-, 5- and 15-minute load averages of `/proc/loadavg`, when it can be read.
fn load_average() -> Option<[f64; 3]> {
    parse_load_average(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// The first three numbers of a `/proc/loadavg` line.
fn parse_load_average(line: &str) -> Option<[f64; 3]> {
    let mut numbers = line.split_whitespace().map(str::parse::<f64>);
    let mut next = || numbers.next()?.ok();
    Some([next()?, next()?, next()?])
}

fn stage_json(notes: &Notes, rate: f64, count: usize, stage_secs: f64, start: Instant) -> Value {
    let seconds = notes.last_order.map_or(stage_secs, |last| {
        last.duration_since(start).as_secs_f64().max(stage_secs)
    });
    let per_sec = notes.orders_ok as f64 / seconds;
    let errors: usize = notes.errors.values().sum();
    let error_share = errors as f64 / notes.requests.max(1) as f64;
    let finished_share = notes.streams_finished as f64 / notes.streams_opened.max(1) as f64;
    let events = Summary::of(&notes.events);
    let sustained = per_sec >= MIN_ACHIEVED * rate
        && error_share <= MAX_ERROR_SHARE
        && notes.skipped == 0
        && finished_share >= MIN_FINISHED
        && events.p99 < MAX_EVENT_P99_MS;
    let latencies: serde_json::Map<String, Value> = notes
        .latencies
        .iter()
        .map(|(kind, samples)| ((*kind).to_owned(), Summary::of(samples).to_json()))
        .collect();
    json!({
        "offeredPerSec": rate,
        "sessions": count,
        "ordersOk": notes.orders_ok,
        "ordersPerSec": round3(per_sec),
        "seconds": round3(seconds),
        "sustained": sustained,
        "requests": notes.requests,
        "errors": notes.errors,
        "firstError": notes.first_error,
        "skipped": notes.skipped,
        "latencyMs": latencies,
        "eventToClientMs": events.to_json(),
        "streams": { "opened": notes.streams_opened, "finished": notes.streams_finished },
    })
}

/// One request of a session, noted under `kind`.
struct Call<'a> {
    kind: &'static str,
    method: Method,
    path: &'a str,
    body: Option<&'a Value>,
    bearer: Option<&'a str>,
    headers: &'a [(&'a str, &'a str)],
}

impl<'a> Call<'a> {
    fn get(kind: &'static str, path: &'a str) -> Self {
        Self {
            kind,
            method: Method::GET,
            path,
            body: None,
            bearer: None,
            headers: &[],
        }
    }

    fn post(kind: &'static str, path: &'a str, body: &'a Value) -> Self {
        Self {
            method: Method::POST,
            body: Some(body),
            ..Self::get(kind, path)
        }
    }
}

/// One request, timed and noted; the JSON answer when it succeeded.
async fn timed(shop: &Shop, notes: &Shared, call: Call<'_>) -> Option<Value> {
    let kind = call.kind;
    let begun = Instant::now();
    let answer = shop
        .api
        .call(call.method, call.path, call.body, call.bearer, call.headers)
        .await;
    let ms = begun.elapsed().as_secs_f64() * 1000.0;
    let failure = match &answer {
        Ok((status, _)) if (200..300).contains(status) => None,
        Ok((status, body)) => Some(format!("{kind}: {status} {body}")),
        Err(e) => Some(format!("{kind}: {e:#}")),
    };
    note(notes, |n| {
        n.requests += 1;
        n.latencies.entry(kind).or_default().push(ms);
        if let Some(failure) = failure.clone() {
            *n.errors.entry(kind).or_default() += 1;
            n.first_error.get_or_insert(failure);
        }
    });
    match answer {
        Ok((_, body)) if failure.is_none() => Some(body),
        _ => None,
    }
}

/// The catalog, a search and one product, as any visit starts.
async fn look_around(shop: &Shop, notes: &Shared, i: usize) {
    let word = WORDS[i % WORDS.len()];
    let product = &shop.products[i % shop.products.len()];
    timed(
        shop,
        notes,
        Call::get("browse", "/products?page=1&limit=20"),
    )
    .await;
    let search = format!("/products?search={word}&limit=10");
    timed(shop, notes, Call::get("search", &search)).await;
    let one = format!("/products/{product}");
    timed(shop, notes, Call::get("product", &one)).await;
}

/// Signs `customer` in again in one session of `login_every`, keeping the new token.
async fn sign_in_now_and_then(shop: &Shop, notes: &Shared, customer: &Customer, i: usize) {
    if !i.is_multiple_of(shop.params.login_every) {
        return;
    }
    let body = json!({ "email": customer.email, "password": PASSWORD });
    if let Some(answer) = timed(shop, notes, Call::post("login", "/auth/login", &body)).await
        && let Some(token) = answer["data"]["accessToken"].as_str()
    {
        customer.set_token(token);
    }
}

/// One customer's visit: browse, search, a product, maybe sign in, order, follow.
async fn session(shop: &Shop, notes: &Shared, stage: usize, i: usize) {
    let p = &shop.params;
    let customer = &shop.customers[i % shop.customers.len()];
    let product = &shop.products[i % shop.products.len()];
    look_around(shop, notes, i).await;
    sign_in_now_and_then(shop, notes, customer, i).await;
    let token = customer.token();
    let key = format!("{}-{stage}-{i}", p.run);
    let body = order_body(product, 1);
    let headers = [("idempotency-key", key.as_str())];
    let order = Call {
        bearer: Some(&token),
        headers: &headers,
        ..Call::post("order", "/orders", &body)
    };
    let Some(answer) = timed(shop, notes, order).await else {
        return;
    };
    note(notes, |n| {
        n.orders_ok += 1;
        n.last_order = Some(Instant::now());
    });
    if let Some(order) = answer["data"]["id"].as_str() {
        follow(shop, notes, order, &token).await;
    }
}

/// Follows the order's SSE stream until it is final, noting each change's delay.
async fn follow(shop: &Shop, notes: &Shared, order: &str, token: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(shop.params.follow_secs);
    let opened = shop
        .streaming
        .get(shop.api.url(&format!("/orders/{order}/stream")))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .send()
        .await;
    let response = match opened {
        Ok(r) if r.status() == 200 => r,
        other => {
            let why = match other {
                Ok(r) => format!("stream: {}", r.status()),
                Err(e) => format!("stream: {e:#}"),
            };
            note(notes, |n| {
                n.requests += 1;
                *n.errors.entry("stream").or_default() += 1;
                n.first_error.get_or_insert(why);
            });
            return;
        }
    };
    note(notes, |n| {
        n.requests += 1;
        n.streams_opened += 1;
    });
    let mut events = response.bytes_stream().eventsource();
    let mut finished = false;
    while let Ok(Some(Ok(event))) = tokio::time::timeout_at(deadline, events.next()).await {
        let wall = now_ms();
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            continue;
        };
        match event.event.as_str() {
            "snapshot" => finished = is_final(&data["order"]["status"]),
            "order.status_changed" => {
                if let Some(at) = data["at"].as_str().and_then(parse_rfc3339_ms) {
                    note(notes, |n| n.events.push(wall - at));
                }
                finished = is_final(&data["newStatus"]);
            }
            _ => {}
        }
        if finished {
            break;
        }
    }
    if finished {
        note(notes, |n| n.streams_finished += 1);
    }
}

fn is_final(status: &Value) -> bool {
    matches!(
        status.as_str(),
        Some("DELIVERED" | "CANCELLED" | "REJECTED")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(orders_ok: usize, errors: usize, opened: usize, finished: usize) -> Notes {
        let mut n = Notes {
            orders_ok,
            requests: 100,
            streams_opened: opened,
            streams_finished: finished,
            events: vec![1.0, 2.0, 30.0],
            ..Notes::default()
        };
        if errors > 0 {
            n.errors.insert("order", errors);
        }
        n
    }

    #[test]
    fn a_stage_is_sustained_when_it_places_what_was_offered_and_delivers() {
        let start = Instant::now();
        let ok = stage_json(&notes(100, 0, 100, 100), 10.0, 100, 10.0, start);
        assert_eq!(ok["sustained"], true);
        assert_eq!(ok["ordersPerSec"], 10.0);
        assert_eq!(ok["eventToClientMs"]["max"], 30.0);
        let slow = stage_json(&notes(90, 0, 90, 90), 10.0, 100, 10.0, start);
        assert_eq!(slow["sustained"], false);
        let failing = stage_json(&notes(100, 2, 100, 100), 10.0, 100, 10.0, start);
        assert_eq!(failing["sustained"], false);
        let stuck = stage_json(&notes(100, 0, 100, 98), 10.0, 100, 10.0, start);
        assert_eq!(stuck["sustained"], false);
        let mut lagging = notes(100, 0, 100, 100);
        lagging.events.push(2500.0);
        let lagging = stage_json(&lagging, 10.0, 100, 10.0, start);
        assert_eq!(lagging["sustained"], false, "{lagging}");
    }

    #[test]
    fn the_load_average_is_read_from_proc() {
        assert_eq!(
            parse_load_average("2.09 2.22 2.94 3/812 4711\n"),
            Some([2.09, 2.22, 2.94])
        );
        assert_eq!(parse_load_average("2.09 x 2.94"), None);
        assert_eq!(parse_load_average(""), None);
        assert!(load_average().is_some_and(|l| l.iter().all(|x| *x >= 0.0)));
    }

    fn stage(path: Path, rate: f64, sustained: bool) -> Value {
        json!({ "path": path.name(), "offeredPerSec": rate, "sustained": sustained })
    }

    #[test]
    fn each_path_rises_until_its_first_stage_not_sustained() {
        let mut direct = PathRun::new(Path::Direct);
        let mut shop = PathRun::new(Path::Shop);
        direct.add(stage(Path::Direct, 2.0, true));
        shop.add(stage(Path::Shop, 2.0, true));
        direct.add(stage(Path::Direct, 5.0, false));
        shop.add(stage(Path::Shop, 5.0, true));
        assert!(!direct.rising && shop.rising);
        let figures = figures(&[direct, shop]);
        assert_eq!(figures["paths"], json!(["direct", "shop"]));
        // The first path's figures are also where readers of one path look.
        assert_eq!(figures["stages"], figures["byPath"]["direct"]["stages"]);
        assert_eq!(figures["topSustained"]["offeredPerSec"], 2.0);
        assert_eq!(
            figures["byPath"]["shop"]["topSustained"]["offeredPerSec"],
            5.0
        );
        assert_eq!(figures["byPath"]["shop"]["stages"][1]["path"], "shop");
        let none = super::figures(&[PathRun::new(Path::Shop)]);
        assert_eq!(none["topSustained"], Value::Null);
    }

    #[test]
    fn a_stage_line_names_its_path_and_placing_request() {
        let mut stage = stage_json(&notes(10, 0, 10, 10), 1.0, 10, 10.0, Instant::now());
        stage["path"] = json!("shop");
        stage["placing"] = json!("checkout");
        stage["loadAverage"] = json!({ "start": [3.5, 2.0, 1.0] });
        let line = stage_line(&stage);
        assert!(line.starts_with("shop 1.0/s offered"), "{line}");
        assert!(
            line.contains("checkout p99") && line.contains("load [3.5,2.0,1.0]"),
            "{line}"
        );
        assert_eq!(Path::parse("shop"), Some(Path::Shop));
        assert_eq!(Path::parse("cart"), None);
        assert_eq!(Path::Direct.placing(), "order");
    }

    #[test]
    fn final_statuses_end_a_stream() {
        assert!(is_final(&json!("DELIVERED")));
        assert!(is_final(&json!("REJECTED")));
        assert!(!is_final(&json!("SHIPPED")));
        assert!(!is_final(&Value::Null));
    }
}
