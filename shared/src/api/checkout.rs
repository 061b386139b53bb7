//! Checkout body: turning the caller's cart into an order (issue 15).

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{customers::Address, rules};

/// The most points one checkout may redeem (1,000,000.00 worth: far beyond any cart).
pub const MAX_REDEEM_POINTS: i64 = 100_000_000;

/// `POST /checkout` (body optional): where to ship the cart's order (a new address, or one of
/// the caller's saved addresses by id, not both; the default address when neither), and how
/// many loyalty points to redeem. The lines come from the stored cart, never from the body.
///
/// Later slices of issue 15 add `paymentMethodId` and `card` here; until then they are unknown
/// fields, refused like any other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Checkout {
    /// Where to ship.
    #[garde(dive)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<Address>,
    /// One of the caller's saved addresses (`/customers/me/addresses`), instead of
    /// `shippingAddress`.
    #[garde(inner(custom(rules::object_id)), custom(not_with_address(&self.shipping_address)))]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    pub shipping_address_id: Option<String>,
    /// Loyalty points to redeem (100 points = 1.00 off, after the coupon and the tier);
    /// points beyond what is left to pay are not taken.
    #[garde(inner(custom(rules::whole(0, MAX_REDEEM_POINTS))))]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub redeem_points: Option<i64>,
}

/// `shippingAddressId` and `shippingAddress` exclude each other.
fn not_with_address(
    address: &Option<Address>,
) -> impl FnOnce(&Option<String>, &()) -> garde::Result + '_ {
    move |id, _| match (id, address) {
        (Some(_), Some(_)) => Err(garde::Error::new(
            "give shippingAddressId or shippingAddress, not both",
        )),
        _ => Ok(()),
    }
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
        for field in ["paymentMethodId", "card"] {
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

    #[test]
    fn points_and_a_saved_address_are_read_and_checked() {
        let body = json!({"shippingAddressId": "65a1b2c3d4e5f60718293a4b", "redeemPoints": 250});
        let parsed = api::parse::<Checkout>(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            (parsed.shipping_address_id.as_deref(), parsed.redeem_points),
            (Some("65a1b2c3d4e5f60718293a4b"), Some(250))
        );
        let problems = details(&json!({"shippingAddressId": "nope", "redeemPoints": -1}));
        assert!(problems.get("shippingAddressId").is_some(), "{problems}");
        assert!(problems.get("redeemPoints").is_some(), "{problems}");
        let both = details(&json!({"shippingAddressId": "65a1b2c3d4e5f60718293a4b",
            "shippingAddress": {"street": "1 Main St", "city": "Springfield",
            "zipCode": "12345", "country": "US"}}));
        assert!(
            both["shippingAddressId"].to_string().contains("not both"),
            "{both}"
        );
    }
}
