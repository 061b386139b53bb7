//! Wishlist bodies (issue 17): `PUT /wishlist/{productId}` (body optional) and what the
//! `/wishlist` routes answer; and the payload of the `wishlist.*` events that tell a wishing
//! customer a product came back in stock or got cheaper.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;
use crate::Money;

/// Most products one customer keeps on their wishlist (one more is 422).
pub const MAX_WISHLIST_ITEMS: usize = 100;

/// `PUT /wishlist/{productId}`: the body is optional. Adding a product already on the list
/// changes nothing but the note, when one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WishlistAdd {
    /// A note for oneself, 1 to 200 characters (trimmed).
    #[garde(inner(custom(rules::text(1, 200))))]
    #[schema(min_length = 1, max_length = 200)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One product on the caller's wishlist, with what the customer saw when adding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WishlistItem {
    /// The product's id, 24 hex digits.
    pub product_id: String,
    /// Its name when it was added.
    pub name: String,
    /// Its price when it was added.
    pub price: Money,
    /// When it was added (RFC 3339, milliseconds).
    pub added_at: String,
    /// The customer's note, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `wishlist.back_in_stock` and `wishlist.price_dropped`: one event per wishing customer and
/// change. `oldPrice`/`newPrice` are set on a price drop; a product back in stock carries its
/// price now as `newPrice`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WishlistNews {
    /// Whom it concerns.
    pub customer_id: String,
    /// The product.
    pub product_id: String,
    /// Its name now.
    pub name: String,
    /// The price before the drop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_price: Option<Money>,
    /// The price now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_price: Option<Money>,
    /// Units in stock now (on `wishlist.back_in_stock`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiError, api};

    #[test]
    fn an_empty_body_is_no_note_and_a_blank_or_long_note_is_named() {
        assert_eq!(
            api::parse_optional::<WishlistAdd>(b"  ").unwrap(),
            WishlistAdd::default()
        );
        let long = format!(r#"{{"note": "{}"}}"#, "x".repeat(201));
        for bad in [r#"{"note": "  "}"#, long.as_str()] {
            let Err(ApiError::Validation { details, .. }) =
                api::parse_optional::<WishlistAdd>(bad.as_bytes())
            else {
                panic!("{bad} refused");
            };
            assert!(details.get("note").is_some(), "{details}");
        }
        assert!(api::parse::<WishlistAdd>(br#"{"price": 1}"#).is_err());
    }

    #[test]
    fn the_news_leave_out_what_they_do_not_carry() {
        let news = WishlistNews {
            customer_id: "c".into(),
            product_id: "p".into(),
            name: "Mug".into(),
            old_price: None,
            new_price: Some(Money::from_cents(1250)),
            stock: Some(3),
        };
        let json = serde_json::to_value(&news).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"customerId": "c", "productId": "p", "name": "Mug",
                               "newPrice": 12.5, "stock": 3})
        );
    }
}
