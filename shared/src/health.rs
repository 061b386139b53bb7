//! `GET /health`: the service's status, each dependency's state and the uptime.
//!
//! The answer is 200 with `status: "ok"` when every dependency is up and `"degraded"` when one
//! is down: the process is alive and recovers by itself, so orchestrators should not restart it.
//!
//! For orchestrators there are two more: `GET /health/live` answers 200 while the process
//! serves (never failing on a dependency outage, so a liveness probe never restarts a service
//! that would recover by itself), and `GET /health/ready` answers 200 only when every
//! dependency answers and every start-up step is done, else 503 with the report as `details`
//! (a readiness probe takes the replica out of its Service meanwhile).
//!
//! A [`Readiness`] gate is a start-up step a service must finish before it serves what depends
//! on it (order-service's unique request-key index, without which `Idempotency-Key` does not
//! hold): it is listed as `pending`, and the service `degraded`, until it is marked ready, and
//! the routes that depend on it answer 503 meanwhile ([`Readiness::require`]).
//!
//! A feature the service may run without (product-service's search by meaning without its
//! embedding model) is listed under `features` as `on` or `off` ([`Health::feature`]); an `off`
//! feature does not make the service degraded, since it was configured (or left) that way.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, extract::State, routing::get};

use crate::{
    ApiError, api::health::Health as Report, error::ok, events::Bus, store::Redis,
    supervise::Heartbeat,
};

/// One dependency to probe.
#[derive(Clone)]
pub enum Probe {
    /// The service's MongoDB database.
    Mongo(mongodb::Database),
    /// RabbitMQ through the bus.
    Broker(Bus),
    /// Redis.
    Redis(Redis),
}

impl Probe {
    fn name(&self) -> &'static str {
        match self {
            Self::Mongo(_) => "mongodb",
            Self::Broker(_) => "rabbitmq",
            Self::Redis(_) => "redis",
        }
    }

    async fn is_up(&self) -> bool {
        const TIMEOUT: Duration = Duration::from_millis(1500);
        match self {
            Self::Mongo(db) => crate::store::mongo_is_up(db, TIMEOUT).await,
            Self::Broker(bus) => bus.is_connected(),
            Self::Redis(redis) => redis.is_up(TIMEOUT).await,
        }
    }
}

/// A start-up step the service is not ready without; cheap to clone, every clone shares the
/// flag. Made with [`Health::gate`], so `/health` reports it.
#[derive(Debug, Clone)]
pub struct Readiness {
    name: &'static str,
    ready: Arc<AtomicBool>,
}

impl Readiness {
    /// Whether the step has finished.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks the step finished, for good.
    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// `Ok` once ready; before, a 503 for the request that needs the step.
    pub fn require(&self) -> Result<(), ApiError> {
        if self.is_ready() {
            return Ok(());
        }
        Err(ApiError::UpstreamUnavailable(format!(
            "this service (still starting: {})",
            self.name
        )))
    }
}

/// The probes of one service.
#[derive(Clone)]
pub struct Health {
    service: &'static str,
    started: Instant,
    probes: Vec<Probe>,
    /// Looping background tasks (relays, pollers), added as they start: each is `up` while its
    /// heartbeat is recent and `stalled` otherwise.
    tasks: Arc<std::sync::Mutex<Vec<Heartbeat>>>,
    /// Start-up steps: `pending` (and the service `degraded`) until each is ready.
    gates: Arc<std::sync::Mutex<Vec<Readiness>>>,
    /// Optional features and their state, reported as they are.
    features: Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>,
}

impl Health {
    /// A health check for `service` over `probes`.
    pub fn new(service: &'static str, probes: Vec<Probe>) -> Self {
        Self {
            service,
            started: Instant::now(),
            probes,
            tasks: Default::default(),
            gates: Default::default(),
            features: Default::default(),
        }
    }

    /// A new start-up step named `name`, reported until it is ready.
    pub fn gate(&self, name: &'static str) -> Readiness {
        let gate = Readiness {
            name,
            ready: Arc::default(),
        };
        if let Ok(mut gates) = self.gates.lock() {
            gates.push(gate.clone());
        }
        gate
    }

    /// Reports the task behind `beat` too: `stalled` (and the service `degraded`) once its
    /// last pass is older than the heartbeat's deadline.
    pub fn watch(&self, beat: Heartbeat) {
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.push(beat);
        }
    }

    /// Reports the optional feature `name` as `state` (e.g. `on`, `off`) from now on, without
    /// bearing on `status`.
    pub fn feature(&self, name: &str, state: &str) {
        if let Ok(mut features) = self.features.lock() {
            features.insert(name.to_owned(), state.to_owned());
        }
    }

    /// Probes every dependency concurrently.
    pub async fn report(&self) -> Report {
        let states = futures::future::join_all(self.probes.iter().map(Probe::is_up)).await;
        let dependencies: std::collections::BTreeMap<String, String> = self
            .probes
            .iter()
            .zip(&states)
            .map(|(p, up)| {
                (
                    p.name().to_owned(),
                    if *up { "up" } else { "down" }.to_owned(),
                )
            })
            .collect();
        let mut dependencies = dependencies;
        let mut all_up = states.iter().all(|up| *up);
        let tasks = self.tasks.lock().map(|t| t.clone()).unwrap_or_default();
        let outbox = tasks.iter().flat_map(Heartbeat::backlog).collect();
        for task in tasks {
            let alive = task.is_alive();
            all_up &= alive;
            dependencies.insert(
                task.name().to_owned(),
                if alive { "up" } else { "stalled" }.to_owned(),
            );
        }
        let gates = self.gates.lock().map(|g| g.clone()).unwrap_or_default();
        for gate in gates {
            let ready = gate.is_ready();
            all_up &= ready;
            dependencies.insert(
                gate.name.to_owned(),
                if ready { "up" } else { "pending" }.to_owned(),
            );
        }
        Report {
            service: self.service.to_owned(),
            status: if all_up { "ok" } else { "degraded" }.to_owned(),
            uptime_seconds: self.started.elapsed().as_secs(),
            dependencies,
            features: self.features.lock().map(|f| f.clone()).unwrap_or_default(),
            outbox,
        }
    }

    /// Whether the replica should take traffic: every dependency up and every start-up step
    /// done. A stalled background task does not count: it is reported, but taking the replica
    /// out of its Service would not restart it.
    pub async fn is_ready(&self) -> (bool, Report) {
        let report = self.report().await;
        let ready = report
            .dependencies
            .values()
            .all(|state| state == "up" || state == "stalled");
        (ready, report)
    }

    /// `GET /health`, `GET /health/live` and `GET /health/ready`.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        Router::new()
            .route("/health", get(handler))
            .route("/health/live", get(live))
            .route("/health/ready", get(ready))
            .with_state(self)
    }
}

async fn handler(State(health): State<Health>) -> axum::Json<serde_json::Value> {
    ok(health.report().await)
}

/// The process serves: that is all a liveness probe may ask.
async fn live(State(health): State<Health>) -> axum::Json<serde_json::Value> {
    ok(serde_json::json!({
        "service": health.service,
        "status": "alive",
        "uptimeSeconds": health.started.elapsed().as_secs(),
    }))
}

/// 200 with the report when ready; 503 naming what is not up otherwise.
async fn ready(State(health): State<Health>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (ready, report) = health.is_ready().await;
    if ready {
        return ok(report).into_response();
    }
    let waiting: Vec<String> = report
        .dependencies
        .iter()
        .filter(|(_, state)| *state != "up" && *state != "stalled")
        .map(|(name, state)| format!("{name} {state}"))
        .collect();
    ApiError::UpstreamUnavailable(format!("not ready: {}", waiting.join(", "))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_pending_start_up_step_keeps_the_service_degraded_and_its_routes_refused() {
        let health = Health::new("test-service", vec![]);
        let indexes = health.gate("indexes");

        let before = health.report().await;
        let refused = indexes.require().unwrap_err();
        indexes.set_ready();
        let after = health.report().await;

        assert_eq!(before.status, "degraded");
        assert_eq!(before.dependencies["indexes"], "pending");
        assert_eq!(
            refused.status(),
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(after.status, "ok");
        assert_eq!(after.dependencies["indexes"], "up");
        assert!(indexes.require().is_ok());
    }

    async fn get(router: Router, path: &str) -> (u16, serde_json::Value) {
        use tower::ServiceExt;
        let response = router
            .oneshot(
                axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn readiness_waits_for_start_up_steps_while_liveness_never_does() {
        let health = Health::new("test-service", vec![]);
        let indexes = health.gate("indexes");
        let router = || health.clone().router::<()>();

        let (live_status, live) = get(router(), "/health/live").await;
        let (before_status, before) = get(router(), "/health/ready").await;
        indexes.set_ready();
        let (after_status, after) = get(router(), "/health/ready").await;

        assert_eq!(live_status, 200);
        assert_eq!(live["data"]["status"], "alive");
        assert_eq!(before_status, 503);
        assert_eq!(before["error"]["code"], "UPSTREAM_UNAVAILABLE");
        assert!(
            before["error"]["message"]
                .as_str()
                .unwrap()
                .contains("indexes pending"),
            "{before}"
        );
        assert_eq!(after_status, 200);
        assert_eq!(after["data"]["status"], "ok");
    }

    #[tokio::test]
    async fn a_stalled_task_is_reported_but_does_not_take_the_replica_out() {
        let health = Health::new("test-service", vec![]);
        health.watch(Heartbeat::new("relay", Duration::from_millis(1)));
        let deadline = Instant::now() + Duration::from_secs(5);
        while health.report().await.dependencies["relay"] != "stalled" {
            assert!(
                Instant::now() < deadline,
                "the relay never counted as stalled"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }

        let (ready, report) = health.is_ready().await;

        assert!(ready);
        assert_eq!(report.status, "degraded");
    }

    #[tokio::test]
    async fn the_backlog_a_relay_left_is_reported_per_collection_and_absent_without_one() {
        let health = Health::new("test-service", vec![]);
        let none = serde_json::to_value(health.report().await).unwrap();
        let relay = Heartbeat::new("outbox-relay", Duration::from_secs(60));
        health.watch(relay.clone());
        relay.set_backlog("orders", |b| b.pending = 3);
        relay.set_backlog("orders", |b| b.oldest_seconds = 12);

        let report = serde_json::to_value(health.report().await).unwrap();

        assert!(none.get("outbox").is_none(), "{none}");
        assert_eq!(
            report["outbox"],
            serde_json::json!({ "orders": { "pending": 3, "oldestSeconds": 12 } })
        );
        assert_eq!(report["status"], "ok", "a backlog is shown, not a fault");
    }

    #[tokio::test]
    async fn a_feature_that_is_off_is_reported_without_degrading_the_service() {
        let health = Health::new("test-service", vec![]);
        let none = serde_json::to_value(health.report().await).unwrap();

        health.feature("embeddings", "off");
        let report = health.report().await;

        assert!(none.get("features").is_none(), "{none}");
        assert_eq!(report.status, "ok");
        assert_eq!(report.features["embeddings"], "off");
        assert!(!report.dependencies.contains_key("embeddings"));
    }
}
