//! `GET /api/health`: the gateway's own dependencies and every service's `/health`.
//!
//! `status` is `ok` when every service answers `ok` and the gateway's own dependencies are up,
//! `degraded` otherwise; a service that does not answer within two seconds is `down`. Each
//! service lists its replicas (`replicas`: each one's report, `url`, and `skipped` while the
//! gateway passes it over after a refused connection); a service with some replicas up is
//! `degraded`.

use std::{collections::BTreeMap, time::Duration};

use axum::{Json, extract::State};
use serde_json::Value;
use shared::api::health::{Health, Probed, ReplicaHealth, ServiceHealth, SuiteHealth};

use crate::AppState;

/// Aggregates the health of every service.
pub async fn aggregate(State(state): State<AppState>) -> Json<Value> {
    let own = state.infra.health.report().await;
    let checks = state.routes.upstreams().iter().map(|upstream| {
        let client = state.client.clone();
        async move {
            let probes = upstream.replicas().iter().enumerate().map(|(i, replica)| {
                let client = client.clone();
                async move {
                    ReplicaHealth {
                        report: probe(&client, &replica.base_url).await,
                        url: replica.base_url.clone(),
                        skipped: upstream.is_marked_down(i),
                    }
                }
            });
            let replicas = futures::future::join_all(probes).await;
            (upstream.name.clone(), service_report(replicas))
        }
    });
    let services: BTreeMap<String, ServiceHealth> = futures::future::join_all(checks)
        .await
        .into_iter()
        .collect();
    let all_ok = own.status == "ok" && services.values().all(|s| s.report.status() == "ok");
    shared::error::ok(SuiteHealth {
        status: if all_ok { "ok" } else { "degraded" }.to_owned(),
        gateway: own,
        services,
    })
}

/// One replica's `/health`.
async fn probe(client: &reqwest::Client, base_url: &str) -> Probed {
    let url = format!("{base_url}/health");
    match client
        .get(&url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
    {
        Ok(res) => match res.json::<Value>().await {
            Ok(mut body) => serde_json::from_value::<Health>(body["data"].take()).map_or_else(
                |_| Probed::down(Some("unreadable health answer")),
                Probed::Answered,
            ),
            Err(_) => Probed::down(Some("unreadable health answer")),
        },
        Err(e) => Probed::down(Some(if e.is_timeout() {
            "timed out"
        } else {
            "unreachable"
        })),
    }
}

/// A service's entry: its first replica's report (or the first that is not `ok`), `status`
/// `ok` when every replica is, `degraded` when some are, and each replica under `replicas`.
fn service_report(replicas: Vec<ReplicaHealth>) -> ServiceHealth {
    let ok = replicas
        .iter()
        .filter(|r| r.report.status() == "ok")
        .count();
    let mut report = replicas
        .iter()
        .find(|r| r.report.status() != "ok")
        .or(replicas.first())
        .map_or_else(|| Probed::down(None), |r| r.report.clone());
    if ok > 0 && ok < replicas.len() {
        report.set_status("degraded");
    }
    ServiceHealth { report, replicas }
}
