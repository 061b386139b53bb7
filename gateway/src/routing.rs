//! The routing table: which service owns which `/api/<area>`.

use std::borrow::Cow;

use axum::http::{Uri, uri};

/// One service behind the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Service name, as in its `/health`.
    pub name: String,
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// The base URL's scheme and authority, parsed once (`None` when it does not parse).
    origin: Option<(uri::Scheme, uri::Authority)>,
    /// The base URL's path, without a trailing slash (usually empty).
    base_path: String,
}

impl Upstream {
    /// An upstream at `base_url`.
    pub fn new(name: &str, base_url: &str) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let parsed = base_url.parse::<Uri>().ok();
        let origin = parsed
            .as_ref()
            .and_then(|u| Some((u.scheme()?.clone(), u.authority()?.clone())));
        let base_path = parsed
            .as_ref()
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        Self {
            name: name.to_owned(),
            base_url,
            origin,
            base_path,
        }
    }

    /// The path the base URL puts before every request's path (usually empty).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Scheme and authority of a request to this upstream, ready for a path to be added.
    pub fn uri_parts(&self) -> uri::Parts {
        let mut parts = uri::Parts::default();
        if let Some((scheme, authority)) = &self.origin {
            parts.scheme = Some(scheme.clone());
            parts.authority = Some(authority.clone());
        }
        parts
    }
}

/// Area prefixes (the path after `/api/`) and the service that owns each.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<(String, usize)>,
    upstreams: Vec<Upstream>,
}

/// DESIGN.md's public API: area prefix to owning service.
const STANDARD: [(&str, &str); 19] = [
    ("auth", "customer-service"),
    ("customers", "customer-service"),
    ("loyalty", "customer-service"),
    ("products", "product-service"),
    ("orders", "order-service"),
    ("cart", "order-service"),
    ("checkout", "order-service"),
    ("coupons", "order-service"),
    ("alerts", "alert-service"),
    ("analytics", "analytics-service"),
    ("dashboard", "analytics-service"),
    ("assistant", "assistant-service"),
    ("ws/orders", "order-service"),
    ("ws/alerts", "alert-service"),
    ("ws/chat", "assistant-service"),
    ("ws/analytics", "analytics-service"),
    ("notifications", "alert-service"),
    ("returns", "order-service"),
    ("subscriptions", "order-service"),
];

impl RouteTable {
    /// The standard table over `upstreams` (areas whose service is missing are left out).
    pub fn standard(upstreams: Vec<Upstream>) -> Self {
        let routes = STANDARD
            .iter()
            .filter_map(|(area, service)| {
                upstreams
                    .iter()
                    .position(|u| u.name == *service)
                    .map(|i| ((*area).to_owned(), i))
            })
            .collect();
        Self { routes, upstreams }
    }

    /// Every upstream, once.
    pub fn upstreams(&self) -> &[Upstream] {
        &self.upstreams
    }

    /// The upstream owning `path` (the part after `/api/`), and the path to ask it for
    /// (`/<path>`), matching whole segments only.
    pub fn resolve<'a>(&self, path: &'a str) -> Option<(&Upstream, Cow<'a, str>)> {
        self.resolve_index(path)
            .map(|(i, asked)| (&self.upstreams[i], asked))
    }

    /// [`RouteTable::resolve`], with the upstream as its index in [`RouteTable::upstreams`]
    /// (the fast lane keeps a connection pool per upstream, in that order).
    pub fn resolve_index<'a>(&self, path: &'a str) -> Option<(usize, Cow<'a, str>)> {
        let trimmed = path.trim_start_matches('/');
        // Usually `path` is already `/<path>`: no copy then.
        let asked = if path.len() == trimmed.len() + 1 {
            Cow::Borrowed(path)
        } else {
            Cow::Owned(format!("/{trimmed}"))
        };
        self.routes
            .iter()
            .filter(|(area, _)| {
                trimmed
                    .strip_prefix(area.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|(area, _)| area.len())
            .map(|(_, i)| (*i, asked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::standard(vec![
            Upstream::new("order-service", "http://o:1/"),
            Upstream::new("customer-service", "http://c:2"),
        ])
    }

    #[test]
    fn areas_match_whole_segments_only() {
        let t = table();
        assert_eq!(t.resolve("orders/1/stream").unwrap().1, "/orders/1/stream");
        assert_eq!(t.resolve("orders").unwrap().0.base_url, "http://o:1");
        assert!(t.resolve("ordersx").is_none());
        assert_eq!(t.resolve("cart/items/1").unwrap().0.name, "order-service");
        assert!(t.resolve("carts").is_none());
        assert_eq!(t.resolve("checkout").unwrap().0.name, "order-service");
        assert_eq!(t.resolve("/orders/1").unwrap().1, "/orders/1");
        assert_eq!(t.resolve("//orders").unwrap().1, "/orders");
        assert!(
            t.resolve("products").is_none(),
            "product-service is not configured"
        );
    }

    #[test]
    fn a_base_url_with_a_path_keeps_it_before_the_request_path() {
        let u = Upstream::new("x", "http://h:1/base/");
        assert_eq!(u.base_path(), "/base");
        assert_eq!(u.uri_parts().authority.unwrap().as_str(), "h:1");
        assert_eq!(Upstream::new("y", "http://h:1").base_path(), "");
    }

    #[test]
    fn websocket_areas_route_by_their_second_segment() {
        let t = table();
        assert_eq!(t.resolve("ws/orders").unwrap().0.name, "order-service");
        let (index, _) = t.resolve_index("ws/orders").unwrap();
        assert_eq!(t.upstreams()[index].name, "order-service");
        assert!(t.resolve("ws/alerts").is_none());
    }
}
