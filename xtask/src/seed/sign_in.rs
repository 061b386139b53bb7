//! Signing in through the gateway. Every refused sign-in counts towards locking the account
//! (customer-service's `LOGIN_MAX_FAILURES`, default 5, for `LOGIN_LOCK_SECS`), so retries stop
//! short of it.

use serde_json::json;

use std::time::Duration;

use anyhow::Result;

use super::{
    api::{self, Gateway},
    data,
};
use crate::{ctx::Ctx, http};

/// Signs in and returns the access token. customer-service creates the admin account just
/// after it starts, so a 401 is retried a few times, with growing pauses; but every refusal
/// counts towards the account's lock (`LOGIN_MAX_FAILURES`, default 5), so we stop one short
/// of it, and a wrong `ADMIN_PASSWORD` fails without locking the admin out.
pub fn sign_in(ctx: &Ctx, gateway: &Gateway, email: &str, password: &str) -> Result<String> {
    let request = login_request(gateway, email, password);
    let attempts = login_attempts(std::env::var("LOGIN_MAX_FAILURES").ok().as_deref());
    let mut pause = Duration::from_millis(1500);
    let mut attempt = 1;
    loop {
        let reply = gateway.send(ctx, &request)?;
        if reply.status == 401 && attempt < attempts {
            ctx.progress.step(
                "seed",
                format!(
                    "{email}: sign-in refused (401), again in {:.1}s (customer-service \
                     creates the admin account as it starts)",
                    pause.as_secs_f64()
                ),
            );
            std::thread::sleep(pause);
            pause *= 2;
            attempt += 1;
            continue;
        }
        return api::access_token(&reply).map_err(|e| match reply.status {
            401 => e.context(format!(
                "refused {attempts} times; is ADMIN_PASSWORD the one customer-service was \
                 started with? (it sets the admin's password from its own at start)"
            )),
            _ => e,
        });
    }
}

/// Signs in with one attempt (a 429 or 503 is waited out): the access token, or `None` when
/// the credentials are refused (401), e.g. because the account was never seeded.
pub fn sign_in_once(
    ctx: &Ctx,
    gateway: &Gateway,
    email: &str,
    password: &str,
) -> Result<Option<String>> {
    let reply = gateway.send(ctx, &login_request(gateway, email, password))?;
    if reply.status == 401 {
        return Ok(None);
    }
    api::access_token(&reply).map(Some)
}

/// `POST /api/auth/login` with these credentials.
fn login_request(gateway: &Gateway, email: &str, password: &str) -> http::Request {
    let body = json!({ "email": email, "password": password });
    gateway
        .request("POST", "/auth/login")
        .json(body.to_string())
}

/// Whether a customer that was already registered still signs in with the seeded password
/// (someone may have changed it); one attempt, and a refusal is a warning, not a failure.
pub fn still_signs_in(ctx: &Ctx, gateway: &Gateway, customer: &data::Customer) -> bool {
    let request = login_request(gateway, &customer.email, &customer.password);
    let problem = match gateway.send(ctx, &request) {
        Ok(reply) if reply.status == 200 => return true,
        Ok(reply) => reply.describe(),
        Err(e) => format!("{e:#}"),
    };
    ctx.progress.step(
        "seed",
        format!(
            "warning: {} was already registered, and signing in with the seeded password \
             answered {problem}",
            customer.email
        ),
    );
    false
}

/// How many sign-ins to try: one fewer than the failures that lock an account (the
/// variable customer-service reads; 5 when unset or unreadable), at most 4, at least 1.
fn login_attempts(max_failures: Option<&str>) -> u32 {
    let max_failures = max_failures
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or(5);
    max_failures.saturating_sub(1).clamp(1, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_stops_one_short_of_the_account_lock() {
        assert_eq!(login_attempts(None), 4);
        assert_eq!(login_attempts(Some("5")), 4);
        assert_eq!(login_attempts(Some("3")), 2);
        assert_eq!(login_attempts(Some("1")), 1);
        assert_eq!(login_attempts(Some("0")), 1);
        assert_eq!(login_attempts(Some("50")), 4);
        assert_eq!(login_attempts(Some("many")), 4);
    }

    #[test]
    fn a_login_request_carries_the_credentials_as_json() {
        let gateway = Gateway::local();
        let request = login_request(&gateway, "a@example.com", "pa\"ss");
        let expected = crate::http::Request::new("POST", "http://127.0.0.1:5000/api/auth/login")
            .json(r#"{"email":"a@example.com","password":"pa\"ss"}"#);
        assert_eq!(request, expected);
    }
}
