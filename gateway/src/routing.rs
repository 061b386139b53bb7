//! The routing table: which service owns which `/api/<area>`.

/// One service behind the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Service name, as in its `/health`.
    pub name: String,
    /// Base URL without a trailing slash.
    pub base_url: String,
}

impl Upstream {
    /// An upstream at `base_url`.
    pub fn new(name: &str, base_url: &str) -> Self {
        Self {
            name: name.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }
}

/// Area prefixes (the path after `/api/`) and the service that owns each.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<(String, usize)>,
    upstreams: Vec<Upstream>,
}

/// DESIGN.md's public API: area prefix to owning service.
const STANDARD: [(&str, &str); 12] = [
    ("auth", "customer-service"),
    ("customers", "customer-service"),
    ("products", "product-service"),
    ("orders", "order-service"),
    ("alerts", "alert-service"),
    ("analytics", "analytics-service"),
    ("dashboard", "analytics-service"),
    ("assistant", "assistant-service"),
    ("ws/orders", "order-service"),
    ("ws/alerts", "alert-service"),
    ("ws/chat", "assistant-service"),
    ("ws/analytics", "analytics-service"),
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
    pub fn resolve(&self, path: &str) -> Option<(&Upstream, String)> {
        let path = path.trim_start_matches('/');
        self.routes
            .iter()
            .filter(|(area, _)| {
                path.strip_prefix(area.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|(area, _)| area.len())
            .map(|(_, i)| (&self.upstreams[*i], format!("/{path}")))
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
        assert!(
            t.resolve("products").is_none(),
            "product-service is not configured"
        );
    }

    #[test]
    fn websocket_areas_route_by_their_second_segment() {
        let t = table();
        assert_eq!(t.resolve("ws/orders").unwrap().0.name, "order-service");
        assert!(t.resolve("ws/alerts").is_none());
    }
}
