//! Query strings of the public API as types, read one way on both sides of the gateway:
//! percent-decoded (`+` is a space), a repeated parameter counts once (the last), an empty value
//! is the same as none, an unknown parameter is ignored. Every parameter arrives as text; the
//! type's garde rules say what the text must be (a whole number, a date, one of a list), so
//! every bad parameter is named at once.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::ApiError;

/// A query of the public API: parsed from its pairs, checked by garde, described by utoipa.
pub trait Query: DeserializeOwned + garde::Validate<Context = ()> + utoipa::IntoParams {}

impl<T: DeserializeOwned + garde::Validate<Context = ()> + utoipa::IntoParams> Query for T {}

/// Parses and checks a query string (without the `?`; `None` when there is none).
pub fn parse<T: Query>(query: Option<&str>) -> Result<T, ApiError> {
    let mut map = Map::new();
    for (name, value) in pairs(query.unwrap_or_default()) {
        if value.trim().is_empty() {
            map.remove(&name);
        } else {
            map.insert(name, Value::String(value));
        }
    }
    let value: T = serde_path_to_error::deserialize(Value::Object(map)).map_err(|err| {
        let path = err.path().to_string();
        ApiError::field(
            if path == "." { "query" } else { &path },
            err.into_inner().to_string(),
        )
    })?;
    value.validate().map_err(super::into_error)?;
    Ok(value)
}

/// The decoded `name=value` pairs of a query string, in order.
pub fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (decode(k), decode(v)))
}

/// Percent-decoding of a query component (`+` as space); a stray `%` stays as it is.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The whole number a checked parameter holds, or `default` without one.
pub fn number(value: Option<&String>, default: i64) -> i64 {
    value.and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

/// Highest page number anywhere (keeps a database's `skip` bounded).
pub const MAX_PAGE: i64 = 100_000;

/// `page` and `limit` of a list that takes nothing else.
#[derive(Debug, Clone, Default, serde::Deserialize, garde::Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1-based page number (default 1).
    #[garde(inner(custom(super::rules::int(1, MAX_PAGE))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[garde(inner(custom(super::rules::int(1, 100))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

impl Paging {
    /// The page number, 1 by default.
    pub fn page(&self) -> u64 {
        number(self.page.as_ref(), 1).unsigned_abs()
    }

    /// The page size, 20 by default.
    pub fn limit(&self) -> u64 {
        number(self.limit.as_ref(), 20).unsigned_abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_decoded() {
        assert_eq!(decode("red%20shoes+now%2C"), "red shoes now,");
        assert_eq!(decode("100%"), "100%");
    }

    #[test]
    fn the_last_of_a_repeated_parameter_counts_and_empty_is_none() {
        let found: Vec<_> = pairs("a=1&a=2&b=&&c").collect();
        assert_eq!(found.len(), 4);
        let page: Paging = parse(Some("page=1&page=3&limit=")).unwrap();
        assert_eq!(page.page.as_deref(), Some("3"));
        assert_eq!(page.limit, None);
    }
}
