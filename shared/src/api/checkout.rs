//! Checkout body: turning the caller's cart into an order (issue 15).

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::customers::Address;

/// `POST /checkout` (body optional): where to ship the cart's order, the customer's address
/// on file when absent. The lines come from the stored cart, never from the body.
///
/// Later slices of issue 15 add `shippingAddressId`, `paymentMethodId`, `card` and
/// `redeemPoints` here; until then they are unknown fields, refused like any other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Checkout {
    /// Where to ship.
    #[garde(dive)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{ApiError, api};

    fn details(body: &serde_json::Value) -> serde_json::Value {
        match api::parse::<Checkout>(body.to_string().as_bytes()) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    #[test]
    fn an_empty_object_and_an_address_are_accepted() {
        assert_eq!(api::parse::<Checkout>(b"{}").unwrap(), Checkout::default());
        let body = json!({"shippingAddress": {"street": "1 Main St", "city": "Springfield",
            "zipCode": "12345", "country": "US"}});
        let parsed = api::parse::<Checkout>(body.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.shipping_address.unwrap().city, "Springfield");
    }

    #[test]
    fn fields_of_later_slices_are_still_unknown_and_a_bad_address_is_named() {
        for field in [
            "paymentMethodId",
            "card",
            "redeemPoints",
            "shippingAddressId",
        ] {
            let problems = details(&json!({ field: "x" }));
            assert!(problems.to_string().contains(field), "{field}: {problems}");
        }
        let problems = details(&json!({"shippingAddress": {"street": "", "city": "c",
            "zipCode": "z", "country": "US"}}));
        assert!(
            problems.get("shippingAddress.street").is_some(),
            "{problems}"
        );
    }
}
