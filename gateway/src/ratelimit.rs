//! Rate limits with governor: one keyed limiter per route class, keyed by the caller's user id
//! when a valid token came with the request and by client address otherwise.
//!
//! Quotas are per minute with a burst of the same size (GCRA: a full minute's allowance may
//! be spent at once, then it refills evenly). Keys that have not been seen for a while are
//! purged every minute, so memory stays bounded however many addresses call.
//!
//! These limiters are per replica. With `RATE_LIMIT_REDIS` on, quotas are counted in Redis
//! instead and so hold across every gateway replica (`shared`); this replica's limiter only
//! decides while Redis does not answer.

mod window;

pub use window::SharedQuotas;

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use axum::http::Method;
use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DashMapStateStore,
};

/// Which quota a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// `/api/auth/*`: strict, against password guessing.
    Auth,
    /// `/api/assistant/*` and `/api/ws/chat/*`: moderate, each turn is expensive.
    Assistant,
    /// `GET /api/products*`, `/api/categories*` and `/api/locations`: generous, the storefront
    /// browses a lot.
    CatalogRead,
    /// `POST /api/events`: the storefront's clickstream, counted apart so that a chatty page
    /// spends neither the catalog's nor the shopper's other quota, and a flood stops here.
    Clickstream,
    /// Everything else.
    Default,
}

impl RouteClass {
    /// The class of `method` on `path` (the full path, `/api/...`).
    pub fn of(method: &Method, path: &str) -> Self {
        let area = path.strip_prefix("/api/").unwrap_or(path);
        if area.starts_with("auth/") || area == "auth" {
            Self::Auth
        } else if area.starts_with("assistant") || area.starts_with("ws/chat") {
            Self::Assistant
        } else if *method == Method::POST && area == "events" {
            Self::Clickstream
        } else if *method == Method::GET
            && ["products", "categories", "locations"]
                .iter()
                .any(|a| area == *a || area.strip_prefix(a).is_some_and(|r| r.starts_with('/')))
        {
            Self::CatalogRead
        } else {
            Self::Default
        }
    }

    /// A label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Assistant => "assistant",
            Self::CatalogRead => "catalog",
            Self::Clickstream => "clickstream",
            Self::Default => "default",
        }
    }
}

/// Requests per minute for each class.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    /// `/api/auth/*`.
    pub auth: u32,
    /// The assistant.
    pub assistant: u32,
    /// Catalog reads.
    pub catalog: u32,
    /// Clickstream batches.
    pub clickstream: u32,
    /// Everything else.
    pub default: u32,
}

type Limiter =
    RateLimiter<String, DashMapStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// What a check tells the caller (for the `RateLimit-*` headers).
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    /// The quota per minute.
    pub limit: u32,
    /// Requests left right now.
    pub remaining: u32,
    /// Seconds until a request is allowed again (0 when allowed now).
    pub retry_after_secs: u64,
    /// Whether this request may pass.
    pub allowed: bool,
}

/// The limiters of every class. Cheap to clone.
#[derive(Clone)]
pub struct RateLimits {
    quotas: Quotas,
    limiters: Arc<[Limiter; 5]>,
    shared: Option<SharedQuotas>,
}

fn limiter(per_minute: u32) -> Limiter {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::dashmap(Quota::per_minute(n)).with_middleware::<StateInformationMiddleware>()
}

impl RateLimits {
    /// Limiters with `quotas`.
    pub fn new(quotas: Quotas) -> Self {
        let limiters = [
            quotas.auth,
            quotas.assistant,
            quotas.catalog,
            quotas.clickstream,
            quotas.default,
        ]
        .map(limiter);
        Self {
            quotas,
            limiters: Arc::new(limiters),
            shared: None,
        }
    }

    /// These limits, counted in Redis (shared by every replica) while it answers.
    pub fn shared_through(mut self, shared: SharedQuotas) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Counts one request of `class` from `key`: in Redis when the quotas are shared and it
    /// answers, by this replica otherwise.
    pub async fn check(&self, class: RouteClass, key: String) -> Verdict {
        if let Some(shared) = &self.shared
            && let Some(verdict) = shared.check(class, &key, self.limit(class)).await
        {
            return verdict;
        }
        self.check_local(class, key)
    }

    fn limit(&self, class: RouteClass) -> u32 {
        match class {
            RouteClass::Auth => self.quotas.auth,
            RouteClass::Assistant => self.quotas.assistant,
            RouteClass::CatalogRead => self.quotas.catalog,
            RouteClass::Clickstream => self.quotas.clickstream,
            RouteClass::Default => self.quotas.default,
        }
    }

    fn index(class: RouteClass) -> usize {
        match class {
            RouteClass::Auth => 0,
            RouteClass::Assistant => 1,
            RouteClass::CatalogRead => 2,
            RouteClass::Clickstream => 3,
            RouteClass::Default => 4,
        }
    }

    /// Counts one request of `class` from `key` in this replica's own limiter.
    pub fn check_local(&self, class: RouteClass, key: String) -> Verdict {
        let limit = self.limit(class);
        match self.limiters[Self::index(class)].check_key(&key) {
            Ok(snapshot) => Verdict {
                limit,
                remaining: snapshot.remaining_burst_capacity(),
                retry_after_secs: 0,
                allowed: true,
            },
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Verdict {
                    limit,
                    remaining: 0,
                    retry_after_secs: wait.as_secs() + 1,
                    allowed: false,
                }
            }
        }
    }

    /// Tracked keys across every class.
    pub fn tracked_keys(&self) -> usize {
        self.limiters.iter().map(Limiter::len).sum()
    }

    /// Forgets keys whose allowance has fully refilled, every minute, until `cancel`.
    pub fn purge_periodically(&self, cancel: tokio_util::sync::CancellationToken) {
        let limits = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = tick.tick() => limits.purge(),
                }
            }
        });
    }

    /// Forgets keys whose allowance has fully refilled.
    pub fn purge(&self) {
        for limiter in self.limiters.iter() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        metrics::gauge!("gateway_rate_limit_keys").set(self.tracked_keys() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_into_their_classes() {
        assert_eq!(
            RouteClass::of(&Method::POST, "/api/auth/login"),
            RouteClass::Auth
        );
        assert_eq!(
            RouteClass::of(&Method::POST, "/api/assistant/chat"),
            RouteClass::Assistant
        );
        assert_eq!(
            RouteClass::of(&Method::GET, "/api/ws/chat/abc"),
            RouteClass::Assistant
        );
        assert_eq!(
            RouteClass::of(&Method::GET, "/api/products"),
            RouteClass::CatalogRead
        );
        assert_eq!(
            RouteClass::of(&Method::POST, "/api/products"),
            RouteClass::Default
        );
        assert_eq!(
            RouteClass::of(&Method::GET, "/api/categories/65a1b2c3d4e5f60718293a4b"),
            RouteClass::CatalogRead
        );
        assert_eq!(
            RouteClass::of(&Method::GET, "/api/categoriesx"),
            RouteClass::Default
        );
        assert_eq!(
            RouteClass::of(&Method::GET, "/api/productsx"),
            RouteClass::Default
        );
        assert_eq!(
            RouteClass::of(&Method::POST, "/api/events"),
            RouteClass::Clickstream
        );
        assert_eq!(
            RouteClass::of(&Method::GET, "/api/events"),
            RouteClass::Default
        );
    }

    #[test]
    fn a_key_is_refused_past_its_quota_and_others_are_not() {
        let limits = RateLimits::new(Quotas {
            auth: 3,
            assistant: 1,
            catalog: 1,
            clickstream: 1,
            default: 1,
        });
        let verdicts: Vec<bool> = (0..4)
            .map(|_| {
                limits
                    .check_local(RouteClass::Auth, "ip:1".to_owned())
                    .allowed
            })
            .collect();
        assert_eq!(verdicts, [true, true, true, false]);
        let refused = limits.check_local(RouteClass::Auth, "ip:1".to_owned());
        assert!(
            refused.retry_after_secs >= 1 && refused.retry_after_secs <= 21,
            "{refused:?}"
        );
        assert!(
            limits
                .check_local(RouteClass::Auth, "ip:2".to_owned())
                .allowed
        );
        assert!(
            limits
                .check_local(RouteClass::Default, "ip:1".to_owned())
                .allowed,
            "classes are separate"
        );
    }
}
