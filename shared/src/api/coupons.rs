//! Coupon bodies (issue 15): the admin's `POST /coupons` and `PATCH /coupons/{code}`, and the
//! customer's `POST /cart/coupon`. Every rule that needs no stored data is here (a code's
//! shape, a kind's value, a window that ends after it starts), so the gateway and
//! order-service refuse the same bodies.

use chrono::{DateTime, Utc};
use garde::{Error, Validate};
use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

use super::rules;
use crate::Money;

/// What a coupon does: a share of the subtotal, an amount off it, or free shipping.
pub const KINDS: &[&str] = &["percent", "fixed", "free_shipping"];
/// The loyalty tiers a coupon may require, lowest first (customer-service's names).
pub const TIERS: &[&str] = &["Bronze", "Silver", "Gold", "Platinum"];
/// Longest code.
pub const MAX_CODE: usize = 32;
/// Most uses a coupon may allow.
pub const MAX_USES: i64 = 1_000_000;

/// A coupon code: 1 to 32 letters, digits, `-` or `_` (compared without regard to case).
pub fn coupon_code(value: &str, _: &()) -> garde::Result {
    let ok = (1..=MAX_CODE).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::new(format!(
            "must be 1 to {MAX_CODE} letters, digits, - or _"
        )))
    }
}

/// A percentage with at most two decimals, more than 0 and at most 100.
fn percent(value: &Number) -> garde::Result {
    match Money::from_number(value) {
        Ok(m) if m.cents() > 0 && m.cents() <= 10_000 => Ok(()),
        _ => Err(Error::new(
            "must be a percentage above 0 and at most 100, with at most two decimals",
        )),
    }
}

/// An amount with at most two decimals, more than zero.
fn positive(value: &Number, _: &()) -> garde::Result {
    rules::price(value, &())
}

/// An amount with at most two decimals, zero or more.
fn amount(value: &Number, _: &()) -> garde::Result {
    match Money::from_number(value) {
        Ok(m) if m.cents() >= 0 && m <= Money::MAX => Ok(()),
        _ => Err(Error::new(
            "must be an amount of zero or more with at most two decimals",
        )),
    }
}

/// An RFC 3339 time.
fn time(value: &str, _: &()) -> garde::Result {
    DateTime::parse_from_rfc3339(value.trim())
        .map(drop)
        .map_err(|_| Error::new("must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z"))
}

/// The time of a checked RFC 3339 string.
pub fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `value` as the kind needs it: required for `percent` (0..=100) and `fixed` (an amount),
/// absent (or 0) for `free_shipping`.
fn value_of(kind: &str) -> impl FnOnce(&Option<Number>, &()) -> garde::Result + '_ {
    move |value, _| match (kind.trim(), value) {
        ("percent", Some(v)) => percent(v),
        ("fixed", Some(v)) => positive(v, &()),
        ("percent" | "fixed", None) => Err(Error::new("is required for this kind")),
        ("free_shipping", Some(v)) if Money::from_number(v).is_ok_and(|m| m.cents() == 0) => Ok(()),
        ("free_shipping", Some(_)) => Err(Error::new("must be absent (or 0) for free_shipping")),
        _ => Ok(()),
    }
}

/// `validUntil`: a time, after `validFrom` when both are given.
fn until(from: Option<&str>) -> impl FnOnce(&str, &()) -> garde::Result + '_ {
    move |until, ctx| {
        time(until, ctx)?;
        match (from.and_then(parse_time), parse_time(until)) {
            (Some(from), Some(until)) if until <= from => {
                Err(Error::new("must be after validFrom"))
            }
            _ => Ok(()),
        }
    }
}

/// [`until`] in a patch, whose `validFrom` may be absent or `null`.
fn patched_until(from: &Option<Option<String>>) -> impl FnOnce(&str, &()) -> garde::Result + '_ {
    until(from.as_ref().and_then(Option::as_deref))
}

/// `POST /coupons`: a new coupon. Amounts are in currency units with at most two decimals;
/// `value` is a percentage for `percent`, an amount for `fixed`, and absent for
/// `free_shipping` (which makes shipping free).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CouponInput {
    /// The code customers type; unique without regard to case (`welcome10` is `WELCOME10`).
    #[garde(custom(coupon_code))]
    #[schema(min_length = 1, max_length = 32, pattern = "^[A-Za-z0-9_-]+$")]
    pub code: String,
    /// `percent`, `fixed` or `free_shipping`.
    #[garde(custom(rules::one_of(KINDS)))]
    #[schema(example = "percent")]
    pub kind: String,
    /// The percentage (`percent`, above 0 to 100) or the amount (`fixed`, above 0).
    #[garde(custom(value_of(&self.kind)))]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100000000, multiple_of = 0.01)]
    pub value: Option<Number>,
    /// The subtotal from which it applies.
    #[garde(inner(custom(amount)))]
    #[schema(value_type = Option<f64>, minimum = 0, multiple_of = 0.01)]
    pub min_subtotal: Option<Number>,
    /// The most it takes off.
    #[garde(inner(custom(positive)))]
    #[schema(value_type = Option<f64>, minimum = 0.01, multiple_of = 0.01)]
    pub max_discount: Option<Number>,
    /// From when it applies (RFC 3339).
    #[garde(inner(custom(time)))]
    pub valid_from: Option<String>,
    /// Until when it applies (RFC 3339), after `validFrom`.
    #[garde(inner(custom(until(self.valid_from.as_deref()))))]
    pub valid_until: Option<String>,
    /// How many orders may use it in all.
    #[garde(inner(custom(rules::whole(1, MAX_USES))))]
    #[schema(minimum = 1, maximum = 1000000)]
    pub usage_limit: Option<i64>,
    /// How many orders of one customer may use it.
    #[garde(inner(custom(rules::whole(1, MAX_USES))))]
    #[schema(minimum = 1, maximum = 1000000)]
    pub per_customer_limit: Option<i64>,
    /// The lowest loyalty tier that may use it (`Bronze`, `Silver`, `Gold`, `Platinum`).
    #[garde(inner(custom(rules::one_of(TIERS))))]
    pub min_tier: Option<String>,
    /// `false` pauses it (default `true`).
    #[garde(skip)]
    pub active: Option<bool>,
}

/// `PATCH /coupons/{code}`: what to change (the code stays). An absent field stays; `null`
/// removes an optional rule (no minimum, no cap, no window, no limit, no tier). `value` alone
/// is checked against the stored kind by order-service (422 when it does not fit).
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CouponPatch {
    /// A new kind (then `value` follows its rule).
    #[garde(inner(custom(rules::one_of(KINDS))))]
    pub kind: Option<String>,
    /// A new value.
    #[garde(custom(patched_value(self.kind.as_deref())))]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100000000, multiple_of = 0.01)]
    pub value: Option<Number>,
    /// A new minimum subtotal, or `null` for none.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(amount))))]
    #[schema(value_type = Option<f64>, nullable, minimum = 0, multiple_of = 0.01)]
    pub min_subtotal: Option<Option<Number>>,
    /// A new cap, or `null` for none.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(positive))))]
    #[schema(value_type = Option<f64>, nullable, minimum = 0.01, multiple_of = 0.01)]
    pub max_discount: Option<Option<Number>>,
    /// A new start, or `null` for none.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(time))))]
    #[schema(value_type = Option<String>, nullable)]
    pub valid_from: Option<Option<String>>,
    /// A new end, or `null` for none (after `validFrom` when both are given here).
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(patched_until(&self.valid_from)))))]
    #[schema(value_type = Option<String>, nullable)]
    pub valid_until: Option<Option<String>>,
    /// A new overall limit, or `null` for none.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(rules::whole(1, MAX_USES)))))]
    #[schema(value_type = Option<i64>, nullable, minimum = 1, maximum = 1000000)]
    pub usage_limit: Option<Option<i64>>,
    /// A new per-customer limit, or `null` for none.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(rules::whole(1, MAX_USES)))))]
    #[schema(value_type = Option<i64>, nullable, minimum = 1, maximum = 1000000)]
    pub per_customer_limit: Option<Option<i64>>,
    /// A new lowest tier, or `null` for none.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(rules::one_of(TIERS)))))]
    #[schema(value_type = Option<String>, nullable)]
    pub min_tier: Option<Option<String>>,
    /// `false` pauses the coupon, `true` resumes it.
    #[garde(skip)]
    pub active: Option<bool>,
}

/// `value` of a patch: by the new kind's rule, or any amount of zero or more without one.
fn patched_value(kind: Option<&str>) -> impl FnOnce(&Option<Number>, &()) -> garde::Result + '_ {
    move |value, ctx| match kind {
        Some(kind) => value_of(kind)(value, ctx),
        None => value.as_ref().map_or(Ok(()), |v| amount(v, ctx)),
    }
}

/// `POST /cart/coupon`: the code to apply to the caller's cart.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CartCoupon {
    /// The coupon's code (any case).
    #[garde(custom(coupon_code))]
    #[schema(min_length = 1, max_length = 32, pattern = "^[A-Za-z0-9_-]+$")]
    pub code: String,
}

/// A coupon as the admin's API shows it, with how often it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Coupon {
    /// The code, upper-cased.
    pub code: String,
    /// `percent`, `fixed` or `free_shipping`.
    pub kind: String,
    /// The percent or the amount; `null` for `free_shipping`.
    pub value: Option<Money>,
    /// The least subtotal it applies to, or `null`.
    pub min_subtotal: Option<Money>,
    /// The most it takes off, or `null`.
    pub max_discount: Option<Money>,
    /// From when it applies (RFC 3339), or `null`.
    pub valid_from: Option<String>,
    /// Until when it applies, or `null`.
    pub valid_until: Option<String>,
    /// How often it may be used in all, or `null`.
    pub usage_limit: Option<i64>,
    /// How often one customer may use it, or `null`.
    pub per_customer_limit: Option<i64>,
    /// The least loyalty tier it needs, or `null`.
    pub min_tier: Option<String>,
    /// Whether it is on (not paused).
    pub active: bool,
    /// How often it was used.
    pub used: i64,
    /// When it was made.
    pub created_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::{ApiError, api};

    fn details<T: api::Body + std::fmt::Debug>(body: &Value) -> Value {
        match api::parse::<T>(body.to_string().as_bytes()) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    #[test]
    fn each_kind_takes_the_value_it_needs() {
        for body in [
            json!({"code": "WELCOME10", "kind": "percent", "value": 10}),
            json!({"code": "five-off", "kind": "fixed", "value": 5.5, "minSubtotal": 20}),
            json!({"code": "FREESHIP", "kind": "free_shipping"}),
        ] {
            api::parse::<CouponInput>(body.to_string().as_bytes()).unwrap();
        }
        for body in [
            json!({"code": "A", "kind": "percent", "value": 101}),
            json!({"code": "A", "kind": "percent"}),
            json!({"code": "A", "kind": "fixed", "value": 0}),
            json!({"code": "A", "kind": "fixed", "value": 1.005}),
            json!({"code": "A", "kind": "free_shipping", "value": 3}),
        ] {
            assert!(
                details::<CouponInput>(&body).get("value").is_some(),
                "{body}"
            );
        }
    }

    #[test]
    fn a_bad_code_window_tier_or_limit_is_named() {
        let problems = details::<CouponInput>(&json!({"code": "no spaces", "kind": "percent",
            "value": 10, "validFrom": "2026-02-01T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z",
            "minTier": "Diamond", "usageLimit": 0}));
        for field in ["code", "validUntil", "minTier", "usageLimit"] {
            assert!(problems.get(field).is_some(), "{field}: {problems}");
        }
    }

    #[test]
    fn a_patch_may_clear_rules_and_checks_what_it_sets() {
        let patch: CouponPatch =
            api::parse(br#"{"minTier": null, "usageLimit": 5, "active": false}"#).unwrap();
        assert_eq!(patch.min_tier, Some(None));
        assert_eq!(patch.usage_limit, Some(Some(5)));
        let problems = details::<CouponPatch>(&json!({"kind": "percent", "value": 150}));
        assert!(problems.get("value").is_some(), "{problems}");
        assert!(
            details::<CouponPatch>(&json!({"code": "X"}))
                .get("code")
                .is_some()
        );
    }
}
