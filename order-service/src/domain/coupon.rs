//! Coupons (issue 15) as rules, without I/O: a code, what it takes off, when and by whom it
//! may be used, and the one check ([`Coupon::check`]) that the cart, the checkout and the
//! redemption all apply, each refusal naming its reason ([`Refusal`]).
//!
//! A code is case-insensitive: it is kept upper-cased, and that is the stored `_id`. Amounts
//! are integer cents; a percentage is kept in basis points (12.5 % = 1250), which is exactly
//! the "cents" of the number the admin sends.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::{
    ApiError,
    api::coupons::{CouponInput, TIERS, parse_time},
};

use super::{
    Money,
    pricing::{self, CouponValue, Percent},
};

/// A coupon code, upper-cased.
pub fn normalise(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// A step under way on one redemption, kept on the coupon while it lasts
/// (`counting.<key>` or `givingBack.<key>`, see [`crate::store::coupons`]): the attempt's
/// random token and what a later reader needs to finish the step for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Marker {
    /// The attempt's random token.
    pub by: String,
    /// Whose use it is.
    pub customer_id: String,
    /// The order's request key (the checkout token).
    pub token: String,
    /// When the step began (epoch milliseconds).
    pub at_ms: i64,
}

/// One redemption as versions before its own collection kept it on the coupon
/// (`redemptions.<key>`): moved out when read ([`crate::store::coupons`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redemption {
    /// Who used it.
    pub customer_id: String,
    /// The order's request key (the checkout token).
    pub token: String,
    /// When (epoch milliseconds).
    pub at_ms: i64,
    /// When the use was given back (the order was rejected or cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_at_ms: Option<i64>,
}

/// A coupon as stored in `coupons` (see [`crate::store::coupons`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coupon {
    /// The code, upper-cased.
    #[serde(rename = "_id")]
    pub code: String,
    /// `percent`, `fixed` or `free_shipping`.
    pub kind: String,
    /// Basis points (`percent`), cents (`fixed`), 0 (`free_shipping`).
    pub value: i64,
    /// The subtotal from which it applies, in cents.
    #[serde(default)]
    pub min_subtotal_cents: Option<i64>,
    /// The most it takes off, in cents.
    #[serde(default)]
    pub max_discount_cents: Option<i64>,
    /// From when (epoch milliseconds).
    #[serde(default)]
    pub valid_from_ms: Option<i64>,
    /// Until when (epoch milliseconds).
    #[serde(default)]
    pub valid_until_ms: Option<i64>,
    /// Uses allowed in all.
    #[serde(default)]
    pub usage_limit: Option<i64>,
    /// Uses allowed per customer.
    #[serde(default)]
    pub per_customer_limit: Option<i64>,
    /// The lowest tier that may use it.
    #[serde(default)]
    pub min_tier: Option<String>,
    /// `false`: paused. Stored as `state: "active" | "paused"`: the MongoDB stand-in turns a
    /// boolean written by `$set` into a number.
    #[serde(rename = "state", with = "state")]
    pub active: bool,
    /// Uses counted now (given-back ones are not).
    #[serde(default)]
    pub used: i64,
    /// Uses per customer (`c<customer id>`).
    #[serde(default)]
    pub per_customer: BTreeMap<String, i64>,
    /// Redemptions written by versions that kept them here, by the hash of their token; moved
    /// to their own collection when read, so empty once they have been.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redemptions: BTreeMap<String, Redemption>,
    /// Uses being counted now, by the hash of their token (empty between steps).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counting: BTreeMap<String, Marker>,
    /// Uses being given back now, by the hash of their token (empty between steps).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub giving_back: BTreeMap<String, Marker>,
    /// Changed by every edit of the rules (not by uses): a redemption is guarded by it.
    pub rules_version: i64,
    /// Created (epoch milliseconds).
    pub created_at_ms: i64,
}

/// Why a coupon cannot be used; [`Refusal::reason`] is what `details` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// There is no such coupon.
    Unknown,
    /// Its window has ended.
    Expired,
    /// Its window has not begun.
    NotYetValid,
    /// The subtotal is below its minimum.
    BelowMinimum,
    /// Every allowed use is taken.
    UsedUp,
    /// The customer used it as often as allowed.
    PerCustomerLimit,
    /// The customer's tier is below its minimum.
    TierTooLow,
    /// An admin paused it.
    Paused,
}

impl Refusal {
    /// The machine-readable reason.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::BelowMinimum => "below_minimum",
            Self::UsedUp => "used_up",
            Self::PerCustomerLimit => "per_customer_limit",
            Self::TierTooLow => "tier_too_low",
            Self::Paused => "paused",
        }
    }

    /// A sentence for people.
    pub fn message(self, code: &str) -> String {
        let why = match self {
            Self::Unknown => "does not exist",
            Self::Expired => "has expired",
            Self::NotYetValid => "is not valid yet",
            Self::BelowMinimum => "needs a larger subtotal",
            Self::UsedUp => "has been used up",
            Self::PerCustomerLimit => "was used as often as one customer may",
            Self::TierTooLow => "needs a higher loyalty tier",
            Self::Paused => "is paused",
        };
        format!("the coupon {code} {why}")
    }

    /// The 422 answering it: `details {code, reason}`.
    pub fn into_error(self, code: &str) -> ApiError {
        ApiError::Refused {
            message: self.message(code),
            details: json!({ "code": code, "reason": self.reason() }),
        }
    }
}

/// The caller's loyalty tier as pricing and coupons need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Its name (`Bronze` ...).
    pub name: String,
    /// Its discount.
    pub discount: Percent,
}

impl Tier {
    /// The lowest tier, no discount: a customer customer-service has no record of.
    pub fn bronze() -> Self {
        Self {
            name: TIERS[0].to_owned(),
            discount: Percent::ZERO,
        }
    }
}

/// The rank of a tier's name (0 = Bronze); an unknown name ranks lowest.
fn rank(name: &str) -> usize {
    TIERS
        .iter()
        .position(|t| t.eq_ignore_ascii_case(name))
        .unwrap_or(0)
}

/// Basis points or cents of a checked JSON number.
fn cents(n: &serde_json::Number) -> Result<i64, ApiError> {
    Money::from_number(n)
        .map(Money::cents)
        .map_err(|e| ApiError::field("value", e.to_string()))
}

fn millis(text: &str) -> Option<i64> {
    parse_time(text).map(|t| t.timestamp_millis())
}

/// An epoch-millisecond time as RFC 3339.
fn rfc3339(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(super::order::rfc3339)
}

impl Coupon {
    /// A new coupon from a checked body, created at `now_ms`.
    pub fn from_input(input: &CouponInput, now_ms: i64) -> Result<Self, ApiError> {
        let amount = |n: &Option<serde_json::Number>| n.as_ref().map(cents).transpose();
        Ok(Self {
            code: normalise(&input.code),
            kind: input.kind.trim().to_owned(),
            value: amount(&input.value)?.unwrap_or(0),
            min_subtotal_cents: amount(&input.min_subtotal)?,
            max_discount_cents: amount(&input.max_discount)?,
            valid_from_ms: input.valid_from.as_deref().and_then(millis),
            valid_until_ms: input.valid_until.as_deref().and_then(millis),
            usage_limit: input.usage_limit,
            per_customer_limit: input.per_customer_limit,
            min_tier: input.min_tier.as_deref().map(|t| TIERS[rank(t)].to_owned()),
            active: input.active.unwrap_or(true),
            used: 0,
            per_customer: BTreeMap::new(),
            redemptions: BTreeMap::new(),
            counting: BTreeMap::new(),
            giving_back: BTreeMap::new(),
            rules_version: 0,
            created_at_ms: now_ms,
        })
    }

    /// Whether `value` fits `kind` (a patch may change one without the other): 422 if not.
    pub fn check_value(&self) -> Result<(), ApiError> {
        let fits = match self.kind.as_str() {
            "percent" => (1..=10_000).contains(&self.value),
            "fixed" => self.value > 0,
            _ => self.value == 0,
        };
        if fits {
            Ok(())
        } else {
            Err(ApiError::Unprocessable(format!(
                "value does not fit kind {}: a percent is above 0 and at most 100, a fixed amount above 0, free_shipping has none",
                self.kind
            )))
        }
    }

    /// What pricing applies.
    pub fn pricing(&self) -> pricing::Coupon {
        let value = match self.kind.as_str() {
            "percent" => CouponValue::Percent(Percent::basis_points(
                u32::try_from(self.value).unwrap_or(0),
            )),
            "fixed" => CouponValue::Fixed(Money::from_cents(self.value)),
            _ => CouponValue::FreeShipping,
        };
        pricing::Coupon {
            value,
            max_discount: self.max_discount_cents.map(Money::from_cents),
        }
    }

    /// How often `customer` has used it (given-back uses not counted).
    pub fn used_by(&self, customer: &str) -> i64 {
        self.per_customer
            .get(&customer_key(customer))
            .copied()
            .unwrap_or(0)
    }

    /// Whether `customer` with `tier` may use it at `now_ms` on a cart of `subtotal`.
    /// `counting`: whether a new use would be counted (false for a use already held by this
    /// checkout, which the limits must not refuse again).
    pub fn check(
        &self,
        customer: &str,
        tier: &Tier,
        subtotal: Money,
        now_ms: i64,
        counting: bool,
    ) -> Result<(), Refusal> {
        if !self.active {
            return Err(Refusal::Paused);
        }
        if self.valid_from_ms.is_some_and(|from| now_ms < from) {
            return Err(Refusal::NotYetValid);
        }
        if self.valid_until_ms.is_some_and(|until| now_ms >= until) {
            return Err(Refusal::Expired);
        }
        if self
            .min_tier
            .as_deref()
            .is_some_and(|min| rank(&tier.name) < rank(min))
        {
            return Err(Refusal::TierTooLow);
        }
        if self
            .min_subtotal_cents
            .is_some_and(|min| subtotal.cents() < min)
        {
            return Err(Refusal::BelowMinimum);
        }
        if counting && self.usage_limit.is_some_and(|limit| self.used >= limit) {
            return Err(Refusal::UsedUp);
        }
        if counting
            && self
                .per_customer_limit
                .is_some_and(|limit| self.used_by(customer) >= limit)
        {
            return Err(Refusal::PerCustomerLimit);
        }
        Ok(())
    }

    /// What the admin's API shows, with how often it was used.
    pub fn view(&self) -> shared::api::coupons::Coupon {
        let money = |c: Option<i64>| c.map(Money::from_cents);
        shared::api::coupons::Coupon {
            code: self.code.clone(),
            kind: self.kind.clone(),
            value: (self.kind != "free_shipping").then(|| Money::from_cents(self.value)),
            min_subtotal: money(self.min_subtotal_cents),
            max_discount: money(self.max_discount_cents),
            valid_from: self.valid_from_ms.and_then(rfc3339),
            valid_until: self.valid_until_ms.and_then(rfc3339),
            usage_limit: self.usage_limit,
            per_customer_limit: self.per_customer_limit,
            min_tier: self.min_tier.clone(),
            active: self.active,
            used: self.used,
            created_at: rfc3339(self.created_at_ms),
        }
    }
}

/// `active` as the stored `state`.
mod state {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(active: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::state_of(*active))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(String::deserialize(d)? == "active")
    }
}

/// The stored `state` of a coupon that is `active` (or paused).
pub fn state_of(active: bool) -> &'static str {
    if active { "active" } else { "paused" }
}

/// The key of a customer in [`Coupon::per_customer`].
pub fn customer_key(customer: &str) -> String {
    format!("c{customer}")
}

#[cfg(test)]
mod tests;
