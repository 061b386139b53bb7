//! The suite a drill runs against: the running one, or one started like `up` with raised
//! quotas and fast fulfilment (and stopped at the end).

use anyhow::Result;

use crate::{cleanup::Started, ctx::Ctx, health, services::Service, suite};

const GATEWAY_PORT: u16 = 5000;

/// Uses the running suite, or starts one like `up` (quotas raised, fulfilment fast); the
/// report's sentence about it.
pub fn prepare_suite(ctx: &Ctx, started: &mut Started) -> Result<String> {
    if health::check(GATEWAY_PORT, "/health").is_ok_and(|r| r.is_healthy()) {
        ctx.progress.step(
            "drill",
            "the gateway on :5000 answers: drilling the running suite as it is",
        );
        return Ok(
            "The suite was already running (`cargo xtask up`), with its own settings: \
                   fulfilment 3–7 s a step, default rate limits."
                .to_owned(),
        );
    }
    ctx.progress.step(
        "drill",
        "the gateway on :5000 does not answer: starting the suite as `up` does, and stopping \
         it afterwards",
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
