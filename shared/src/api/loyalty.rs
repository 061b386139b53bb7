//! Loyalty bodies: an admin's adjustment of a customer's points.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// The most points one adjustment moves, either way.
pub const MAX_ADJUSTMENT: i64 = 1_000_000;

/// `POST /customers/{id}/loyalty/adjustments` (admins): add (or, negative, take) points, with
/// why. Made once per `Idempotency-Key` header or client `id` (one of them is required): the
/// same key again answers the account without a second change (neither key: 422).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Adjustment {
    /// Points to add (negative: to take), not zero, at most 1,000,000 either way.
    #[garde(custom(rules::whole(-MAX_ADJUSTMENT, MAX_ADJUSTMENT)), custom(not_zero))]
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub points: i64,
    /// Why, 1 to 200 characters (shown in the customer's history).
    #[garde(custom(rules::text(1, 200)))]
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
    /// The client's id for this adjustment (instead of an `Idempotency-Key`), 1 to 100
    /// characters.
    #[garde(inner(custom(rules::text(1, 100))))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100)]
    pub id: Option<String>,
}

fn not_zero(points: &i64, _: &()) -> garde::Result {
    if *points == 0 {
        Err(garde::Error::new("must not be zero"))
    } else {
        Ok(())
    }
}

/// `GET /loyalty`: the caller's points, tier and history (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoyaltyAccount {
    /// Points to spend.
    pub points: i64,
    /// Every point ever earned: decides the tier.
    pub lifetime_points: i64,
    /// Points held by orders not yet paid (not in `points`).
    pub held: i64,
    /// The tier held.
    pub tier: String,
    /// The next tier up, or `null` at the top.
    pub next_tier: Option<NextTier>,
    /// Every movement of points, newest first.
    pub history: Vec<LoyaltyEntry>,
}

/// The next tier up and how many lifetime points it still takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NextTier {
    /// Its name.
    pub name: String,
    /// Lifetime points still missing.
    pub points_needed: i64,
}

/// One movement of points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoyaltyEntry {
    /// When (RFC 3339).
    pub at: String,
    /// Points added (negative: taken).
    pub points: i64,
    /// Why, e.g. `ORDER_DELIVERED`.
    pub reason: String,
    /// The order it was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Points put on hold (negative: a hold ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<i64>,
    /// For a delivery: what the order charged, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_cents: Option<i64>,
    /// What makes the movement happen once (a refund's reference, an adjustment's key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A person's note (an adjustment's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One tier of the programme (`GET /loyalty/tiers`, lowest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tier {
    /// Its name.
    pub name: String,
    /// Lifetime points from which a customer holds it.
    pub min_points: i64,
    /// The discount it gives at checkout, in percent.
    pub discount_percent: u8,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{ApiError, api};

    #[test]
    fn an_adjustment_names_each_bad_field() {
        let ok = api::parse::<Adjustment>(br#"{"points": 1250, "reason": "welcome"}"#).unwrap();
        assert_eq!((ok.points, ok.id), (1250, None));
        let body = json!({"points": 0, "reason": " ", "id": ""}).to_string();
        let Err(ApiError::Validation { details, .. }) = api::parse::<Adjustment>(body.as_bytes())
        else {
            panic!("refused");
        };
        for field in ["points", "reason", "id"] {
            assert!(details.get(field).is_some(), "{field}: {details}");
        }
    }
}
