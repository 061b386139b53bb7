//! `cargo xtask bench orders`: the shop's mix through the gateway at rising rates (issue 9):
//! sustained orders per second, `POST /orders` p50/p99, and the time from a status change
//! being stored to the SSE client receiving it (issue 9's target: p99 under 20 ms at the top
//! rate; issue 22's: 80 orders/s sustained with p99 under 100 ms). The same run measures the
//! shop path (issue 15): cart, quote, coupon and `POST /checkout` with the `test` provider's
//! card, its checkouts per second and latencies side by side with the direct orders at each
//! rate, as ratios (both figures move with the machine's load, their ratio much less).
//!
//! All seven services run as release builds on spare ports with this run's databases
//! ([`super::stack::suite`]); `loadgen orders` (a second process) signs in as the admin,
//! creates the products and the run's coupon, registers the customers and runs, at each rate,
//! a direct stage and then a shop stage, each path stopping after its first stage the suite
//! does not sustain. Each stage notes the load average when it starts and ends.
//!
//! "Stored" is the `at` order-service puts on the change's history entry (and on the
//! `order.status_changed` event): milliseconds, stamped just before the one write that stores
//! the change with its event. So the delay covers that write, the outbox relay, RabbitMQ,
//! order-service's live consumer and fan-out, and the gateway's SSE pass-through; the
//! timestamp's truncation to the millisecond adds 0–1 ms.

use serde_json::Value;

use anyhow::Result;

use super::{
    machine::{self, Machine},
    stack::{self, suite},
    table::ms,
};
use crate::{ctx::Ctx, seed};

mod grids;
#[cfg(test)]
mod tests;
mod verdict;

use grids::{grid, requests_grid, side_by_side};
pub use verdict::{goal_of, verdict_of};
use verdict::{targets_json, top_of};

/// Offered orders per second, one stage each.
const RATES: [f64; 6] = [2.0, 5.0, 10.0, 20.0, 40.0, 80.0];
/// Length of one stage's arrivals.
const STAGE_SECS: u32 = 10;
/// Customers the sessions take turns as (each registered once, argon2 included).
const CUSTOMERS: u32 = 20;
/// One session in this many signs in again; the others keep their token.
const LOGIN_EVERY: u32 = 4;
/// Issue 9: event-to-client p99 while the suite sustains its top rate.
pub const TARGET_EVENT_P99_MS: f64 = 20.0;
/// Issue 22: the direct orders the suite must sustain ...
pub const GOAL_RATE: f64 = 80.0;
/// ... with the events' p99 under this.
pub const GOAL_EVENT_P99_MS: f64 = 100.0;
/// The paths measured, in the order each rate runs them.
pub const PATHS: [&str; 2] = ["direct", "shop"];
/// Customers of the shop path registered before the stages (one session at a time each).
const SHOP_CUSTOMERS: u32 = 100;
/// One shop session in this many applies the run's coupon.
const COUPON_EVERY: u32 = 2;

/// Builds, starts, measures, writes `bench/results/orders.{json,md}`; stops what it started.
pub fn run(ctx: &Ctx) -> Result<()> {
    let (mut cleanup, urls) = stack::begin(ctx, &suite::PACKAGES)?;
    let run = stack::run_id();
    let shop = suite::start(ctx, &mut cleanup.started, &urls, "orders", &run)?;
    let load = machine::load_average();
    let (rates, stage_secs) = shape(
        std::env::var("BENCH_ORDERS_RATES").ok().as_deref(),
        std::env::var("BENCH_ORDERS_STAGE_SECS").ok().as_deref(),
    )?;
    let mut args = loadgen_args(&shop.gateway_url(), &run, &rates, stage_secs)?;
    args.extend(
        [
            "--paths",
            &PATHS.join(","),
            "--shop-customers",
            &SHOP_CUSTOMERS.to_string(),
            "--coupon-every",
            &COUPON_EVERY.to_string(),
        ]
        .map(str::to_owned),
    );
    let figures = stack::loadgen(ctx, "orders", &args)?;
    drop(cleanup);

    let machine = Machine::describe(ctx, Vec::new(), load);
    report(ctx, &figures, &machine, &rates, stage_secs)
}

/// The rates and stage length: `RATES` and `STAGE_SECS`, or a shorter run's from
/// `BENCH_ORDERS_RATES` (rising, comma-separated) and `BENCH_ORDERS_STAGE_SECS`, which the
/// results then state.
fn shape(rates: Option<&str>, stage_secs: Option<&str>) -> Result<(Vec<f64>, u32)> {
    let rates = match rates {
        None => RATES.to_vec(),
        Some(raw) => {
            let rates: Vec<f64> = raw
                .split(',')
                .map(|r| r.trim().parse::<f64>().ok().filter(|r| *r > 0.0))
                .collect::<Option<_>>()
                .filter(|r: &Vec<f64>| !r.is_empty() && r.windows(2).all(|w| w[0] < w[1]))
                .ok_or_else(|| {
                    anyhow::anyhow!("BENCH_ORDERS_RATES must be rising positive numbers: {raw}")
                })?;
            rates
        }
    };
    let stage_secs = match stage_secs {
        None => STAGE_SECS,
        Some(raw) => raw.trim().parse().ok().filter(|s| *s > 0).ok_or_else(|| {
            anyhow::anyhow!("BENCH_ORDERS_STAGE_SECS must be a whole number of seconds: {raw}")
        })?,
    };
    Ok((rates, stage_secs))
}

/// `loadgen orders` arguments for `rates` through the gateway at `gateway` (the direct path
/// only, unless `--paths` is added).
pub fn loadgen_args(
    gateway: &str,
    run: &str,
    rates: &[f64],
    stage_secs: u32,
) -> Result<Vec<String>> {
    let [(email, password), _] = seed::credentials()?;
    let rates: Vec<String> = rates.iter().map(ToString::to_string).collect();
    Ok([
        "orders",
        "--gateway",
        gateway,
        "--admin-email",
        &email,
        "--admin-password",
        &password,
        "--run",
        run,
        "--rates",
        &rates.join(","),
        "--stage-secs",
        &stage_secs.to_string(),
        "--customers",
        &CUSTOMERS.to_string(),
        "--login-every",
        &LOGIN_EVERY.to_string(),
    ]
    .map(str::to_owned)
    .to_vec())
}

fn settings(rates: &[f64], stage_secs: u32) -> String {
    let (min, max, poll) = suite::FULFILMENT;
    format!(
        "`loadgen orders` (a second process, on loopback) through the gateway: stages of \
         {stage_secs} s at {} orders/s offered, open loop (sessions start at an even pace \
         whatever the answers take); at each rate a `direct` stage, then a `shop` stage, each \
         path stopping after its first stage not sustained. Every session first does \
         `GET /api/products?page=1&limit=20`, `GET /api/products?search=<word>`, \
         `GET /api/products/:id` and `POST /api/auth/login` (one session in {LOGIN_EVERY}). \
         **direct** (as one of {CUSTOMERS} customers in turn): `POST /api/orders` (one item, \
         `Idempotency-Key`; no card, so no payment step). **shop** (as a customer of its own \
         among {SHOP_CUSTOMERS} registered before the stages, more registered if all are busy): \
         `PUT /api/cart/items/:id` twice (1 + 2 units of two products), `POST /api/cart/coupon` \
         (the run's 10 % coupon, one session in {COUPON_EVERY}), `GET /api/cart` (the quote), \
         `POST /api/checkout` (`Idempotency-Key`, the address and the `test` provider's \
         approving card 4242 4242 4242 4242; the order's quote must equal the cart's, every \
         figure to the cent, else it counts as an error), so the saga has the payment step. \
         Both then follow `GET /api/orders/:id/stream` (SSE) until the order is `DELIVERED`. \
         Fulfilment \
         {min}–{max} ms a step, polled every {poll} ms. A stage is sustained when ≥ 95 % of \
         the offered orders/s were placed, ≤ 1 % of requests failed, ≥ 99 % of the \
         streams saw their order delivered and the events' p99 delay stayed under 1 s (a \
         growing backlog is not sustained). Event→client: from the `at` order-service stores \
         with the change (milliseconds, stamped just before the write) to the SSE event's \
         arrival, through the outbox relay, RabbitMQ, order-service's fan-out and the \
         gateway. Release builds, `RUST_LOG={}`, quotas too high to trip, no cap on connections \
         per client address. The machine is \
         shared: each stage notes the 1-minute load average when it started; compare the \
         paths by their ratios at one rate, measured within a minute of each other",
        rates
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        suite::LOG_LEVEL
    )
}

/// Prints the tables and the targets, writes the JSON and Markdown files.
fn report(
    ctx: &Ctx,
    figures: &Value,
    machine: &Machine,
    rates: &[f64],
    stage_secs: u32,
) -> Result<()> {
    let shorter = (rates != RATES || stage_secs != STAGE_SECS).then(|| {
        format!(
            " **A shorter run than the default** ({} s stages at {} orders/s): \
             `BENCH_ORDERS_RATES` / `BENCH_ORDERS_STAGE_SECS` were set",
            STAGE_SECS,
            RATES.map(|r| r.to_string()).join(", ")
        )
    });
    let verdict = verdict_of(figures);
    let goal = goal_of(figures, PATHS[0]);
    let shop_goal = goal_of(figures, PATHS[1]);
    let shop_top = top_of(figures, PATHS[1]).map_or_else(
        || "shop: no rate sustained".to_owned(),
        |(rate, placed, p99)| {
            format!(
                "shop: top sustained rate {rate:.0} checkouts/s offered ({placed:.1} placed/s); \
                 event-to-client p99 there {}",
                ms(Some(p99))
            )
        },
    );
    let main = grid(figures);
    let pairs = side_by_side(figures);
    let requests = requests_grid(figures);
    println!();
    print!("{}", main.render_text());
    println!("\nSide by side (shop ÷ direct at the same rate):");
    print!("{}", pairs.render_text());
    println!("\nOther requests, p50 / p99:");
    print!("{}", requests.render_text());
    println!(
        "{}\n{}\n{}\n{shop_top}",
        verdict.line, goal.line, shop_goal.line
    );

    let json = Value::from_iter(vec![
        ("benchmark", Value::String("orders".into())),
        ("machine", machine.to_json()),
        (
            "settings",
            Value::String(settings(rates, stage_secs) + shorter.as_deref().unwrap_or("")),
        ),
        ("results", figures.clone()),
        ("targets", targets_json(&verdict, &goal)),
    ]);
    let markdown = format!(
        "# Benchmark: orders through the gateway, direct and through the shop\n\n\
         `cargo xtask bench orders`: {}.\n\n{}\n\
         Side by side at each rate both paths ran (shop ÷ direct):\n\n{}\n\
         Other requests of the mix, p50 / p99:\n\n{}\n\
         {}.\n\n{}.\n\n{}.\n\n{shop_top}.\n\n## Machine\n\n{}",
        settings(rates, stage_secs) + shorter.as_deref().unwrap_or(""),
        main.render_markdown(),
        pairs.render_markdown(),
        requests.render_markdown(),
        verdict.line,
        goal.line,
        shop_goal.line,
        machine.to_markdown()
    );
    super::write_results(ctx, "orders", &crate::http::pretty(&json), &markdown)
}
