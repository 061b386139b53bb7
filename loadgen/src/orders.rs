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
use reqwest::{Client, Method};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::{api::Api, limits};

mod figures;
pub mod pool;
mod session;
pub mod shop;
#[cfg(test)]
mod tests;

use figures::{figures, load_average, stage_json, stage_line};
use pool::{Customer, Pool};
#[cfg(test)]
use session::is_final;
use session::{Call, follow, look_around, session, sign_in_now_and_then, timed};

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
