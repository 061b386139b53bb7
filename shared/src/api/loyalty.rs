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
