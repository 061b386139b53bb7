//! Before the passes: a suite to fuzz (the running one, or one started like `up` with the
//! quotas raised), the document's operations, and the callers' tokens.

use serde_json::Value;

use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use super::{GATEWAY_PORT, HIGH_QUOTA};
use crate::{
    cleanup::Started,
    ctx::Ctx,
    health, http,
    seed::{self, Gateway},
    services::Service,
    suite,
};

/// Uses the running gateway, or starts the suite like `up` (quotas raised) and seeds it.
/// Returns the sentence the report says about rate limits.
pub fn prepare_suite(ctx: &Ctx, started: &mut Started) -> Result<String> {
    if health::check(GATEWAY_PORT, "/health").is_ok_and(|r| r.is_healthy()) {
        ctx.progress.step(
            "fuzz",
            "the gateway on :5000 answers: fuzzing the running suite as it is (its rate \
             limits apply; 429 is a declared answer)",
        );
        return Ok("The suite was already running, so its own rate limits applied.".to_owned());
    }
    ctx.progress.step(
        "fuzz",
        "the gateway on :5000 does not answer: starting the suite as `up` does, with high \
         rate limits, and stopping it afterwards",
    );
    suite::start(ctx, &fuzz_env, started)?;
    // A seed that fails half-way (say, on the catalog) is itself a finding the fuzzer will
    // show; the tokens step below fails clearly if the accounts are missing.
    if let Err(error) = seed::run(ctx, &Gateway::local()) {
        ctx.progress.step(
            "fuzz",
            format!("warning: the seed failed ({error:#}); fuzzing anyway"),
        );
    }
    Ok(format!(
        "xtask started the suite for this run with `RATE_LIMIT_*_PER_MIN={HIGH_QUOTA}` on the \
         gateway and `LOGIN_MAX_PER_CLIENT={HIGH_QUOTA}` on customer-service."
    ))
}

/// The extra variables of a service started for fuzzing.
fn fuzz_env(service: &Service) -> Vec<(&'static str, String)> {
    let names: &[&'static str] = match service.name {
        "gateway" => &[
            "RATE_LIMIT_AUTH_PER_MIN",
            "RATE_LIMIT_ASSISTANT_PER_MIN",
            "RATE_LIMIT_CATALOG_PER_MIN",
            "RATE_LIMIT_CLICKSTREAM_PER_MIN",
            "RATE_LIMIT_DEFAULT_PER_MIN",
        ],
        "customer-service" => &["LOGIN_MAX_PER_CLIENT"],
        _ => &[],
    };
    names.iter().map(|n| (*n, HIGH_QUOTA.to_owned())).collect()
}

/// The number of operations in `/api/openapi.json`, and of those that declare a 429.
pub fn document() -> Result<Document> {
    let response = http::get(GATEWAY_PORT, "/api/openapi.json", Duration::from_secs(10))
        .context("GET /api/openapi.json")?;
    if response.status != 200 {
        bail!("GET /api/openapi.json answered {}", response.status);
    }
    let json: Value = serde_json::from_str(&response.text)?;
    let (operations, declare_429) = count_operations(&json);
    Ok(Document {
        operations,
        declare_429,
        streams: event_streams(&json),
    })
}

/// What the passes need to know of the API document.
pub struct Document {
    /// Operations in it.
    pub operations: usize,
    /// Of which declare 429.
    pub declare_429: usize,
    /// The paths whose `GET` answers an event stream (`text/event-stream`).
    pub streams: Vec<String>,
}

/// The paths whose `GET` answers 200 with `text/event-stream`: a stream that opens stays open
/// until schemathesis's request timeout, so each such case would cost the whole timeout.
fn event_streams(document: &Value) -> Vec<String> {
    document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, item)| {
            item.pointer("/get/responses/200/content/text~1event-stream")
                .is_some()
        })
        .map(|(path, _)| path.clone())
        .collect()
}

fn count_operations(document: &Value) -> (usize, usize) {
    let operations: Vec<&Value> = document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, item)| item.as_object())
        .flat_map(|item| item.values())
        .filter(|op| op.get("responses").is_some())
        .collect();
    let declare_429 = operations
        .iter()
        .filter(|op| op.pointer("/responses/429").is_some())
        .count();
    (operations.len(), declare_429)
}

/// A fresh admin token (the passes may outlast the first one).
pub fn admin_token(ctx: &Ctx, gateway: &Gateway) -> Result<String> {
    let [(email, password), _] = seed::credentials()?;
    seed::sign_in(ctx, gateway, &email, &password)
}

/// Access tokens: the admin's, and two separate sign-ins of the demo customer (one for the
/// logout pass, which revokes it). Seeds first when the demo customer cannot sign in.
pub fn tokens(ctx: &Ctx, gateway: &Gateway) -> Result<[String; 3]> {
    let [(admin_email, admin_password), (demo_email, demo_password)] = seed::credentials()?;
    let admin = seed::sign_in(ctx, gateway, &admin_email, &admin_password)
        .with_context(|| format!("signing in as the admin {admin_email}"))?;
    let customer = match seed::sign_in_once(ctx, gateway, &demo_email, &demo_password)? {
        Some(token) => token,
        None => {
            ctx.progress.step(
                "fuzz",
                format!("{demo_email} cannot sign in: seeding first"),
            );
            seed::run(ctx, gateway)?;
            seed::sign_in(ctx, gateway, &demo_email, &demo_password)?
        }
    };
    let logout = seed::sign_in(ctx, gateway, &demo_email, &demo_password)?;
    ctx.progress.step(
        "fuzz",
        format!("signed in as {admin_email} (admin) and twice as {demo_email} (customer)"),
    );
    Ok([admin, customer, logout])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_and_their_declared_429s_are_counted() {
        let doc = serde_json::from_str::<Value>(
            r#"{"paths":{
                "/api/a":{"get":{"responses":{"200":{},"429":{}}},"post":{"responses":{"200":{}}}},
                "/api/b":{"parameters":[],"delete":{"responses":{"429":{}}}}}}"#,
        )
        .expect("valid");
        assert_eq!(count_operations(&doc), (3, 2));
    }

    #[test]
    fn the_paths_that_answer_an_event_stream_are_found() {
        let doc = serde_json::from_str::<Value>(
            r#"{"paths":{
                "/api/orders/{id}/stream":{"get":{"responses":{"200":{"content":{"text/event-stream":{}}}}}},
                "/api/orders/{id}":{"get":{"responses":{"200":{"content":{"application/json":{}}}}}},
                "/api/events":{"post":{"responses":{"200":{"content":{"text/event-stream":{}}}}}}}}"#,
        )
        .expect("valid");
        assert_eq!(event_streams(&doc), ["/api/orders/{id}/stream"]);
    }

    #[test]
    fn only_the_gateway_and_customer_service_get_raised_quotas() {
        let by_name = |name: &'static str| {
            let service = crate::services::SERVICES
                .iter()
                .find(|s| s.name == name)
                .expect("known service");
            fuzz_env(service)
        };
        assert_eq!(by_name("gateway").len(), 5);
        assert!(
            by_name("gateway")
                .iter()
                .all(|(k, v)| k.starts_with("RATE_LIMIT_") && v == HIGH_QUOTA)
        );
        assert_eq!(
            by_name("customer-service"),
            [("LOGIN_MAX_PER_CLIENT", HIGH_QUOTA.to_owned())]
        );
        assert!(by_name("order-service").is_empty());
    }
}
