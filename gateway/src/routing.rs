//! The routing table: which service owns which `/api/<area>`.

use std::{
    borrow::Cow,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::http::{Uri, uri};

/// One service behind the gateway: one or more replicas (its URL variable may list several,
/// comma-separated), spread round robin; a replica that refused a connection is skipped for
/// [`DOWN_FOR`] and then tried again.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Service name, as in its `/health`.
    pub name: String,
    replicas: Vec<Replica>,
    balance: Arc<Balance>,
}

/// One replica of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// The base URL's scheme and authority, parsed once (`None` when it does not parse).
    origin: Option<(uri::Scheme, uri::Authority)>,
    /// The base URL's path, without a trailing slash (usually empty).
    base_path: String,
}

/// How long a replica that refused a connection is skipped.
pub const DOWN_FOR: Duration = Duration::from_secs(5);

/// The round robin's position and each replica's "skip until".
#[derive(Debug)]
struct Balance {
    next: AtomicUsize,
    /// Milliseconds since `epoch` until which the replica is skipped (0: up).
    down_until: Vec<AtomicU64>,
    epoch: Instant,
}

impl Replica {
    fn new(base_url: &str) -> Self {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let parsed = base_url.parse::<Uri>().ok();
        let origin = parsed
            .as_ref()
            .and_then(|u| Some((u.scheme()?.clone(), u.authority()?.clone())));
        let base_path = parsed
            .as_ref()
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        Self {
            base_url,
            origin,
            base_path,
        }
    }

    /// The path the base URL puts before every request's path (usually empty).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// Scheme and authority of a request to this replica, ready for a path to be added.
    pub fn uri_parts(&self) -> uri::Parts {
        let mut parts = uri::Parts::default();
        if let Some((scheme, authority)) = &self.origin {
            parts.scheme = Some(scheme.clone());
            parts.authority = Some(authority.clone());
        }
        parts
    }
}

impl Upstream {
    /// An upstream at `base_urls`: one URL, or several separated by commas (its replicas).
    pub fn new(name: &str, base_urls: &str) -> Self {
        let mut replicas: Vec<Replica> = base_urls
            .split(',')
            .filter(|u| !u.trim().is_empty())
            .map(Replica::new)
            .collect();
        if replicas.is_empty() {
            replicas.push(Replica::new(base_urls));
        }
        let balance = Balance {
            next: AtomicUsize::new(0),
            down_until: replicas.iter().map(|_| AtomicU64::new(0)).collect(),
            epoch: Instant::now(),
        };
        Self {
            name: name.to_owned(),
            replicas,
            balance: Arc::new(balance),
        }
    }

    /// Every replica, in the order configured.
    pub fn replicas(&self) -> &[Replica] {
        &self.replicas
    }

    /// The first replica (the one start-up settings derive from, such as the JWKS URL).
    pub fn first(&self) -> &Replica {
        &self.replicas[0]
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.balance.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether replica `i` is being skipped (it refused a connection less than
    /// [`DOWN_FOR`] ago).
    pub fn is_marked_down(&self, i: usize) -> bool {
        self.balance
            .down_until
            .get(i)
            .is_some_and(|until| until.load(Ordering::Relaxed) > self.now_ms())
    }

    /// The replicas to try for one request, in order: the next in the round robin first,
    /// then the others; those marked down go last (tried only when no other is left).
    pub fn attempts(&self) -> Vec<usize> {
        let n = self.replicas.len();
        if n == 1 {
            return vec![0];
        }
        let start = self.balance.next.fetch_add(1, Ordering::Relaxed) % n;
        let (mut up, down): (Vec<usize>, Vec<usize>) = (0..n)
            .map(|k| (start + k) % n)
            .partition(|&i| !self.is_marked_down(i));
        up.extend(down);
        up
    }

    /// Replica `i` refused a connection: skip it for [`DOWN_FOR`].
    pub fn mark_down(&self, i: usize) {
        if let Some(until) = self.balance.down_until.get(i) {
            let was_up = until.swap(
                self.now_ms() + DOWN_FOR.as_millis() as u64,
                Ordering::Relaxed,
            ) <= self.now_ms();
            if was_up && self.replicas.len() > 1 {
                tracing::warn!(upstream = %self.name, replica = %self.replicas[i].base_url, "replica refused a connection: skipped for a while");
                metrics::counter!("gateway_replica_marked_down_total", "upstream" => self.name.clone())
                    .increment(1);
            }
        }
    }

    /// Replica `i` took a connection: it is up.
    pub fn mark_up(&self, i: usize) {
        if let Some(until) = self.balance.down_until.get(i) {
            until.store(0, Ordering::Relaxed);
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
const STANDARD: [(&str, &str); 26] = [
    ("auth", "customer-service"),
    ("admin", "customer-service"),
    ("customers", "customer-service"),
    ("loyalty", "customer-service"),
    ("products", "product-service"),
    ("categories", "product-service"),
    ("locations", "product-service"),
    ("orders", "order-service"),
    ("cart", "order-service"),
    ("checkout", "order-service"),
    ("coupons", "order-service"),
    ("alerts", "alert-service"),
    ("analytics", "analytics-service"),
    ("events", "analytics-service"),
    ("dashboard", "analytics-service"),
    ("assistant", "assistant-service"),
    ("ws/orders", "order-service"),
    ("ws/alerts", "alert-service"),
    ("ws/chat", "assistant-service"),
    ("ws/analytics", "analytics-service"),
    ("notifications", "alert-service"),
    ("returns", "order-service"),
    ("support", "assistant-service"),
    ("ws/support", "assistant-service"),
    ("wishlist", "customer-service"),
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
        assert_eq!(
            t.resolve("orders").unwrap().0.first().base_url,
            "http://o:1"
        );
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
        assert_eq!(u.first().base_path(), "/base");
        assert_eq!(u.first().uri_parts().authority.unwrap().as_str(), "h:1");
        assert_eq!(Upstream::new("y", "http://h:1").first().base_path(), "");
    }

    #[test]
    fn websocket_areas_route_by_their_second_segment() {
        let t = table();
        assert_eq!(t.resolve("ws/orders").unwrap().0.name, "order-service");
        let (index, _) = t.resolve_index("ws/orders").unwrap();
        assert_eq!(t.upstreams()[index].name, "order-service");
        assert!(t.resolve("ws/alerts").is_none());
    }

    #[test]
    fn several_urls_are_replicas_taken_in_turn() {
        let u = Upstream::new("o", "http://a:1, http://b:2/,");
        let urls: Vec<&str> = u.replicas().iter().map(|r| r.base_url.as_str()).collect();
        assert_eq!(urls, ["http://a:1", "http://b:2"]);
        let firsts: Vec<usize> = (0..4).map(|_| u.attempts()[0]).collect();
        assert_eq!(firsts, [0, 1, 0, 1]);
        assert_eq!(
            u.attempts().len(),
            2,
            "every replica is tried before giving up"
        );
    }

    #[test]
    fn a_replica_marked_down_is_tried_last_until_it_is_up_again() {
        let u = Upstream::new("o", "http://a:1,http://b:2");
        u.mark_down(0);
        assert!(u.is_marked_down(0));
        for _ in 0..4 {
            assert_eq!(u.attempts(), [1, 0]);
        }
        u.mark_up(0);
        let firsts: Vec<usize> = (0..2).map(|_| u.attempts()[0]).collect();
        assert!(firsts.contains(&0), "{firsts:?}");
    }
}
