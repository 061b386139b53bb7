//! Card bodies (issue 15): a card as typed (checkout's `card`, a new saved card) and the
//! saved payment methods of `/customers/me/payment-methods`.
//!
//! A card's number and cvc pass through memory only: `Debug` prints neither, so a handler's
//! span or an error log cannot carry them.

use std::fmt;

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// Most saved cards one customer keeps.
pub const MAX_PAYMENT_METHODS: usize = 10;

/// A card as the customer typed it. Month and year are read as any whole number, so that a
/// month of `-1` or `13` is named by its rule rather than as a type error.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCard {
    /// The card number: 12 to 19 digits (spaces allowed between them), passing the Luhn check.
    #[garde(custom(rules::card_number))]
    #[schema(min_length = 12, max_length = 40, example = "4242 4242 4242 4242")]
    pub number: String,
    /// Expiry month, 1 to 12 (not already past this year).
    #[garde(custom(rules::card_month(self.exp_year)))]
    #[schema(minimum = 1, maximum = 12)]
    pub exp_month: i64,
    /// Expiry year, four digits, not past, at most 20 years ahead.
    #[garde(custom(rules::card_year))]
    #[schema(minimum = 2000, maximum = 9999)]
    pub exp_year: i64,
    /// The verification code on the card: 3 or 4 digits.
    #[garde(custom(rules::cvc))]
    #[schema(min_length = 3, max_length = 4)]
    pub cvc: String,
    /// The name on the card, 1 to 100 characters (trimmed).
    #[garde(inner(custom(rules::text(1, 100))))]
    #[schema(min_length = 1, max_length = 100)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

impl fmt::Debug for NewCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCard")
            .field("number", &"[redacted]")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &"[redacted]")
            .field("holder", &self.holder)
            .finish()
    }
}

/// `POST /customers/me/payment-methods`: a card to save. The provider tokenises it; only the
/// brand, the last four digits, the expiry and the token are kept. The first saved card is the
/// default whatever `makeDefault` says; `makeDefault: true` makes a later one the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPaymentMethod {
    /// The card.
    #[garde(dive)]
    pub card: NewCard,
    /// Make it the default card.
    #[garde(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make_default: Option<bool>,
}

/// `PATCH /customers/me/payment-methods/{id}`: `makeDefault: true` makes the card the default
/// (the old default stops being one); `false` on the default is refused (422: make another one
/// the default instead), and on any other card changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentMethodPatch {
    /// `true` makes it the default card.
    #[garde(skip)]
    pub make_default: bool,
}

/// One of the caller's saved cards (`/customers/me/payment-methods`): never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentMethod {
    /// Id, 24 hex digits.
    pub id: String,
    /// The card network: `visa`, `mastercard`, `amex`, `discover` or `unknown`.
    pub brand: String,
    /// The number's last four digits.
    pub last4: String,
    /// Expiry month.
    pub exp_month: u8,
    /// Expiry year.
    pub exp_year: u16,
    /// Whether it is the default card.
    pub is_default: bool,
    /// When it was saved.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;
    use serde_json::{Value, json};

    use super::*;
    use crate::{ApiError, api};

    fn year(ahead: i32) -> i32 {
        crate::payment::today().year() + ahead
    }

    fn card(number: &str, month: i64, year: i32, cvc: &str) -> Value {
        json!({"number": number, "expMonth": month, "expYear": year, "cvc": cvc})
    }

    fn details(body: &Value) -> Value {
        match api::parse::<NewPaymentMethod>(body.to_string().as_bytes()) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    #[test]
    fn a_good_card_with_spaces_is_accepted() {
        let body =
            json!({"card": card("4242 4242 4242 4242", 12, year(3), "123"), "makeDefault": true});
        let parsed = api::parse::<NewPaymentMethod>(body.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.card.number, "4242 4242 4242 4242");
        assert_eq!(parsed.make_default, Some(true));
    }

    #[test]
    fn each_bad_part_of_a_card_is_named_under_its_path() {
        let cases = [
            (
                card("4242 4242 4242 4241", 12, year(3), "123"),
                "card.number",
                "Luhn",
            ),
            (
                card("4242-4242-4242-4242", 12, year(3), "123"),
                "card.number",
                "digits",
            ),
            (
                card("42424242424", 12, year(3), "123"),
                "card.number",
                "12 to 19",
            ),
            (
                card("4242424242424242", 13, year(3), "123"),
                "card.expMonth",
                "1 to 12",
            ),
            (
                card("4242424242424242", 0, year(3), "123"),
                "card.expMonth",
                "1 to 12",
            ),
            (
                card("4242424242424242", 12, year(-1), "123"),
                "card.expYear",
                "expired",
            ),
            (
                card("4242424242424242", 12, year(40), "123"),
                "card.expYear",
                "ahead",
            ),
            (
                card("4242424242424242", 12, year(3), "12"),
                "card.cvc",
                "3 or 4",
            ),
            (
                card("4242424242424242", 12, year(3), "12a4"),
                "card.cvc",
                "3 or 4",
            ),
        ];
        for (card, path, words) in cases {
            let problems = details(&json!({ "card": card }));
            let message = problems.get(path).map(Value::to_string).unwrap_or_default();
            assert!(message.contains(words), "{card}: {problems}");
        }
    }

    #[test]
    fn a_month_already_past_this_year_is_expired() {
        let today = crate::payment::today();
        if today.month() == 1 {
            return; // no month of this year is past in January
        }
        let body = json!({"card": card("4242424242424242", 1, today.year(), "123")});
        let problems = details(&body);
        assert!(
            problems["card.expMonth"].to_string().contains("expired"),
            "{problems}"
        );
    }

    #[test]
    fn debug_never_prints_the_number_or_the_cvc() {
        let body = card("4242 4242 4242 4242", 12, year(3), "987");
        let parsed: NewCard = serde_json::from_value(body).unwrap();
        let printed = format!("{parsed:?} {:?}", crate::payment::Card::from(&parsed));
        assert!(
            !printed.contains("4242") && !printed.contains("987"),
            "{printed}"
        );
    }

    #[test]
    fn a_type_error_and_an_unknown_field_are_named() {
        let problems = details(
            &json!({"card": {"number": 4242, "expMonth": 1, "expYear": 2030, "cvc": "123"}}),
        );
        assert!(problems.to_string().contains("card.number"), "{problems}");
        let mut bad = card("4242424242424242", 12, year(3), "123");
        bad["pin"] = json!("1234");
        let problems = details(&json!({ "card": bad }));
        assert!(problems.to_string().contains("pin"), "{problems}");
    }
}
