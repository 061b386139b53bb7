//! What the health routes answer: a service's `GET /health` ([`Health`], made by
//! `shared::health`) and the suite's `GET /api/health` ([`SuiteHealth`], the gateway's own
//! report and every service's, replica by replica).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /health` of one service: its status, each dependency's state and the uptime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The service name.
    pub service: String,
    /// `ok`, or `degraded` when a dependency is down, a background task stalled or a
    /// start-up step pending.
    pub status: String,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// Dependency name to `up` or `down`; background task name to `up` or `stalled`;
    /// start-up step to `up` or `pending`.
    pub dependencies: BTreeMap<String, String>,
    /// Optional feature name to its state (`on`, `off`); absent when the service has none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub features: BTreeMap<String, String>,
    /// The outbox relay's backlog per collection as of its last pass; absent on a service
    /// without an outbox.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outbox: BTreeMap<String, OutboxBacklog>,
}

/// What an outbox relay had left to publish in one collection at its last pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboxBacklog {
    /// Documents holding events not yet published, due or waiting to retry one the broker
    /// refused (counted every few seconds).
    pub pending: u64,
    /// Seconds since the oldest event due at the last pass was made (0 when none was due).
    pub oldest_seconds: u64,
}

/// `GET /api/health`: the gateway's own report and every service's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuiteHealth {
    /// `ok` when the gateway and every service are, `degraded` otherwise.
    pub status: String,
    /// The gateway's own dependencies.
    pub gateway: Health,
    /// Each service by name.
    pub services: BTreeMap<String, ServiceHealth>,
}

/// One service in [`SuiteHealth`]: the report of its first replica that is not `ok` (or of
/// its first), with `status` `degraded` when only some replicas are `ok`, and every replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceHealth {
    /// The report that stands for the service.
    #[serde(flatten)]
    pub report: Probed,
    /// Every replica, as the gateway probed it.
    pub replicas: Vec<ReplicaHealth>,
}

/// One replica of a service: its report, where it is, and whether the gateway passes it over
/// for now (after a refused connection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplicaHealth {
    /// What it answered.
    #[serde(flatten)]
    pub report: Probed,
    /// Its base URL.
    pub url: String,
    /// Whether the gateway passes it over for now.
    pub skipped: bool,
}

/// What the gateway learnt from probing a replica: its [`Health`], or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Probed {
    /// It answered its `/health`.
    Answered(Health),
    /// It did not (or gave nothing readable).
    Down(Down),
}

/// A replica (or a service without one) that did not answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Down {
    /// `down`.
    pub status: String,
    /// `timed out`, `unreachable` or `unreadable health answer`; absent for a service
    /// without replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Probed {
    /// A replica that did not answer, for `error`.
    pub fn down(error: Option<&str>) -> Self {
        Self::Down(Down {
            status: "down".to_owned(),
            error: error.map(str::to_owned),
        })
    }

    /// `ok`, `degraded` or `down`.
    pub fn status(&self) -> &str {
        match self {
            Self::Answered(health) => &health.status,
            Self::Down(down) => &down.status,
        }
    }

    /// Sets the status.
    pub fn set_status(&mut self, status: &str) {
        match self {
            Self::Answered(health) => status.clone_into(&mut health.status),
            Self::Down(down) => status.clone_into(&mut down.status),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_replica_reads_as_its_report_or_as_down_and_writes_back_the_same() {
        let up = json!({"service": "order-service", "status": "ok", "uptimeSeconds": 3,
            "dependencies": {"mongodb": "up"}, "url": "http://a", "skipped": false});
        let down = json!({"status": "down", "error": "timed out", "url": "http://b",
            "skipped": true});

        let up_read: ReplicaHealth = serde_json::from_value(up.clone()).unwrap();
        let down_read: ReplicaHealth = serde_json::from_value(down.clone()).unwrap();

        assert!(matches!(up_read.report, Probed::Answered(_)));
        assert_eq!(down_read.report.status(), "down");
        assert_eq!(serde_json::to_value(&up_read).unwrap(), up);
        assert_eq!(serde_json::to_value(&down_read).unwrap(), down);
    }
}
