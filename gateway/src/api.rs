//! The public API as data: one table of every route with who may call it, its rate-limit class,
//! and which `shared::api` types its query and body are. The gateway's access rules and
//! validation read it, and the OpenAPI document is generated from it and those types, which the
//! services parse too: the gateway, the services and the document cannot drift apart.

pub mod answer;
pub mod body;
pub mod docs;
pub mod table;

pub use table::{RouteSpec, routes};

use axum::http::Method;

use crate::access::Access;

/// The routes by method and area (the segment after `/api/`), in the table's order: a request
/// is matched against a handful of patterns rather than the whole table.
static INDEX: std::sync::LazyLock<
    std::collections::HashMap<(&'static str, &'static str), Vec<&'static RouteSpec>>,
> = std::sync::LazyLock::new(|| {
    let mut index = std::collections::HashMap::<_, Vec<_>>::new();
    for route in routes() {
        index
            .entry((route.method, area(route.path)))
            .or_default()
            .push(route);
    }
    index
});

/// The segment after `/api/` (empty when there is none).
fn area(path: &str) -> &str {
    path.strip_prefix("/api/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
}

/// The route spec matching `method` and `path` (`/api/...`), with the path's parameters.
/// Runs on every request: segments are compared in place, nothing is allocated until a
/// route matches.
pub fn find(
    method: &Method,
    path: &str,
) -> Option<(&'static RouteSpec, Vec<(&'static str, String)>)> {
    let path = path.trim_end_matches('/');
    // A HEAD is a GET without the body: the same rules, the same validation.
    let method = if *method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    let route = spec(method, path)?;
    let params = route
        .path
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(p, s)| {
            let name = p.strip_prefix('{')?.strip_suffix('}')?;
            Some((name, s.to_owned()))
        })
        .collect();
    Some((route, params))
}

/// The route of `method` (upper case) and `path` (without a trailing `/`).
fn spec(method: &str, path: &str) -> Option<&'static RouteSpec> {
    let matches = |pattern: &str| {
        let mut segments = path.split('/');
        pattern.split('/').all(|p| {
            segments
                .next()
                .is_some_and(|s| p == s || (p.starts_with('{') && p.ends_with('}')))
        }) && segments.next().is_none()
    };
    let candidates = INDEX.get(&(method, area(path)))?;
    candidates.iter().find(|r| matches(r.path)).copied()
}

/// Whether a path parameter names a MongoDB ObjectId (`id`, `productId`, `variantId`).
pub fn is_object_id(name: &str) -> bool {
    matches!(name, "id" | "productId" | "variantId")
}

/// The label of every request whose path the table does not know.
pub const UNMATCHED: &str = "unmatched";

/// The proxy's route, which every proxied request matches (`crate::routes`).
pub const PROXIED: &str = "/api/{*rest}";

/// What a request is counted under in the metrics: its route's pattern
/// (`/api/products/{id}`; `HEAD` as `GET`), or [`UNMATCHED`] — one label for every path the
/// table does not know, so that no caller can add a label per path it tries.
pub fn label(method: &Method, path: &str) -> &'static str {
    let method = if *method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    spec(method, path.trim_end_matches('/')).map_or(UNMATCHED, |route| route.path)
}

/// Who may call `method` on `path`: the route's rule, or public for paths the table does not
/// know (those answer 404 from the service that owns the area).
pub fn access(method: &Method, path: &str) -> Access {
    find(method, path).map_or(Access::Public, |(route, _)| route.access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_their_routes_and_capture_parameters() {
        let (route, params) =
            find(&Method::POST, "/api/orders/65a1b2c3d4e5f60718293a4b/cancel").unwrap();
        assert_eq!(route.path, "/api/orders/{id}/cancel");
        assert_eq!(params, [("id", "65a1b2c3d4e5f60718293a4b".to_owned())]);
        assert!(
            find(&Method::GET, "/api/orders/x/cancel").is_none(),
            "wrong method"
        );
        assert!(find(&Method::GET, "/api/nowhere").is_none());
    }

    #[test]
    fn a_request_is_labelled_with_its_routes_pattern_and_unknown_paths_with_one_label() {
        let id = "65a1b2c3d4e5f60718293a4b";
        let label = |method: Method, path: &str| label(&method, path);
        assert_eq!(
            label(Method::GET, &format!("/api/products/{id}")),
            "/api/products/{id}"
        );
        assert_eq!(
            label(Method::HEAD, &format!("/api/products/{id}/")),
            "/api/products/{id}"
        );
        assert_eq!(
            label(Method::GET, &format!("/api/orders/{id}/stream")),
            "/api/orders/{id}/stream"
        );
        assert_eq!(label(Method::GET, "/api/nowhere/at/all"), UNMATCHED);
        assert_eq!(
            label(Method::GET, &format!("/api/products/{id}/x")),
            UNMATCHED
        );
    }

    #[test]
    fn every_route_is_under_api_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for route in routes() {
            assert!(route.path.starts_with("/api/"), "{}", route.path);
            // `INDEX` files routes under their area: it must be a literal.
            assert!(!area(route.path).starts_with('{'), "{}", route.path);
            assert!(
                seen.insert((route.method, route.path)),
                "twice: {} {}",
                route.method,
                route.path
            );
        }
    }
}
