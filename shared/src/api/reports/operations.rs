//! Operations reports: per-service and per-route performance, the assistant's figures, the
//! rebuild's progress and the dead-letter replay.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /dashboard/performance`: every service's recent figures, from its `/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Performance {
    /// One per service.
    pub services: Vec<ServiceFigures>,
    /// The span the figures cover at most.
    pub window_seconds: u64,
    /// When (RFC 3339).
    pub generated_at: String,
}

/// One service: `up: false` with the `error`, or its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceFigures {
    /// Its name.
    pub service: String,
    /// Where it was scraped.
    pub url: String,
    /// Whether it answered.
    pub up: bool,
    /// Why not (only when down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The span the figures cover (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_seconds: Option<f64>,
    /// Requests in that span (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Requests per second (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_second: Option<f64>,
    /// Per route, busiest first (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<RouteFigures>>,
    /// Streams open now (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_streams: Option<f64>,
    /// Streams open now, per gauge (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<BTreeMap<String, f64>>,
}

/// Latency and errors of one route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteFigures {
    /// HTTP method.
    pub method: String,
    /// The route pattern.
    pub route: String,
    /// Requests counted.
    pub requests: u64,
    /// Requests per second.
    pub per_second: f64,
    /// Share of 5xx answers (0..1).
    pub error_rate: f64,
    /// Median latency in milliseconds.
    pub p50_ms: Option<f64>,
    /// 95th percentile in milliseconds.
    pub p95_ms: Option<f64>,
    /// 99th percentile in milliseconds.
    pub p99_ms: Option<f64>,
}

/// `GET /dashboard/assistant-stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssistantStats {
    /// Replies given.
    pub replies: i64,
    /// Replies per intent, with their share.
    pub intents: BTreeMap<String, IntentShare>,
    /// Calls per function.
    pub function_calls: BTreeMap<String, i64>,
    /// Every function call.
    pub total_function_calls: i64,
    /// Time to answer.
    pub response_time_ms: Latency,
}

/// Replies of one intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentShare {
    /// How many.
    pub count: i64,
    /// Of all replies (0..1, four decimals).
    pub share: f64,
}

/// Milliseconds; `null` without replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Mean.
    pub average: Option<i64>,
    /// Median.
    pub p50: Option<i64>,
    /// 95th percentile.
    pub p95: Option<i64>,
    /// 99th percentile.
    pub p99: Option<i64>,
    /// Slowest.
    pub max: Option<i64>,
}

/// `GET` and `POST /analytics/rebuild`: where the rebuild of the order read models stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RebuildStatus {
    /// `idle` (never run), `running`, `done` or `failed`.
    pub state: String,
    /// When it started (RFC 3339).
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    pub finished_at: Option<String>,
    /// Orders applied so far.
    pub processed: i64,
    /// Orders order-service listed, once known.
    pub total: Option<i64>,
    /// Pages read.
    pub pages: i64,
    /// Why it failed.
    pub error: Option<String>,
}

/// `POST /analytics/dead-letters/replay`: how many went back to their queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replayed {
    /// Messages sent back.
    pub replayed: u64,
}

pub use crate::events::DeadLetter;
