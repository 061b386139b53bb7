//! `GET /api/health`: the gateway's own dependencies and every service's `/health`.
//!
//! `status` is `ok` when every service answers `ok` and the gateway's own dependencies are up,
//! `degraded` otherwise; a service that does not answer within two seconds is `down`.

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
            let url = format!("{}/health", upstream.base_url);
            let report = match client.get(&url).timeout(Duration::from_secs(2)).send().await {
                Ok(res) => match res.json::<Value>().await {
                    Ok(body) if body["data"]["status"].is_string() => body["data"].clone(),
                    _ => json!({ "status": "down", "error": "unreadable health answer" }),
                },
                Err(e) => json!({ "status": "down", "error": if e.is_timeout() { "timed out" } else { "unreachable" } }),
            };
            (upstream.name.clone(), report)
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
