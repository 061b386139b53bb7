//! The public API's request and response bodies as Rust types: one module per area, each type
//! with serde for the wire, garde for its rules (requests) and utoipa for its schema. The
//! gateway validates a body by parsing it into its type (then forwards the original bytes), the
//! owning service parses the same bytes into the same type, and `/api/openapi.json` is
//! generated from it: the three cannot drift apart (DESIGN.md, "One contract, one schema").
//! Answers ([`Answer`]) are types here too: the services serialise them, the route table names
//! them, and the gateway's tests read real answers back into them.
//!
//! Rules of the wire, for every type here:
//! - fields are camelCase; an unknown field is refused;
//! - an optional field may be absent or `null` (the same thing), except where the field says
//!   `null` clears a value (`Patch<T>`);
//! - a body is a JSON object (a nested object given as an array, by position, is still read
//!   as serde reads it: the gateway and the service read it alike);
//! - a type error (a string where a number goes) is reported alone, by its path; every rule
//!   that fails on well-typed values is reported at once, each under its path.
//!
//! Cross-field rules live on the type too (`self` is in scope in a garde rule), so no service
//! refuses what the gateway let through. Only rules that need stored data (stock, ownership,
//! the order's current status) stay in the services.

use garde::Validate;
use serde::de::DeserializeOwned;

use crate::{ApiError, Problems};

pub mod alerts;
pub mod analytics;
pub mod assistant;
pub mod audit;
pub mod auth;
pub mod cart;
pub mod categories;
pub mod checkout;
pub mod clickstream;
pub mod coupons;
pub mod customers;
pub mod email;
pub mod health;
pub mod images;
pub mod inventory;
pub mod loyalty;
pub mod notifications;
pub mod orders;
pub mod payments;
pub mod products;
pub mod query;
pub mod reports;
pub mod returns;
pub mod reviews;
pub mod rules;
pub mod subscriptions;
pub mod support;
pub mod wishlist;

/// Longest URL anywhere in the API.
pub const MAX_URL: usize = 2048;

/// A request body of the public API: parsed by serde, checked by garde, described by utoipa.
pub trait Body: DeserializeOwned + Validate<Context = ()> + utoipa::ToSchema {}

impl<T: DeserializeOwned + Validate<Context = ()> + utoipa::ToSchema> Body for T {}

/// What a route answers inside the envelope's `data`: the service serialises it, a client (and
/// the gateway's response agreement test) reads it back, an unknown field refused.
pub trait Answer: serde::Serialize + DeserializeOwned + utoipa::ToSchema {}

impl<T: serde::Serialize + DeserializeOwned + utoipa::ToSchema> Answer for T {}

/// Parses `bytes` as a `T` and checks its rules: a 400 naming the first type error, or every
/// broken rule at once.
pub fn parse<T: Body>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would read a struct from an array too (`[name, price, ...]` by position): every
    // body of the API is an object.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let value: T = crate::extract::parse_json(bytes)?;
    value.validate().map_err(into_error)?;
    Ok(value)
}

/// Parses an optional body: empty (or only whitespace) is `T::default()`.
pub fn parse_optional<T: Body + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if is_empty(bytes) {
        Ok(T::default())
    } else {
        parse(bytes)
    }
}

/// Whether a body is absent: empty or only whitespace.
pub fn is_empty(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// garde's report as our 400: each path in the wire's camelCase, with its first problem.
pub fn into_error(report: garde::Report) -> ApiError {
    let mut problems = Problems::new();
    for (path, error) in report.iter() {
        let path = camel_case(&path.to_string());
        let field = if path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        problems.add(field, error.message());
    }
    problems.into_error()
}

/// `items[0].product_id` → `items[0].productId`: garde names fields as Rust does.
fn camel_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// The schema of a string newtype: `text_schema!(Tag, 1, 50, "what it is")`.
macro_rules! text_schema {
    ($name:ident, $min:expr, $max:expr, $description:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some($min))
                    .max_length(Some($max))
                    .description(Some($description))
                    .build()
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

use text_schema;

/// Tells `"field": null` (`Some(None)`, clear it) apart from an absent field (`None`, keep
/// it): `#[serde(default, deserialize_with = "api::present")]`.
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn paths_come_out_in_camel_case() {
        assert_eq!(camel_case("items[0].product_id"), "items[0].productId");
        assert_eq!(camel_case("low_stock_threshold"), "lowStockThreshold");
        assert_eq!(camel_case("name"), "name");
    }
}
