//! Checkout body: turning the caller's cart into an order (issue 15).

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{customers::Address, payments::NewCard, rules};

/// The most points one checkout may redeem (1,000,000.00 worth: far beyond any cart).
pub const MAX_REDEEM_POINTS: i64 = 100_000_000;

/// `POST /checkout` (body optional): where to ship the cart's order (a new address, or one of
/// the caller's saved addresses by id, not both; the default address when neither), how many
/// loyalty points to redeem, and the card to pay with: a new `card`, a saved one
/// (`paymentMethodId`), or neither for the customer's default saved card. The lines come from
/// the stored cart, never from the body.
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
    /// A new card to pay with (tokenised; the number and cvc are never kept).
    #[garde(dive)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<NewCard>,
    /// A saved card of the caller's (an ObjectId); not together with `card`.
    #[garde(inner(custom(rules::object_id)), custom(one_way_to_pay(&self.card)))]
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
}

/// `card` and `paymentMethodId` name two ways to pay: at most one is given.
pub fn one_way_to_pay<'a>(
    card: &'a Option<NewCard>,
) -> impl FnOnce(&Option<String>, &()) -> garde::Result + 'a {
    move |id, _| match (card, id) {
        (Some(_), Some(_)) => Err(garde::Error::new(
            "give either card or paymentMethodId, not both",
        )),
        _ => Ok(()),
    }
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
    fn a_card_is_checked_field_by_field_and_not_together_with_a_saved_one() {
        let card = json!({"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": 2030,
            "cvc": "123"});
        let parsed = api::parse::<Checkout>(json!({ "card": card }).to_string().as_bytes());
        assert!(parsed.unwrap().card.is_some());
        let problems = details(&json!({"card": {"number": "4242 4242 4242 4241",
            "expMonth": 13, "expYear": 2030, "cvc": "1"}}));
        for field in ["card.number", "card.expMonth", "card.cvc"] {
            assert!(problems.get(field).is_some(), "{field}: {problems}");
        }
        let both = details(&json!({"card": card, "paymentMethodId": "65920080aaaaaaaaaaaaaaaa"}));
        assert!(both.get("paymentMethodId").is_some(), "{both}");
        let bad_id = details(&json!({"paymentMethodId": "nope"}));
        assert!(bad_id.get("paymentMethodId").is_some(), "{bad_id}");
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
    fn unknown_fields_are_refused_and_a_bad_address_is_named() {
        for field in ["giftWrap", "couponCode"] {
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
