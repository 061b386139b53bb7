//! What the gateway benchmark sets up: the three services on spare ports with bench-only
//! names, one product and a customer token through the API, nginx in front of
//! product-service; and the Markdown it writes.

use serde_json::Value;

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context as _, Result, anyhow, bail};

use super::super::{
    machine::Machine,
    nginx::Proxy,
    stack::{self, leftovers::Leftovers},
    table::Table,
};
use crate::{
    cleanup::Started,
    ctx::Ctx,
    http,
    infra::Urls,
    seed::{self, Gateway},
};

/// What is built (release) and run: the services measured, and loadgen, which removes the
/// run's databases and queues at the end.
pub const PACKAGES: [&str; 4] = ["customer-service", "product-service", "gateway", "loadgen"];

/// Per-minute quotas for the benchmark's gateway: rate limiting stays on, and never trips.
const QUOTA: &str = "1000000000";
/// Logs at `warn`: per-request `info` lines would be measured too, and nginx logs nothing.
const LOG_LEVEL: &str = "warn";
/// The account whose token the last row sends.
const CUSTOMER: (&str, &str) = ("bench@example.com", "bench-password");

/// The ports of this run.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// product-service.
    pub product: u16,
    /// The gateway.
    pub gateway: u16,
    /// nginx.
    pub nginx: u16,
    /// nginx's OTLP sink, where the traced pair exports its spans.
    pub otlp_sink: u16,
    /// A second gateway in front of it, exporting its spans.
    pub traced_gateway: u16,
}

/// What the measurements need.
pub struct Fixture {
    /// The product every request reads.
    pub product_id: String,
    /// A valid customer access token.
    pub customer_token: String,
    /// A valid admin access token (the write rows replace the product).
    pub admin_token: String,
    /// The product as JSON: what the write rows send back, unchanged.
    pub product: String,
}

/// Starts customer- and product-service, then the gateway in front of them, and the traced
/// pair (product-service and a gateway with `OTEL_EXPORTER_OTLP_ENDPOINT` set to nginx's sink);
/// waits for each.
pub fn start_services(ctx: &Ctx, started: &mut Started, urls: &Urls) -> Result<Ports> {
    let [
        customer,
        product,
        gateway,
        nginx,
        otlp_sink,
        traced_product,
        traced_gateway,
    ] = stack::spare_ports::<7>()?;
    let ports = Ports {
        product,
        gateway,
        nginx,
        otlp_sink,
        traced_gateway,
    };
    let sink = format!("http://127.0.0.1:{otlp_sink}");
    let jwks = format!("http://127.0.0.1:{customer}/.well-known/jwks.json");
    let run = stack::run_id();
    let leftovers = Leftovers::new("gateway", &run, urls);
    let exchange = leftovers.exchange.clone();
    started.leftovers.push(leftovers);
    let services = [
        ("customer-service", customer, "customers", None),
        ("product-service", product, "products", None),
        (
            "product-service-traced",
            traced_product,
            "products",
            Some(&sink),
        ),
    ];
    for (label, port, db, traced) in services {
        let name = label.trim_end_matches("-traced");
        let mut cmd = service(ctx, name, port, urls, &run);
        cmd.env("MONGODB_DB", format!("bench_{run}_{db}"))
            .env("EVENTS_EXCHANGE", &exchange)
            .env("JWKS_URL", &jwks)
            .env("LOGIN_MAX_PER_CLIENT", QUOTA);
        if let Some(sink) = traced {
            cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", sink);
        }
        stack::spawn(ctx, started, label, cmd)?;
    }
    for (label, port, _, _) in services {
        stack::wait_until(ctx, started, label, || stack::healthy(port))?;
    }
    for (label, port, upstream, traced) in [
        ("gateway", gateway, product, None),
        (
            "gateway-traced",
            traced_gateway,
            traced_product,
            Some(&sink),
        ),
    ] {
        let cmd = gateway_command(ctx, port, urls, &run, customer, upstream, traced);
        stack::spawn(ctx, started, label, cmd)?;
        stack::wait_until(ctx, started, label, || stack::healthy(port))?;
    }
    Ok(ports)
}

/// A gateway on `port` in front of customer-service on `customer` and product-service on
/// `product`, quotas too high to trip, the other services at the discard port, traced to
/// `sink` when given.
fn gateway_command(
    ctx: &Ctx,
    port: u16,
    urls: &Urls,
    run: &str,
    customer: u16,
    product: u16,
    sink: Option<&String>,
) -> Command {
    let mut cmd = service(ctx, "gateway", port, urls, run);
    cmd.env(
        "CUSTOMER_SERVICE_URL",
        format!("http://127.0.0.1:{customer}"),
    )
    .env("PRODUCT_SERVICE_URL", format!("http://127.0.0.1:{product}"));
    // Not measured; pointed at the discard port rather than at a running `up`.
    for var in [
        "ORDER_SERVICE_URL",
        "ALERT_SERVICE_URL",
        "ANALYTICS_SERVICE_URL",
        "ASSISTANT_SERVICE_URL",
    ] {
        cmd.env(var, "http://127.0.0.1:9");
    }
    for class in ["AUTH", "ASSISTANT", "CATALOG", "CLICKSTREAM", "DEFAULT"] {
        cmd.env(format!("RATE_LIMIT_{class}_PER_MIN"), QUOTA);
    }
    if let Some(sink) = sink {
        cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", sink);
    }
    cmd
}

/// The release binary of `name` on `port`, with the stores of `urls` and the run's Redis keys.
fn service(ctx: &Ctx, name: &str, port: u16, urls: &Urls, run: &str) -> Command {
    let mut cmd = Command::new(ctx.paths.release_binary(name));
    cmd.current_dir(&ctx.paths.root)
        .envs(urls.env())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("REDIS_PREFIX", format!("bench:{run}:"))
        .env("RUST_LOG", LOG_LEVEL);
    cmd
}

/// Creates a product as the admin and signs a customer in, through the gateway.
pub fn fixture(ctx: &Ctx, ports: &Ports) -> Result<Fixture> {
    let gateway =
        Gateway::parse(&format!("http://127.0.0.1:{}", ports.gateway)).map_err(|e| anyhow!(e))?;
    let [(admin_email, admin_password), _] = seed::credentials()?;
    let admin = seed::sign_in(ctx, &gateway, &admin_email, &admin_password)
        .context("signing in as the admin")?;
    let product = Value::from_iter(vec![
        ("name", Value::String("Bench Mug".into())),
        (
            "description",
            Value::String("The product `cargo xtask bench gateway` reads.".into()),
        ),
        ("price", Value::from(12.5)),
        ("category", Value::String("Bench".into())),
        ("tags", Value::Array(vec![Value::String("bench".into())])),
        ("stock", Value::from(1000)),
    ]);
    let request = gateway
        .request("POST", "/products")
        .header("Authorization", &format!("Bearer {admin}"))
        .json(product.to_string());
    let reply = gateway.send(ctx, &request)?;
    let product_id = match (reply.status, reply.json.pointer("/data/id")) {
        (201, Some(Value::String(id))) => id.clone(),
        _ => bail!("creating the bench product: {}", reply.describe()),
    };
    let (email, password) = CUSTOMER;
    let register = Value::from_iter(vec![
        ("name", Value::String("Bench Customer".into())),
        ("email", Value::String(email.into())),
        ("password", Value::String(password.into())),
    ]);
    let reply = gateway.send(
        ctx,
        &gateway
            .request("POST", "/auth/register")
            .json(register.to_string()),
    )?;
    if !matches!(reply.status, 201 | 409) {
        bail!("registering {email}: {}", reply.describe());
    }
    let customer_token = seed::sign_in(ctx, &gateway, email, password)?;
    ctx.progress.step(
        "bench",
        format!("product {product_id} created; signed in as {email}"),
    );
    Ok(Fixture {
        product_id,
        customer_token,
        admin_token: admin,
        product: product.to_string(),
    })
}

/// Writes `.local/bench/nginx.conf`, starts nginx on it and waits until it proxies.
pub fn start_nginx(
    ctx: &Ctx,
    started: &mut Started,
    nginx: &Path,
    proxy: &Proxy,
    product_id: &str,
) -> Result<()> {
    std::fs::create_dir_all(proxy.prefix.join("tmp"))?;
    let config = ctx.paths.bench().join("nginx.conf");
    std::fs::write(&config, proxy.render())
        .with_context(|| format!("cannot write {}", config.display()))?;
    stack::spawn(ctx, started, "nginx", proxy.command(nginx, &config))?;
    let path = format!("/api/products/{product_id}");
    stack::wait_until(ctx, started, "nginx", || {
        http::get(proxy.listen, &path, Duration::from_secs(2)).is_ok_and(|r| r.status == 200)
    })
}

/// `bench/results/gateway.md`.
pub fn markdown(
    tables: [&Table; 2],
    machine: &Machine,
    settings: &str,
    targets: &str,
    cpu: &str,
) -> String {
    let [reads, writes] = tables;
    format!(
        "# Benchmark: the gateway\n\n\
         `cargo xtask bench gateway`: `GET /api/products/:id` for one product, straight to \
         product-service, through nginx as a plain reverse proxy (keep-alive upstream, no \
         access log), and through the gateway (rate limiting with quotas too high to trip, \
         validation, and in the last two rows a customer's bearer token verified on every \
         request). The last row goes through a second gateway and product-service with \
         `OTEL_EXPORTER_OTLP_ENDPOINT` set: every request traced, its spans exported over \
         OTLP/HTTP in batches to an nginx location that answers 200 and drops them. Release \
         builds, `RUST_LOG={LOG_LEVEL}` for every service.\n\n\
         {settings}.\n\n## Reads\n\n{}\n## Writes\n\n\
         `PUT /api/products/:id` as the admin, the product sent back unchanged: a body the \
         gateway validates by parsing it into `shared::api::products::ProductInput` (what \
         product-service then does again), straight to product-service, through nginx and \
         through the gateway.\n\n{}\n{targets}.\n\n## CPU per request\n\n\
         What each proxy and product-service spent on a CPU per request, over the same \
         measured runs (the row's median round): a figure a busy neighbour on a shared \
         machine moves far less than the rate.\n\n{cpu}\n## Machine\n\n{}",
        reads.render_markdown(),
        writes.render_markdown(),
        machine.to_markdown()
    )
}

/// The processes whose CPU time the rows read, once everything has started.
pub fn pids(started: &Started) -> Result<super::Pids> {
    let pid = |label: &str| {
        stack::pid_of(started, label).with_context(|| format!("{label} has no process id"))
    };
    Ok(super::Pids {
        product: pid("product-service")?,
        traced_product: pid("product-service-traced")?,
        gateway: pid("gateway")?,
        traced_gateway: pid("gateway-traced")?,
        nginx: pid("nginx")?,
    })
}
