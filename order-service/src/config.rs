//! Configuration of order-service: the shared settings, where product- and customer-service
//! live, the fulfilment schedule, the saga's deadline, idempotency, live streams and the
//! subscriptions' schedule.
//!
//! | variable | default | meaning |
//! | --- | --- | --- |
//! | `PRODUCT_SERVICE_URL` | `http://127.0.0.1:5002` | names and prices at order time |
//! | `CUSTOMER_SERVICE_URL` | `http://127.0.0.1:5003` | the default shipping address |
//! | `FULFILMENT_ENABLED` | `true` | advance `PROCESSING` → `SHIPPED` → `DELIVERED` by itself |
//! | `FULFILMENT_MIN_DELAY_MS` | `3000` | shortest wait between two fulfilment steps |
//! | `FULFILMENT_MAX_DELAY_MS` | `7000` | longest wait between two fulfilment steps |
//! | `FULFILMENT_POLL_MS` | `500` | how often due orders are looked for |
//! | `SAGA_TIMEOUT_MS` | `300000` | a `PENDING` order with no stock answer by then ends `REJECTED` (`SAGA_TIMEOUT`) |
//! | `SAGA_POLL_MS` | `1000` | how often orders past their saga deadline are looked for |
//! | `IDEMPOTENCY_TTL_SECS` | `86400` | how long an `Idempotency-Key` replays its answer |
//! | `STREAM_HEARTBEAT_SECS` | `15` | heartbeat interval of idle SSE and WebSocket streams |
//! | `STREAM_BUFFER` | `64` | events buffered per live client before it is dropped as too slow |
//! | `ORPHAN_COUPON_TTL_SECS` | `3600` | a coupon use counted this long ago whose checkout stored no order is given back (see `orphans`) |
//! | `ORPHAN_SWEEP_POLL_SECS` | `60` | how often such uses are looked for |
//! | `PAYMENT_PROVIDER` | `test` | the payment provider of checkout and the saga's payment step (`shared::payment`; only `test` exists; another name stops the start) |
//! | `SUBSCRIPTIONS_ENABLED` | `true` | run due subscriptions in this process (the schedule is stored either way) |
//! | `SUBSCRIPTION_DAY_MS` | `86400000` | how long one of a subscription's `intervalDays` lasts (tests shorten it) |
//! | `SUBSCRIPTION_POLL_MS` | `1000` | how often due subscriptions are looked for |
//! | `PAYMENT_TEST_UNAVAILABLE` | (empty) | `1`: the test provider answers every call "unavailable" (orders wait in `PENDING`) |
//!
//! The shared variables (`PORT`, `MONGODB_URI`, `AMQP_URL`, ...) are listed on
//! [`shared::config::ServiceConfig`].

use std::time::Duration;

use shared::config::{ConfigError, Env, ServiceConfig, ServiceDefaults};

/// This service's defaults: port 5001, database `orders`.
pub const DEFAULTS: ServiceDefaults = ServiceDefaults {
    name: "order-service",
    port: 5001,
    database: Some("orders"),
    uses_broker: true,
    uses_redis: true,
};

/// Everything order-service reads at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Host, port, MongoDB, RabbitMQ, Redis, shutdown grace.
    pub service: ServiceConfig,
    /// Base URL of product-service (no trailing slash).
    pub product_service_url: String,
    /// Base URL of customer-service (no trailing slash).
    pub customer_service_url: String,
    /// The fulfilment schedule.
    pub fulfilment: FulfilmentConfig,
    /// The stock saga's deadline.
    pub saga: SagaConfig,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
    /// Live streams (SSE and WebSocket).
    pub streams: StreamConfig,
    /// The payment provider (`PAYMENT_PROVIDER`, checked at start).
    pub payment: shared::payment::Settings,
    /// The sweep of coupon uses whose checkout stored no order.
    pub orphans: crate::orphans::OrphanConfig,
    /// The subscriptions' schedule.
    pub subscriptions: SubscriptionConfig,
    /// How long a caller's loyalty tier is remembered at most (`TIER_CACHE_SECS`, 0: asked
    /// for every price; see [`crate::upstream::tiers`]).
    pub tier_ttl: Duration,
}

/// How subscriptions place their orders by themselves.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionConfig {
    /// Whether the poller runs in this process.
    pub enabled: bool,
    /// How long one day of `intervalDays` lasts, in milliseconds (at least 1).
    pub day_ms: i64,
    /// How often due subscriptions are looked for.
    pub poll: Duration,
}

impl Default for SubscriptionConfig {
    /// On, real days, polled every second.
    fn default() -> Self {
        Self {
            enabled: true,
            day_ms: 86_400_000,
            poll: Duration::from_secs(1),
        }
    }
}

/// How orders move from `PROCESSING` to `DELIVERED` by themselves.
#[derive(Debug, Clone, Copy)]
pub struct FulfilmentConfig {
    /// Whether the poller runs in this process. Due times are stored either way, so switching
    /// it on later picks up where things stand.
    pub enabled: bool,
    /// Shortest wait between two steps.
    pub min_delay: Duration,
    /// Longest wait between two steps.
    pub max_delay: Duration,
    /// How often due orders are looked for.
    pub poll: Duration,
}

impl FulfilmentConfig {
    /// A wait drawn uniformly from `[min_delay, max_delay]`.
    pub fn random_delay(&self) -> Duration {
        use rand::Rng;
        let (lo, hi) = (self.min_delay.as_millis(), self.max_delay.as_millis());
        if hi <= lo {
            return self.min_delay;
        }
        let ms = rand::rng().random_range(lo..=hi);
        Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
    }
}

/// How long a `PENDING` order waits for product-service's answer before it is rejected.
#[derive(Debug, Clone, Copy)]
pub struct SagaConfig {
    /// From placement to the deadline.
    pub timeout: Duration,
    /// How often orders past their deadline are looked for.
    pub poll: Duration,
}

/// Live stream settings.
#[derive(Debug, Clone, Copy)]
pub struct StreamConfig {
    /// Heartbeat interval while a stream is idle.
    pub heartbeat: Duration,
    /// Events buffered per client; a client whose buffer is full is dropped.
    pub buffer: usize,
}

impl Config {
    /// Reads the configuration, naming the variable at fault.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let fulfilment = FulfilmentConfig {
            enabled: env.parse("FULFILMENT_ENABLED", true)?,
            min_delay: Duration::from_millis(env.parse("FULFILMENT_MIN_DELAY_MS", 3000u64)?),
            max_delay: Duration::from_millis(env.parse("FULFILMENT_MAX_DELAY_MS", 7000u64)?),
            poll: Duration::from_millis(env.parse("FULFILMENT_POLL_MS", 500u64)?.max(1)),
        };
        if fulfilment.max_delay < fulfilment.min_delay {
            return Err(ConfigError {
                name: "FULFILMENT_MAX_DELAY_MS".to_owned(),
                reason: "must not be below FULFILMENT_MIN_DELAY_MS".to_owned(),
            });
        }
        let saga = SagaConfig {
            timeout: Duration::from_millis(env.parse("SAGA_TIMEOUT_MS", 300_000u64)?),
            poll: Duration::from_millis(env.parse("SAGA_POLL_MS", 1000u64)?.max(1)),
        };
        if saga.timeout.is_zero() {
            return Err(ConfigError {
                name: "SAGA_TIMEOUT_MS".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        let buffer: usize = env.parse("STREAM_BUFFER", 64usize)?;
        if buffer == 0 {
            return Err(ConfigError {
                name: "STREAM_BUFFER".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        // A misspelt provider stops the start, not the first checkout.
        let payment = shared::payment::Settings::parse(
            &env.string("PAYMENT_PROVIDER", "test"),
            &env.string("PAYMENT_TEST_UNAVAILABLE", ""),
        )?;
        let orphans = crate::orphans::OrphanConfig {
            ttl: Duration::from_secs(env.parse("ORPHAN_COUPON_TTL_SECS", 3600u64)?.max(1)),
            poll: Duration::from_secs(env.parse("ORPHAN_SWEEP_POLL_SECS", 60u64)?.max(1)),
        };
        let subscriptions = SubscriptionConfig {
            enabled: env.parse("SUBSCRIPTIONS_ENABLED", true)?,
            day_ms: env.parse("SUBSCRIPTION_DAY_MS", 86_400_000i64)?,
            poll: Duration::from_millis(env.parse("SUBSCRIPTION_POLL_MS", 1000u64)?.max(1)),
        };
        if subscriptions.day_ms < 1 {
            return Err(ConfigError {
                name: "SUBSCRIPTION_DAY_MS".to_owned(),
                reason: "must be at least 1".to_owned(),
            });
        }
        Ok(Self {
            payment,
            orphans,
            subscriptions,
            service: ServiceConfig::from_env(env, DEFAULTS)?,
            product_service_url: base_url(env, "PRODUCT_SERVICE_URL", "http://127.0.0.1:5002"),
            customer_service_url: base_url(env, "CUSTOMER_SERVICE_URL", "http://127.0.0.1:5003"),
            fulfilment,
            saga,
            idempotency_ttl: Duration::from_secs(
                env.parse("IDEMPOTENCY_TTL_SECS", 86_400u64)?.max(1),
            ),
            streams: StreamConfig {
                heartbeat: Duration::from_secs(env.parse("STREAM_HEARTBEAT_SECS", 15u64)?.max(1)),
                buffer,
            },
            tier_ttl: Duration::from_secs(env.parse("TIER_CACHE_SECS", 30u64)?),
        })
    }
}

fn base_url(env: &Env, name: &str, default: &str) -> String {
    env.string(name, default).trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cfg = Config::from_env(&Env::from_pairs(&[])).unwrap();
        assert_eq!(cfg.product_service_url, "http://127.0.0.1:5002");
        assert_eq!(cfg.customer_service_url, "http://127.0.0.1:5003");
        assert!(cfg.fulfilment.enabled);
        assert_eq!(cfg.fulfilment.min_delay, Duration::from_secs(3));
        assert_eq!(cfg.fulfilment.max_delay, Duration::from_secs(7));
        assert_eq!(cfg.saga.timeout, Duration::from_secs(300));
        assert_eq!(cfg.idempotency_ttl, Duration::from_secs(86_400));
        assert_eq!(cfg.streams.heartbeat, Duration::from_secs(15));
        assert_eq!(cfg.streams.buffer, 64);
        assert_eq!(cfg.payment, shared::payment::Settings::default());
        assert!(cfg.subscriptions.enabled);
        assert_eq!(cfg.subscriptions.day_ms, 86_400_000);
        assert_eq!(cfg.tier_ttl, Duration::from_secs(30));
    }

    #[test]
    fn a_subscription_day_below_one_millisecond_is_named() {
        let env = Env::from_pairs(&[("SUBSCRIPTION_DAY_MS", "0")]);
        assert_eq!(
            Config::from_env(&env).unwrap_err().name,
            "SUBSCRIPTION_DAY_MS"
        );
    }

    #[test]
    fn an_unknown_payment_provider_is_named() {
        let env = Env::from_pairs(&[("PAYMENT_PROVIDER", "stripe")]);
        assert_eq!(Config::from_env(&env).unwrap_err().name, "PAYMENT_PROVIDER");
    }

    #[test]
    fn a_maximum_delay_below_the_minimum_is_named() {
        let env = Env::from_pairs(&[
            ("FULFILMENT_MIN_DELAY_MS", "500"),
            ("FULFILMENT_MAX_DELAY_MS", "100"),
        ]);
        assert_eq!(
            Config::from_env(&env).unwrap_err().name,
            "FULFILMENT_MAX_DELAY_MS"
        );
    }

    #[test]
    fn random_delays_stay_within_the_bounds() {
        let cfg = FulfilmentConfig {
            enabled: true,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
            poll: Duration::from_millis(5),
        };
        for _ in 0..200 {
            let d = cfg.random_delay();
            assert!(d >= cfg.min_delay && d <= cfg.max_delay, "{d:?}");
        }
    }
}
