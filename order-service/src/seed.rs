//! `order-service seed`: the demo orders of issue 5, written straight into this service's own
//! database. Historical orders cannot come through the API (it dates everything "now"), and
//! an endpoint that backdates orders would be a hole, so this is a subcommand of the binary:
//! it reads `{customers: [{id, email, name, address}], products: [{id, name, price, stock?}]}`
//! as JSON on stdin and uses the service's own settings (`MONGODB_URI`, `MONGODB_DB`, ...).
//!
//! It writes 18 orders placed over the last four weeks (see [`plan`]): three for
//! `demo@example.com`, the others spread over the other customers with an address; eight
//! `DELIVERED`, three `SHIPPED`, three `PROCESSING`, two `CANCELLED` (one while `PENDING`, one
//! while `PROCESSING`) and two `REJECTED`. Each is built by the live code ([`Order::placed`],
//! [`crate::domain::transition::apply`], the builders of [`crate::events`]) at historical times,
//! and inserted together with the events the live service would have published, staged in its
//! outbox: `order.created`, an `order.status_changed` per step, `order.cancelled` when
//! cancelled. Their payloads carry the historical `createdAt` and `at`; the envelopes'
//! `occurredAt` is the time of the seed. When the service's relay publishes them,
//! product-service reserves the stock of each order (so delivered and shipped orders have used
//! it, and a cancelled order gets it back with `order.cancelled`), while a rejected order asks
//! for more than the product ever had, so product-service refuses it again and holds nothing.
//! Alerts and analytics learn the history the same way.
//!
//! The `PROCESSING` and `SHIPPED` ones are on the fulfilment schedule like any order: their
//! next step is due a random delay of the service's schedule after the seed ran, so the poller
//! ships and delivers them and the demo customer's streams end. The delay counts from the run,
//! not from the order's last historical step: a due time weeks past would have every one of
//! them advanced at the poller's first pass, before anyone could watch one move. Ids are
//! derived from a fixed seed and the order's index: a second run finds every order already
//! there and inserts nothing (and leaves its schedule as it is).
//!
//! [`Order::placed`]: crate::domain::Order::placed

mod plan;
mod shelf;

use std::{collections::BTreeMap, io::Read, process::ExitCode};

use chrono::{DateTime, Utc};
use mongodb::Database;
use serde::{Deserialize, Serialize};
use shared::{ApiError, config::Env};

use crate::{
    Config,
    config::FulfilmentConfig,
    domain::{Address, transition::next_due},
    store::{
        self,
        orders::{self, InsertError},
    },
};

/// The demo customer who gets three of the orders.
pub const DEMO_EMAIL: &str = "demo@example.com";

/// What the seed reads on stdin.
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    /// Who the orders are for; customers without an address are left out (nowhere to ship).
    pub customers: Vec<SeedCustomer>,
    /// What they buy, at these names and prices.
    pub products: Vec<SeedProduct>,
}

/// A customer, as `GET /customers` shows one (other fields are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct SeedCustomer {
    /// The customer's id (an ObjectId).
    pub id: String,
    /// Login e-mail; [`DEMO_EMAIL`] marks the demo customer.
    pub email: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// The address on file: where the orders go.
    #[serde(default)]
    pub address: Option<Address>,
}

/// A product, as `GET /products` shows one (other fields are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct SeedProduct {
    /// The product's id (an ObjectId).
    pub id: String,
    /// Its name, copied into the lines.
    pub name: String,
    /// Unit price, a JSON number with at most two decimals.
    pub price: serde_json::Number,
    /// Units in stock now. The plan keeps each product's orders within it, and rejected
    /// orders ask for more than it; without it, stock is taken as unlimited and a rejected
    /// order asks for the most one order may (1000 units).
    #[serde(default)]
    pub stock: Option<i64>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Orders inserted now.
    pub created: usize,
    /// Orders that were there from an earlier run (and left as they are).
    pub already_there: usize,
    /// The seed's orders by final status.
    pub by_status: BTreeMap<&'static str, usize>,
}

/// Why the seed stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The input cannot make the orders (unreadable, no demo customer, no products, ...).
    #[error("bad input: {0}")]
    Input(String),
    /// The database refused or could not be reached.
    #[error("database: {0}")]
    Database(#[from] mongodb::error::Error),
    /// Writing an order failed.
    #[error(transparent)]
    Store(#[from] ApiError),
}

/// Plans the orders as of `now` and inserts those that are not there yet, each with its
/// events in its outbox, the unfinished ones due on `schedule` from `now`.
#[tracing::instrument(skip_all)]
pub async fn run(
    db: &Database,
    input: &Input,
    now: DateTime<Utc>,
    schedule: &FulfilmentConfig,
) -> Result<Report, SeedError> {
    let planned = plan::orders(input, now).map_err(SeedError::Input)?;
    store::ensure_indexes(db).await?;
    let mut report = Report::default();
    for mut planned in planned {
        let order = &mut planned.order;
        order.next_due_at_ms = next_due(order.status, now, schedule.random_delay());
        match orders::insert(db, &planned.order, &planned.events).await {
            Ok(_) => report.created += 1,
            Err(InsertError::Duplicate) => report.already_there += 1,
            Err(InsertError::Api(e)) => return Err(e.into()),
        }
        *report
            .by_status
            .entry(planned.order.status.as_str())
            .or_default() += 1;
    }
    Ok(report)
}

/// `order-service seed`: configuration from `env`, the input from `stdin`, the report as one
/// line of JSON on stdout (`{"created", "alreadyThere", "byStatus"}`). Exit code 2 for bad
/// settings or input, 1 when the database fails.
pub fn command(env: &Env, mut stdin: impl Read) -> ExitCode {
    let fail = |code: u8, message: String| {
        eprintln!("order-service seed: {message}");
        ExitCode::from(code)
    };
    let config = match Config::from_env(env) {
        Ok(config) => config,
        Err(e) => return fail(2, e.to_string()),
    };
    let Some(mongo) = config.service.mongo else {
        return fail(2, "no database configured".to_owned());
    };
    let mut text = String::new();
    if let Err(e) = stdin.read_to_string(&mut text) {
        return fail(2, format!("cannot read stdin: {e}"));
    }
    let input: Input = match serde_json::from_str(&text) {
        Ok(input) => input,
        Err(e) => {
            return fail(
                2,
                format!("stdin is not {{customers:[...], products:[...]}}: {e}"),
            );
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail(1, format!("cannot start the runtime: {e}")),
    };
    let result = runtime.block_on(async {
        let db = shared::store::mongo(&mongo, "order-service-seed").await?;
        run(&db, &input, Utc::now(), &config.fulfilment).await
    });
    match result {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e @ SeedError::Input(_)) => fail(2, e.to_string()),
        Err(e) => fail(
            1,
            format!("{e} (database {:?} at MONGODB_URI)", mongo.database),
        ),
    }
}
