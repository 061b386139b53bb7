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

/// Largest page a list answers.
pub const MAX_LIMIT: i64 = 100;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: i64 = 20;

/// `page` and `limit`, the paging of every list: on its own for a list that takes nothing
/// else, flattened into a list's filters by [`Paged`]. A `limit` above [`MAX_LIMIT`] is
/// refused, or with `CAPPED` (the catalog's rule) read as [`MAX_LIMIT`].
#[derive(Debug, Clone, Default, serde::Deserialize, garde::Validate)]
pub struct Paging<const CAPPED: bool = false> {
    /// 1-based page number (default 1).
    #[garde(inner(custom(super::rules::int(1, MAX_PAGE))))]
    pub page: Option<String>,
    /// Page size (default 20).
    #[garde(inner(custom(super::rules::int(1, Self::LIMIT_RULE))))]
    pub limit: Option<String>,
}

impl<const CAPPED: bool> Paging<CAPPED> {
    /// The largest `limit` accepted.
    const LIMIT_RULE: i64 = if CAPPED { i64::MAX } else { MAX_LIMIT };

    /// The page number, 1 by default.
    pub fn page(&self) -> u64 {
        number(self.page.as_ref(), 1).unsigned_abs()
    }

    /// The page size, [`DEFAULT_LIMIT`] by default, at most [`MAX_LIMIT`].
    pub fn limit(&self) -> u64 {
        number(self.limit.as_ref(), DEFAULT_LIMIT)
            .unsigned_abs()
            .min(MAX_LIMIT.unsigned_abs())
    }
}

impl<const CAPPED: bool> utoipa::IntoParams for Paging<CAPPED> {
    fn into_params(
        parameter_in: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::{
            Required,
            path::ParameterBuilder,
            schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type},
        };
        let number = |name: &str, description: &str, maximum: Option<i64>| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(parameter_in().unwrap_or_default())
                .required(Required::False)
                .description(Some(description))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                        .minimum(Some(1))
                        .maximum(maximum),
                ))
                .build()
        };
        vec![
            number("page", "1-based page number (default 1).", Some(MAX_PAGE)),
            if CAPPED {
                number(
                    "limit",
                    "Page size (default 20); above 100 is capped at 100.",
                    None,
                )
            } else {
                number(
                    "limit",
                    "Page size, 1 to 100 (default 20).",
                    Some(MAX_LIMIT),
                )
            },
        ]
    }
}

/// A list's query: its filters `F` and its [`Paging`], side by side on the wire (`page` and
/// `limit` among the filters' parameters) and in a refusal (each problem under its
/// parameter's own name). Reads as its filters (`query.status`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Paged<F, const CAPPED: bool = false> {
    /// What the list is narrowed to.
    #[serde(flatten)]
    pub filter: F,
    /// Which page of it.
    #[serde(flatten)]
    pub paging: Paging<CAPPED>,
}

impl<F, const CAPPED: bool> std::ops::Deref for Paged<F, CAPPED> {
    type Target = F;

    fn deref(&self) -> &F {
        &self.filter
    }
}

impl<F: garde::Validate<Context = ()>, const CAPPED: bool> garde::Validate for Paged<F, CAPPED> {
    type Context = ();

    fn validate_into(
        &self,
        ctx: &(),
        parent: &mut dyn FnMut() -> garde::Path,
        report: &mut garde::Report,
    ) {
        // Both at the query's own level: `limit`, not `paging.limit`.
        self.filter.validate_into(ctx, parent, report);
        self.paging.validate_into(ctx, parent, report);
    }
}

impl<F: utoipa::IntoParams, const CAPPED: bool> utoipa::IntoParams for Paged<F, CAPPED> {
    fn into_params(
        parameter_in: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        let mut params = F::into_params(&parameter_in);
        params.extend(Paging::<CAPPED>::into_params(parameter_in));
        params
    }
}

#[cfg(test)]
mod tests {
    use utoipa::IntoParams;

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

    #[derive(Debug, Clone, Default, serde::Deserialize, garde::Validate, utoipa::IntoParams)]
    #[into_params(parameter_in = Query)]
    struct Filter {
        #[garde(inner(custom(super::super::rules::one_of(&["a", "b"]))))]
        status: Option<String>,
    }

    fn problems<T: Query + std::fmt::Debug>(query: &str) -> serde_json::Value {
        match parse::<T>(Some(query)) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{query} was not refused: {other:?}"),
        }
    }

    #[test]
    fn a_paged_query_names_each_problem_by_its_parameter_at_once() {
        let details = problems::<Paged<Filter>>("status=c&page=0&limit=101");

        let mut names: Vec<&String> = details.as_object().unwrap().keys().collect();
        names.sort();
        assert_eq!(names, ["limit", "page", "status"], "{details}");
    }

    #[test]
    fn a_paged_query_reads_its_filter_and_its_page_side_by_side() {
        let query: Paged<Filter> = parse(Some("status=b&page=3&limit=7&other=x")).unwrap();

        assert_eq!(query.status.as_deref(), Some("b"));
        assert_eq!((query.paging.page(), query.paging.limit()), (3, 7));
        let names: Vec<String> = Paged::<Filter>::into_params(|| None)
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["status", "page", "limit"]);
    }

    #[test]
    fn a_capped_limit_reads_as_the_maximum_where_another_is_refused() {
        let capped: Paged<Filter, true> = parse(Some("limit=500")).unwrap();

        assert_eq!(capped.paging.limit(), 100);
        assert!(problems::<Paged<Filter>>("limit=500")["limit"].is_string());
        assert!(problems::<Paged<Filter, true>>("limit=0")["limit"].is_string());
        assert_eq!(Paging::<false>::default().limit(), 20);
    }
}
