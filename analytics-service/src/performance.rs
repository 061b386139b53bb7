//! `GET /dashboard/performance`: every service's `/metrics`, fetched concurrently, read into
//! per-route latency quantiles, error rates and open streams. A service that does not answer
//! is reported `up: false`, never failing the whole answer. This service's own figures are
//! read in-process.

use std::time::Duration;

use serde_json::{Value, json};

use crate::domain::prometheus;

/// Fetches and summarises every service in `services` (name, base URL).
pub async fn gather(client: &reqwest::Client, services: &[(String, String)]) -> Value {
    let own = crate::DEFAULTS.name;
    let fetches = services.iter().map(|(name, url)| async move {
        let text = if name == own {
            Ok(shared::telemetry::metrics_handle().render())
        } else {
            fetch(client, url).await
        };
        summarise(name, url, text)
    });
    let services = futures::future::join_all(fetches).await;
    json!({
        "services": services,
        "generatedAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = client
        .get(format!("{url}/metrics"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .map_err(|e| format!("unreachable: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}

fn summarise(name: &str, url: &str, text: Result<String, String>) -> Value {
    match text {
        Err(error) => json!({ "service": name, "url": url, "up": false, "error": error }),
        Ok(text) => {
            let samples = prometheus::parse(&text);
            let streams = prometheus::streams(&samples);
            let routes = prometheus::routes(&samples, name);
            let requests: u64 = routes.iter().map(|r| r.requests).sum();
            json!({
                "service": name,
                "url": url,
                "up": true,
                "requests": requests,
                "routes": routes,
                "openStreams": streams.values().sum::<f64>(),
                "streams": streams,
            })
        }
    }
}
