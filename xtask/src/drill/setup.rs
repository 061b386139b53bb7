//! The suite a drill runs against: the running one, or one started like `up` with raised
//! quotas and fast fulfilment (and stopped at the end).

use anyhow::Result;

use crate::{
    cleanup::Started,
    ctx::Ctx,
    health,
    services::{self, SERVICES, Service},
    suite,
};

/// Uses the running suite, or starts one like `up` (quotas raised, fulfilment fast); the
/// report's sentence about it. The suite's ports are 5000–5006 shifted by
/// `XTASK_PORT_OFFSET`, and with `XTASK_NAMESPACE` its databases, exchange and Redis prefix
/// are its own (see [`services::placement_env`]).
pub fn prepare_suite(ctx: &Ctx, started: &mut Started) -> Result<String> {
    let port = SERVICES
        .iter()
        .find(|s| s.is_gateway())
        .map_or(5000, Service::port);
    if health::check(port, "/health").is_ok_and(|r| r.is_healthy()) {
        ctx.progress.step(
            "drill",
            format!("the gateway on :{port} answers: drilling the running suite as it is"),
        );
        return Ok(
            "The suite was already running (`cargo xtask up`), with its own settings: \
                   fulfilment 3–7 s a step, default rate limits."
                .to_owned(),
        );
    }
    ctx.progress.step(
        "drill",
        format!(
            "the gateway on :{port} does not answer: starting the suite as `up` does, and \
             stopping it afterwards{}",
            services::namespace().map_or_else(String::new, |n| format!(" (namespace {n})"))
        ),
    );
    suite::start(ctx, &drill_env, started)?;
    Ok(
        "xtask started the suite for this run, with high rate limits and fulfilment steps of \
        0.3–1 s."
            .to_owned(),
    )
}

/// The extra variables of a service the drill starts.
pub fn drill_env(service: &Service) -> Vec<(&'static str, String)> {
    let high = || "1000000".to_owned();
    match service.name {
        "gateway" => vec![
            ("RATE_LIMIT_AUTH_PER_MIN", high()),
            ("RATE_LIMIT_CATALOG_PER_MIN", high()),
            ("RATE_LIMIT_CLICKSTREAM_PER_MIN", high()),
            ("RATE_LIMIT_DEFAULT_PER_MIN", high()),
        ],
        "customer-service" => vec![("LOGIN_MAX_PER_CLIENT", high())],
        "order-service" => vec![
            ("FULFILMENT_MIN_DELAY_MS", "300".to_owned()),
            ("FULFILMENT_MAX_DELAY_MS", "1000".to_owned()),
            ("FULFILMENT_POLL_MS", "100".to_owned()),
        ],
        _ => Vec::new(),
    }
}
