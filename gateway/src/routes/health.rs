//! `GET /api/health`: the gateway's own dependencies and every service's `/health`.
//!
//! `status` is `ok` when every service answers `ok` and the gateway's own dependencies are up,
//! `degraded` otherwise; a service that does not answer within two seconds is `down`. Each
//! service lists its replicas (`replicas`: each one's report, `url`, and `skipped` while the
//! gateway passes it over after a refused connection); a service with some replicas up is
//! `degraded`.

use std::{collections::BTreeMap, time::Duration};

use axum::{Json, extract::State};
use serde_json::{Value, json};

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
                    let mut report = probe(&client, &replica.base_url).await;
                    report["url"] = json!(replica.base_url);
                    report["skipped"] = json!(upstream.is_marked_down(i));
                    report
                }
            });
            let replicas: Vec<Value> = futures::future::join_all(probes).await;
            (upstream.name.clone(), service_report(replicas))
        }
    });
    let services: BTreeMap<String, Value> = futures::future::join_all(checks)
        .await
        .into_iter()
        .collect();
    let all_ok = own.status == "ok" && services.values().all(|s| s["status"] == "ok");
    shared::error::ok(json!({
        "status": if all_ok { "ok" } else { "degraded" },
        "gateway": own,
        "services": services,
    }))
}

/// One replica's `/health`.
async fn probe(client: &reqwest::Client, base_url: &str) -> Value {
    let url = format!("{base_url}/health");
    match client
        .get(&url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
    {
        Ok(res) => match res.json::<Value>().await {
            Ok(body) if body["data"]["status"].is_string() => body["data"].clone(),
            _ => json!({ "status": "down", "error": "unreadable health answer" }),
        },
        Err(e) => {
            json!({ "status": "down", "error": if e.is_timeout() { "timed out" } else { "unreachable" } })
        }
    }
}

/// A service's entry: its first replica's report (or the first that is not `ok`), `status`
/// `ok` when every replica is, `degraded` when some are, and each replica under `replicas`.
fn service_report(replicas: Vec<Value>) -> Value {
    let ok = replicas.iter().filter(|r| r["status"] == "ok").count();
    let mut report = replicas
        .iter()
        .find(|r| r["status"] != "ok")
        .or(replicas.first())
        .cloned()
        .unwrap_or_else(|| json!({ "status": "down" }));
    if ok > 0 && ok < replicas.len() {
        report["status"] = json!("degraded");
    }
    if let Some(fields) = report.as_object_mut() {
        fields.remove("url");
        fields.remove("skipped");
    }
    report["replicas"] = Value::Array(replicas);
    report
}
