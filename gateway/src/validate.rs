//! Validation before anything reaches a service: body size, JSON content type and syntax, path
//! ids and query ranges. A rejected request answers 4xx in the envelope, with every offending
//! field named, and is never forwarded.

use std::collections::BTreeMap;

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{Method, header},
};
use shared::ApiError;

/// Ids in these areas are MongoDB ObjectIds: `/api/<area>/<id>/...`.
const ID_AREAS: [&str; 4] = ["products", "orders", "customers", "alerts"];

/// Checks the path and query of a request.
pub fn check_target(path: &str, query: Option<&str>) -> Result<(), ApiError> {
    let mut problems = BTreeMap::new();
    let area = path.strip_prefix("/api/").unwrap_or(path);
    let mut segments = area.split('/');
    if let (Some(area), Some(id)) = (segments.next(), segments.next())
        && ID_AREAS.contains(&area)
        && !id.is_empty()
        && !is_object_id(id)
    {
        problems.insert(
            "id".to_owned(),
            "must be a 24-character hex ObjectId".to_owned(),
        );
    }
    let pairs: Vec<(String, String)> = query
        .map(|q| {
            q.split('&')
                .filter_map(|p| p.split_once('=').or(Some((p, ""))))
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(page) = get("page")
        && !page.parse::<u64>().is_ok_and(|p| p >= 1)
    {
        problems.insert(
            "page".to_owned(),
            "must be a whole number from 1".to_owned(),
        );
    }
    if let Some(limit) = get("limit")
        && !limit.parse::<u64>().is_ok_and(|l| (1..=100).contains(&l))
    {
        problems.insert(
            "limit".to_owned(),
            "must be a whole number from 1 to 100".to_owned(),
        );
    }
    let date = |name: &str, problems: &mut BTreeMap<String, String>| {
        get(name).and_then(
            |raw| match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) if raw.len() == 10 => Some(d),
                _ => {
                    problems.insert(name.to_owned(), "must be a date as YYYY-MM-DD".to_owned());
                    None
                }
            },
        )
    };
    if let (Some(from), Some(to)) = (date("from", &mut problems), date("to", &mut problems))
        && from > to
    {
        problems.insert("from".to_owned(), "must not be after `to`".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation {
            message: format!(
                "invalid request: {}",
                problems.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            details: serde_json::to_value(problems).unwrap_or_default(),
        })
    }
}

fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads and checks the body of a request that carries one (POST, PUT, PATCH): at most
/// `max_bytes` (else 413), JSON by content type and by syntax (else 400 naming line and
/// column). Returns the request with the body buffered, ready to forward.
pub async fn check_body(request: Request, max_bytes: usize) -> Result<Request, ApiError> {
    if !matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    ) {
        return Ok(request);
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(ApiError::PayloadTooLarge);
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, max_bytes)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        let json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(ApiError::field("content-type", "expected application/json"));
        }
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
            return Err(ApiError::field(
                "body",
                format!(
                    "malformed JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            ));
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation { details, .. } => {
                details.as_object().unwrap().keys().cloned().collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn good_targets_pass() {
        assert!(
            check_target(
                "/api/products/65a1b2c3d4e5f60718293a4b",
                Some("page=2&limit=100")
            )
            .is_ok()
        );
        assert!(check_target("/api/products", None).is_ok());
        assert!(
            check_target(
                "/api/analytics/daily-revenue",
                Some("from=2026-01-01&to=2026-01-31")
            )
            .is_ok()
        );
        assert!(check_target("/api/auth/login", None).is_ok());
    }

    #[test]
    fn every_bad_part_of_a_target_is_named() {
        let err = check_target("/api/orders/42/cancel", Some("page=0&limit=1000")).unwrap_err();
        assert_eq!(fields(err), ["id", "limit", "page"]);
        let err = check_target(
            "/api/analytics/daily-revenue",
            Some("from=2026-02-01&to=2026-01-01"),
        )
        .unwrap_err();
        assert_eq!(fields(err), ["from"]);
        let err = check_target("/api/analytics/daily-revenue", Some("from=yesterday")).unwrap_err();
        assert_eq!(fields(err), ["from"]);
    }
}
