//! Query parameters: what each may be, checked here and rendered as JSON Schema. (Bodies are
//! types in `shared::api`; see `body`.)

use serde_json::{Value, json};
use shared::{Money, api::email::Email, money::MoneyError};

/// The shape of one query value. (Bounds are inclusive.)
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text of `min..=max` characters (trimmed).
    Text { min: usize, max: usize },
    /// An email address, by the rule of every `email` field ([`Email::parse`]).
    Email,
    /// A MongoDB ObjectId (24 hex digits).
    ObjectId,
    /// A `YYYY-MM-DD` date.
    Date,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A whole number in `min..=max`.
    Integer { min: i64, max: i64 },
    /// An amount of money, zero or more: [`Money::parse`].
    Amount,
}

/// One query parameter; all are optional.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its name.
    pub name: &'static str,
    /// Its shape.
    pub kind: Kind,
}

/// An optional query parameter.
pub const fn optional(name: &'static str, kind: Kind) -> Field {
    Field { name, kind }
}

/// Checks a query value (or a path segment): the problem, if any.
pub fn check_text(kind: &Kind, s: &str) -> Option<String> {
    let ok = match kind {
        Kind::Amount => {
            return Money::parse(s).err().map(|e: MoneyError| e.to_string());
        }
        Kind::Text { min, max } => (*min..=*max).contains(&s.trim().chars().count()),
        Kind::Email => Email::parse(s).is_ok(),
        Kind::ObjectId => s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit()),
        Kind::Date => s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        Kind::OneOf(options) => options.contains(&s),
        Kind::Integer { min, max } => s.parse::<i64>().is_ok_and(|i| (*min..=*max).contains(&i)),
    };
    (!ok).then(|| describe(kind))
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Text { min, max } => format!("must be {min} to {max} characters"),
        Kind::Email => "must be a valid email address".to_owned(),
        Kind::ObjectId => "must be a 24-character hex ObjectId".to_owned(),
        Kind::Date => "must be a date as YYYY-MM-DD".to_owned(),
        Kind::OneOf(options) => format!("must be one of {}", options.join(", ")),
        Kind::Integer { min, max } => format!("must be a whole number from {min} to {max}"),
        Kind::Amount => "must be an amount of money".to_owned(),
    }
}

/// The JSON Schema (2020-12, as OpenAPI 3.1 uses) of a kind.
pub fn json_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Text { min, max } => json!({ "type": "string", "minLength": min, "maxLength": max }),
        Kind::Email => json!({ "type": "string", "format": "email" }),
        Kind::ObjectId => json!({ "type": "string", "pattern": "^[0-9a-fA-F]{24}$" }),
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::OneOf(options) => json!({ "type": "string", "enum": options }),
        Kind::Integer { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Amount => json!({
            "type": "number", "minimum": 0, "maximum": Money::MAX, "multipleOf": 0.01,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_a_query_take_zero_but_not_a_third_decimal() {
        assert_eq!(check_text(&Kind::Amount, "0"), None);
        assert_eq!(check_text(&Kind::Amount, "15.5"), None);
        assert_eq!(
            check_text(&Kind::Amount, "1.234").as_deref(),
            Some("must have at most two decimals")
        );
        assert_eq!(
            check_text(&Kind::Amount, "-5").as_deref(),
            Some("must not be negative")
        );
    }

    #[test]
    fn an_email_in_a_query_follows_the_rule_of_every_email_field() {
        assert_eq!(check_text(&Kind::Email, " Ada@Example.com "), None);
        assert!(check_text(&Kind::Email, "ada\u{200b}@example.com").is_some());
    }
}
