//! Validation before anything reaches a service, driven by the route table (`api::table`):
//! path ids, query parameters, body size, JSON content type and syntax, and the body's fields.
//! A rejected request answers 4xx in the envelope, with every offending field named, and is
//! never forwarded.

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{Method, header},
};
use shared::{
    ApiError,
    api::{query::Paging, rules},
};

use crate::api::RouteSpec;

/// Ids in these areas are MongoDB ObjectIds, also on paths the table does not know.
const ID_AREAS: [&str; 4] = ["products", "orders", "customers", "alerts"];

/// Checks the path and query of a request; returns its route, when the table knows it.
/// `found` is the request's route and path parameters (`api::find`), when the table knows it.
/// A query is checked by parsing it into the route's type in `shared::api` (a path the table
/// does not know: as a plain page of a list).
pub fn check_target(
    found: Option<(&'static RouteSpec, Vec<(&'static str, String)>)>,
    path: &str,
    query: Option<&str>,
) -> Result<Option<&'static RouteSpec>, ApiError> {
    let bad_id = |id: &str| rules::object_id(id, &()).is_err();
    let id_problem = || ApiError::field("id", "must be a 24-character hex ObjectId");
    match found {
        Some((route, params)) => {
            if let Some((name, _)) = params
                .iter()
                .find(|(name, value)| crate::api::is_object_id(name) && bad_id(value))
            {
                return Err(ApiError::field(name, "must be a 24-character hex ObjectId"));
            }
            if let Some(spec) = route.query {
                (spec.check)(query)?;
            }
            Ok(Some(route))
        }
        None => {
            let mut segments = path.strip_prefix("/api/").unwrap_or(path).split('/');
            if let (Some(area), Some(id)) = (segments.next(), segments.next())
                && ID_AREAS.contains(&area)
                && !id.is_empty()
                && bad_id(id)
            {
                return Err(id_problem());
            }
            shared::api::query::parse::<Paging>(query)?;
            Ok(None)
        }
    }
}

/// Reads and checks the body of a request that carries one (POST, PUT, PATCH): at most
/// `max_bytes` (else 413), JSON by content type and by syntax (else 400 naming line and
/// column), and the body's type in `shared::api` (every bad field named). An upload route
/// (`RouteSpec::form`) takes its own limit and its form's check instead. Returns the request with the body
/// buffered, ready to forward.
pub async fn check_body(
    request: Request,
    max_bytes: usize,
    route: Option<&RouteSpec>,
) -> Result<Request, ApiError> {
    if !carries_body(request.method()) {
        return Ok(request);
    }
    let max_bytes = body_limit(max_bytes, route);
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
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    check_bytes(content_type, &bytes, route).await?;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Whether requests of `method` carry a body the gateway checks: `POST`, `PUT`, `PATCH`.
pub fn carries_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// The largest body `route` takes: an upload route's own limit when larger, else `max_bytes`
/// (the gateway's `MAX_BODY_BYTES`).
pub fn body_limit(max_bytes: usize, route: Option<&RouteSpec>) -> usize {
    route
        .and_then(|r| r.form)
        .map_or(max_bytes, |f| f.max_bytes.max(max_bytes))
}

/// Checks a body read whole, of a request that carries one, whichever lane read it: the
/// route's form's check for an upload route, else JSON by content type and syntax and the
/// route's type in `shared::api` (see [`check_body`]).
pub async fn check_bytes(
    content_type: Option<&str>,
    bytes: &Bytes,
    route: Option<&RouteSpec>,
) -> Result<(), ApiError> {
    if let Some(form) = route.and_then(|r| r.form) {
        return (form.check)(content_type.map(str::to_owned), bytes.clone()).await;
    }
    let empty = bytes.iter().all(u8::is_ascii_whitespace);
    if !empty {
        let json = content_type
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(ApiError::field("content-type", "expected application/json"));
        }
    }
    match route.and_then(|r| r.body) {
        Some(spec) if empty && !spec.optional => {
            return Err(ApiError::field("body", "a JSON body is required"));
        }
        Some(spec) if !empty => (spec.check)(bytes)?,
        Some(_) => {}
        None if !empty => {
            serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| syntax(&e))?;
        }
        None => {}
    }
    Ok(())
}

fn syntax(e: &serde_json::Error) -> ApiError {
    ApiError::field(
        "body",
        format!(
            "malformed JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(
        method: &Method,
        path: &str,
        query: Option<&str>,
    ) -> Result<Option<&'static RouteSpec>, ApiError> {
        check_target(crate::api::find(method, path), path, query)
    }

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
        let get = Method::GET;
        assert!(target(&get, "/api/products/65a1b2c3d4e5f60718293a4b", None).is_ok());
        assert!(
            target(
                &get,
                "/api/products",
                Some("page=2&limit=100&sort=-price&minPrice=5&maxPrice=10.50")
            )
            .is_ok()
        );
        assert!(
            target(
                &get,
                "/api/analytics/daily-revenue",
                Some("from=2026-01-01&to=2026-01-31")
            )
            .is_ok()
        );
        assert!(target(&Method::POST, "/api/auth/login", None).is_ok());
        assert!(target(&get, "/api/products", Some("search=red%20shoes")).is_ok());
    }

    #[test]
    fn every_bad_part_of_a_target_is_named() {
        let err = target(&Method::POST, "/api/orders/42/cancel", None).unwrap_err();
        assert_eq!(fields(err), ["id"]);
        let err = target(&Method::GET, "/api/orders", Some("page=0&limit=1000")).unwrap_err();
        assert_eq!(fields(err), ["limit", "page"]);
        let err = target(
            &Method::GET,
            "/api/products",
            Some("page=0&limit=0&sort=cheapest&minPrice=9&maxPrice=3"),
        )
        .unwrap_err();
        assert_eq!(fields(err), ["limit", "minPrice", "page", "sort"]);
        assert!(
            target(&Method::GET, "/api/products", Some("limit=1000")).is_ok(),
            "the catalog caps"
        );
        let err = target(
            &Method::GET,
            "/api/analytics/daily-revenue",
            Some("from=2026-02-01&to=2026-01-01"),
        )
        .unwrap_err();
        assert_eq!(fields(err), ["from"]);
        let err = target(
            &Method::GET,
            "/api/analytics/daily-revenue",
            Some("from=yesterday"),
        )
        .unwrap_err();
        assert_eq!(fields(err), ["from"]);
    }
}
