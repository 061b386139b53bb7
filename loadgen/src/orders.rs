//! `loadgen orders`: the shop's mix through the gateway at rising rates.
//!
//! Before the stages it signs in as the admin, creates six products and registers
//! `customers` customers. Each stage starts `rate × stage_secs` sessions at an even pace
//! (open loop: a slow answer does not slow the arrivals), each of which, as one customer:
//! browses the catalog, searches it, reads one product, signs in again (one session in
//! `login_every`; the others keep their token), places an order of one item (with an
//! `Idempotency-Key`), then follows the order's SSE stream through the gateway until it is
//! `DELIVERED` (the service runs fulfilment with short delays) or `follow_secs` passed. For
//! every `order.status_changed` event the time from the change being stored (its `at`, in
//! milliseconds) to the event's arrival is noted.
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

struct Customer {
    email: String,
    token: Mutex<String>,
}

/// What every session shares.
struct Shop {
    api: Api,
    streaming: Client,
    products: Vec<String>,
    customers: Vec<Customer>,
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

/// Runs every stage; the figures as JSON.
pub async fn run(p: &Params) -> Result<Value> {
    let limit = limits::raise_open_files(2 * p.max_in_flight as u64 + 1024)?;
    let shop = Arc::new(setup(p).await?);
    eprintln!(
        "orders: {} products, {} customers; open-file limit {limit}",
        shop.products.len(),
        shop.customers.len()
    );
    let mut stages = Vec::new();
    let mut top: Option<Value> = None;
    for (number, &rate) in p.rates.iter().enumerate() {
        let stage = stage(&shop, number, rate).await;
        let sustained = stage["sustained"] == true;
        eprintln!(
            "orders: {rate}/s offered: {} orders/s placed, POST /orders p99 {} ms, \
             event-to-client p99 {} ms, {}",
            stage["ordersPerSec"],
            stage["latencyMs"]["order"]["p99"],
            stage["eventToClientMs"]["p99"],
            if sustained {
                "sustained"
            } else {
                "NOT sustained"
            }
        );
        if sustained {
            top = Some(stage.clone());
        }
        stages.push(stage);
        if !sustained {
            break;
        }
    }
    Ok(json!({ "stages": stages, "topSustained": top }))
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
    for i in 0..p.customers {
        let email = format!("orders-{}-{i}@bench.example.com", p.run);
        let token = api.register("Bench Shopper", &email, PASSWORD).await?;
        customers.push(Customer {
            email,
            token: Mutex::new(token),
        });
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
        params: p.clone(),
    })
}

/// One stage at `rate` orders per second.
async fn stage(shop: &Arc<Shop>, number: usize, rate: f64) -> Value {
    let p = &shop.params;
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
            session(&shop, &notes, number, i).await;
            in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    while sessions.join_next().await.is_some() {}
    let notes = std::mem::take(
        &mut *notes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    stage_json(&notes, rate, count, p.stage_secs, start.into_std())
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

/// One customer's visit: browse, search, a product, maybe sign in, order, follow.
async fn session(shop: &Shop, notes: &Shared, stage: usize, i: usize) {
    let p = &shop.params;
    let customer = &shop.customers[i % shop.customers.len()];
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
    if i.is_multiple_of(p.login_every) {
        let body = json!({ "email": customer.email, "password": PASSWORD });
        if let Some(answer) = timed(shop, notes, Call::post("login", "/auth/login", &body)).await
            && let Some(token) = answer["data"]["accessToken"].as_str()
        {
            *customer
                .token
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = token.to_owned();
        }
    }
    let token = customer
        .token
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
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
    fn final_statuses_end_a_stream() {
        assert!(is_final(&json!("DELIVERED")));
        assert!(is_final(&json!("REJECTED")));
        assert!(!is_final(&json!("SHIPPED")));
        assert!(!is_final(&Value::Null));
    }
}
