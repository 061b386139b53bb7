//! The demo customer's saved card (issue 15): the test provider's approving Visa, 4242…, saved
//! through the public API only when no saved card ends in 4242, so a second seed changes
//! nothing. The number is the provider's public test card, not a secret; only its brand, last
//! four digits and expiry are kept.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::{api::Gateway, data::Customer, sign_in::sign_in};
use crate::ctx::Ctx;

/// The card every demo checkout can pay with.
const DEMO_CARD: &str = "4242 4242 4242 4242";

/// How many years ahead the demo card expires.
const YEARS_AHEAD: u64 = 4;

/// This year, from the clock (a day's error at New Year moves an expiry four years ahead by
/// a year at most, which no rule minds).
fn this_year() -> u64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + secs / 31_556_952
}

/// The body that saves the demo card.
fn demo_card(year: u64) -> Value {
    json!({
        "card": {"number": DEMO_CARD, "expMonth": 12, "expYear": year + YEARS_AHEAD, "cvc": "123", "holder": "Alex Demo"},
    })
}

/// Whether the saved cards of a `GET /customers/me/payment-methods` answer hold the demo card.
fn has_demo_card(saved: &Value) -> bool {
    saved["data"].as_array().is_some_and(|cards| {
        cards
            .iter()
            .any(|c| c["last4"] == "4242" && c["brand"] == "visa")
    })
}

/// Saves the demo card for `demo` where it is missing; says what it did.
pub fn run(ctx: &Ctx, gateway: &Gateway, demo: &Customer) -> Result<String> {
    let token = sign_in(ctx, gateway, &demo.email, &demo.password)?;
    let bearer = format!("Bearer {token}");
    let path = "/customers/me/payment-methods";
    let saved = gateway.send(
        ctx,
        &gateway
            .request("GET", path)
            .header("authorization", &bearer),
    )?;
    if saved.status != 200 {
        bail!("GET /api{path}: {}", saved.describe());
    }
    if has_demo_card(&saved.json) {
        return Ok(format!(
            "{}: the test Visa ending 4242 was saved already",
            demo.email
        ));
    }
    let add = gateway
        .request("POST", path)
        .header("authorization", &bearer)
        .json(demo_card(this_year()).to_string());
    super::api::created(&gateway.send(ctx, &add)?)?;
    Ok(format!("{}: saved the test Visa ending 4242", demo.email))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_card_is_found_by_brand_and_last_four_and_expires_years_ahead() {
        let listed = json!({"data": [{"brand": "mastercard", "last4": "4444"}, {"brand": "visa", "last4": "4242"}]});
        assert!(has_demo_card(&listed));
        assert!(!has_demo_card(
            &json!({"data": [{"brand": "visa", "last4": "0002"}]})
        ));
        assert!(!has_demo_card(&json!({"data": []})));
        assert_eq!(demo_card(2026)["card"]["expYear"], 2030);
        assert!((2025..2100).contains(&this_year()), "{}", this_year());
    }
}
