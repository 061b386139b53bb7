//! Demo data through the public API (the gateway), never the databases: the customers of
//! `xtask/seed/customers.json` (demo@example.com among them) and, when the catalog is empty,
//! the products of `xtask/seed/products.json`. Then the demo orders, which need dates in the
//! past that the API does not allow: order-service's own `order-service seed` writes them,
//! from the customers and products the API lists. The catalog's three coupons (issue 15) are
//! created through the API as the admin. Running it again changes nothing.
//!
//! - [`data`]: the embedded files, read into typed values, and the request bodies.
//! - [`api`]: the gateway (`GATEWAY_URL`), requests and what each answer means.
//! - [`sign_in`]: signing in without locking an account out.
//! - [`orders`]: the lists piped into `order-service seed`.
//! - [`coupons`]: `WELCOME10`, `FREESHIP` and `GOLD20`, where missing.
//! - [`categories`]: the demo category tree, made (where missing) before the products.
//! - [`clicks`]: a week of demo clickstream for the console's Shoppers page.

mod api;
mod cards;
mod categories;
mod clicks;
mod coupons;
mod data;
mod orders;
mod shopping;
mod sign_in;
mod variants;

use std::{fmt, time::Duration};

use anyhow::{Context as _, Result, anyhow, bail};

use crate::{ctx::Ctx, health, net};
pub use api::Gateway;
use api::Registration;
use sign_in::still_signs_in;
pub use sign_in::{sign_in, sign_in_once};

/// The admin's e-mail when `ADMIN_EMAIL` is unset (as customer-service's default).
const DEFAULT_ADMIN_EMAIL: &str = "admin@example.com";
/// The admin's password when `ADMIN_PASSWORD` is unset (customer-service's development
/// default).
const DEFAULT_ADMIN_PASSWORD: &str = "admin-dev-password";

/// The services the seed talks to, as named in the gateway's `/api/health`.
const NEEDED: [&str; 2] = ["customer-service", "product-service"];
/// How long to wait for them to report `ok`.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// A login that works once the seed has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// `customer` or `admin`.
    pub role: &'static str,
    /// Login e-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// Said after the password, e.g. `(development default)`.
    pub note: Option<&'static str>,
}

impl fmt::Display for DemoLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.email, self.password)?;
        match self.note {
            Some(note) => write!(f, " {note}"),
            None => Ok(()),
        }
    }
}

/// What one seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The public API it went through.
    pub api_url: String,
    /// Products created (0 when the catalog was not empty).
    pub products_created: usize,
    /// The size of the catalog found, when it was not empty and so left alone.
    pub catalog_found: Option<u64>,
    /// Customers registered now.
    pub customers_created: usize,
    /// Customers that were already registered.
    pub customers_existing: usize,
    /// The demo customer and the admin.
    pub logins: Vec<DemoLogin>,
    /// What `order-service seed` did.
    pub orders: orders::Seeded,
}

impl Outcome {
    /// `25 created` or `skipped: the catalog already holds 25 products`.
    pub fn products_line(&self) -> String {
        match self.catalog_found {
            Some(n) => format!("skipped: the catalog already holds {n} products"),
            None => format!("{} created", self.products_created),
        }
    }

    /// `12 created, 0 already there`.
    pub fn customers_line(&self) -> String {
        format!(
            "{} created, {} already there",
            self.customers_created, self.customers_existing
        )
    }
}

/// The admin account, from the same variables customer-service reads.
struct Admin {
    email: String,
    password: String,
    default_password: bool,
}

impl Admin {
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let password = var("ADMIN_PASSWORD");
        Self {
            email: var("ADMIN_EMAIL").unwrap_or_else(|| DEFAULT_ADMIN_EMAIL.to_owned()),
            default_password: password.is_none(),
            password: password.unwrap_or_else(|| DEFAULT_ADMIN_PASSWORD.to_owned()),
        }
    }
}

/// The (e-mail, password) of the admin (from `ADMIN_EMAIL`/`ADMIN_PASSWORD`, as
/// customer-service reads them) and of the demo customer (from the seed data).
/// The seed's products as `POST /products` bodies (the benchmarks' catalog).
pub fn catalog() -> Result<Vec<serde_json::Value>> {
    data::products()
        .map_err(|e| anyhow!(e))?
        .iter()
        .map(|p| serde_json::to_value(p).context("writing a product's body"))
        .collect()
}

pub fn credentials() -> Result<[(String, String); 2]> {
    let admin = Admin::from_env();
    let demo = data::customers()
        .map_err(|e| anyhow!(e))?
        .into_iter()
        .find(|c| c.email == data::DEMO_EMAIL)
        .ok_or_else(|| anyhow!("{} is missing from the seed data", data::DEMO_EMAIL))?;
    Ok([(admin.email, admin.password), (demo.email, demo.password)])
}

/// Seeds through `gateway`: waits for the services, registers the customers, signs in as
/// the admin, fills an empty catalog and has the orders written. Customers come first: they
/// need only customer-service, so the demo login works even when the catalog step fails.
pub fn run(ctx: &Ctx, gateway: &Gateway) -> Result<Outcome> {
    // Read everything first, so that bad data fails before the first request.
    let products = data::products().map_err(|e| anyhow!(e))?;
    let customers = data::customers().map_err(|e| anyhow!(e))?;
    let admin = Admin::from_env();

    let demo = customers
        .iter()
        .position(|c| c.email == data::DEMO_EMAIL)
        .ok_or_else(|| anyhow!("{} is missing from the seed data", data::DEMO_EMAIL))?;

    wait_until_ready(ctx, gateway)?;
    let registered = register(ctx, gateway, &customers)?;
    let token = sign_in(ctx, gateway, &admin.email, &admin.password)
        .with_context(|| format!("signing in as the admin {}", admin.email))?;
    let (products_created, catalog_found) = fill_catalog(ctx, gateway, &token, &products)?;
    let coupons = coupons::run(ctx, gateway, &token).context("seeding the coupons")?;
    ctx.progress.step("seed", coupons);
    let variants =
        variants::run(ctx, gateway, &token).context("seeding the product sold in variants")?;
    ctx.progress.step("seed", variants);
    let seeded: Vec<&str> = customers.iter().map(|c| c.email.as_str()).collect();
    let orders = orders::run(ctx, gateway, &token, &seeded).context("seeding the demo orders")?;
    let shop = shopping::run(ctx, gateway, &customers[demo], &token)
        .context("seeding the demo customer's addresses, cart and points")?;
    ctx.progress.step("seed", shop);
    let card =
        cards::run(ctx, gateway, &customers[demo]).context("seeding the demo customer's card")?;
    ctx.progress.step("seed", card);
    let clicks = clicks::run(ctx, gateway).context("seeding the demo clickstream")?;
    ctx.progress.step("seed", clicks);

    let demo_works =
        registered[demo] == Registration::Created || still_signs_in(ctx, gateway, &customers[demo]);
    let logins = vec![
        DemoLogin {
            role: "customer",
            email: customers[demo].email.clone(),
            password: customers[demo].password.clone(),
            note: (!demo_works).then_some("(refused at the last check: changed since?)"),
        },
        DemoLogin {
            role: "super admin",
            email: admin.email,
            password: admin.password,
            note: admin.default_password.then_some("(development default)"),
        },
    ];
    Ok(Outcome {
        api_url: gateway.api_url(),
        products_created,
        catalog_found,
        customers_created: count(&registered, Registration::Created),
        customers_existing: count(&registered, Registration::Existing),
        logins,
        orders,
    })
}

/// Polls `GET /api/health` until every service in [`NEEDED`] reports `ok`. Past the deadline,
/// services that answer `degraded` (alive, a dependency missing) are used anyway, with a
/// warning; a service that is down or missing is an error.
fn wait_until_ready(ctx: &Ctx, gateway: &Gateway) -> Result<()> {
    let mut last = Err("no answer yet".to_owned());
    let ready = net::wait_for(READY_WITHIN, || {
        last = gateway
            .send_once(&gateway.request("GET", "/health"))
            .map(|reply| health::Reply::from_body(reply.status, &reply.text))
            .map_err(|e| e.to_string());
        last.as_ref()
            .is_ok_and(|reply| states(reply).iter().all(|(_, s)| s == "ok"))
    });
    let api = gateway.api_url();
    let seconds = READY_WITHIN.as_secs();
    let reply = last.map_err(|e| {
        anyhow!(
            "GET {api}/health: {e} (still, after {seconds}s); is the suite running? \
             `cargo xtask up` starts it, `cargo xtask status` shows it"
        )
    })?;
    let states = states(&reply);
    let listed = states
        .iter()
        .map(|(name, state)| format!("{name} {state}"))
        .collect::<Vec<_>>()
        .join(", ");
    if ready {
        ctx.progress.step("seed", format!("{api}: {listed}"));
        return Ok(());
    }
    if states.iter().all(|(_, s)| s == "degraded" || s == "ok") {
        ctx.progress.step(
            "seed",
            format!("warning: {listed} after {seconds}s; trying anyway"),
        );
        return Ok(());
    }
    bail!(
        "GET {api}/health: {listed} after {seconds}s (answer: {}); \
         `cargo xtask status` shows each service",
        reply.summary()
    )
}

/// The state of each service in [`NEEDED`] (`missing` when the aggregate does not list it).
fn states(reply: &health::Reply) -> Vec<(&'static str, String)> {
    NEEDED
        .iter()
        .map(|&name| {
            let state = reply
                .parts
                .iter()
                .find(|(n, _)| n == name)
                .map_or("missing", |(_, s)| s.as_str());
            (name, state.to_owned())
        })
        .collect()
}

/// Registers each customer; 409 means it is already there. One result per customer.
fn register(
    ctx: &Ctx,
    gateway: &Gateway,
    customers: &[data::Customer],
) -> Result<Vec<Registration>> {
    let mut results = Vec::with_capacity(customers.len());
    for customer in customers {
        let request = gateway
            .request("POST", "/auth/register")
            .json(customer.body());
        let reply = gateway.send(ctx, &request)?;
        let result =
            api::registration(&reply).with_context(|| format!("registering {}", customer.email))?;
        results.push(result);
    }
    let created = count(&results, Registration::Created);
    let existing = count(&results, Registration::Existing);
    ctx.progress.step(
        "seed",
        format!("customers: {created} created, {existing} already there"),
    );
    Ok(results)
}

fn count(results: &[Registration], which: Registration) -> usize {
    results.iter().filter(|&&r| r == which).count()
}

/// Creates every product when the catalog is empty. Returns (created, size found when not).
fn fill_catalog(
    ctx: &Ctx,
    gateway: &Gateway,
    token: &str,
    products: &[data::Product],
) -> Result<(usize, Option<u64>)> {
    let reply = gateway.send(ctx, &gateway.request("GET", "/products?limit=1"))?;
    let found = api::total(&reply).context("counting the catalog (GET /api/products?limit=1)")?;
    if found > 0 {
        ctx.progress.step(
            "seed",
            format!("products: skipped, the catalog already holds {found}"),
        );
        return Ok((0, Some(found)));
    }
    let bearer = format!("Bearer {token}");
    let made = categories::run(ctx, gateway, &bearer).context("seeding the category tree")?;
    ctx.progress
        .step("seed", format!("categories: {made} created"));
    for (done, product) in products.iter().enumerate() {
        let request = gateway
            .request("POST", "/products")
            .header("Authorization", &bearer)
            .json(product.body());
        let reply = gateway.send(ctx, &request)?;
        api::created(&reply).with_context(|| {
            format!(
                "creating product {:?} ({done} of {} created before it; a rerun skips a \
                 catalog that is not empty)",
                product.name,
                products.len()
            )
        })?;
    }
    ctx.progress
        .step("seed", format!("products: {} created", products.len()));
    Ok((products.len(), None))
}

#[cfg(test)]
mod tests;
