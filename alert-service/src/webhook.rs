//! Outbound delivery of alerts to a webhook (`ALERT_WEBHOOK_URL`), for chat or paging tools.
//!
//! Each alert is stored with `webhookState: pending`; this worker, separate from the consumer
//! so that a slow receiver never holds up alerts, POSTs due ones and retries failures with
//! exponential backoff until `ALERT_WEBHOOK_MAX_ATTEMPTS`, then marks them `failed`. The state
//! lives on the alert, so a restart resumes where it stopped. Delivery is at least once; a
//! receiver deduplicates by `x-alert-id`.
//!
//! The request: `POST <url>` with body `{"type":"alert","alert":{...}}` and headers
//! `x-alert-id`, `x-alert-timestamp` (Unix seconds) and `x-alert-signature: sha256=<hex>`,
//! the HMAC-SHA256 under `ALERT_WEBHOOK_SECRET` of `"<timestamp>.<body>"` (see [`sign`]). A
//! receiver recomputes it over the raw body and refuses old timestamps.

pub mod sign;

use std::time::Duration;

use bson::oid::ObjectId;
use mongodb::Database;
use secrecy::ExposeSecret;
use shared::http::Trust;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{config::WebhookConfig, domain::Alert, store::webhooks};

/// How often due deliveries are looked for when nothing nudges the worker.
const POLL: Duration = Duration::from_secs(1);
/// How long a claimed delivery is reserved for the replica that claimed it.
const LEASE: Duration = Duration::from_secs(60);

/// Starts the worker under [`shared::supervise`] (a panic restarts it, `cancel` ends it);
/// `wake` wakes it when an alert is stored; an `https://` receiver is verified against
/// `trust`. A client that cannot be built starts nothing, and says so.
pub fn spawn(
    db: Database,
    config: WebhookConfig,
    trust: Trust,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let client = match shared::http::client_builder(&trust)
        .connect_timeout(Duration::from_secs(5))
        .timeout(config.timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; webhook off");
            return;
        }
    };
    let config = Arc::new(config);
    let stop = cancel.clone();
    drop(shared::supervise::spawn("webhook", cancel, move || {
        let (db, config, client) = (db.clone(), config.clone(), client.clone());
        let (wake, cancel) = (wake.clone(), stop.clone());
        async move {
            loop {
                if let Err(e) = pass(&db, &config, &client).await {
                    tracing::warn!(error = %e, "webhook pass failed; trying again");
                }
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            }
        }
    }));
}

/// Delivers what is due now.
async fn pass(
    db: &Database,
    config: &WebhookConfig,
    client: &reqwest::Client,
) -> Result<(), shared::ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let lease = i64::try_from(LEASE.as_millis()).unwrap_or(60_000);
    for due in webhooks::claim_due(db, now, lease, 20).await? {
        let Ok(id) = ObjectId::parse_str(&due.alert.id) else {
            continue;
        };
        let attempts = due.attempts + 1;
        match deliver(client, config, &due.alert).await {
            Ok(()) => {
                metrics::counter!("alert_webhook_deliveries_total", "outcome" => "ok").increment(1);
                webhooks::delivered(db, id, attempts).await?;
            }
            Err(reason) => {
                metrics::counter!("alert_webhook_deliveries_total", "outcome" => "failed")
                    .increment(1);
                let next = (attempts < config.max_attempts).then(|| {
                    let delay = config.delay_after(attempts);
                    chrono::Utc::now().timestamp_millis()
                        + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4)
                });
                if next.is_none() {
                    tracing::error!(alert.id = %due.alert.id, attempts, %reason, "webhook given up");
                } else {
                    tracing::warn!(alert.id = %due.alert.id, attempts, %reason, "webhook failed; will retry");
                }
                webhooks::failed(db, id, attempts, next).await?;
            }
        }
    }
    Ok(())
}

/// One signed POST; `Err` for anything but a 2xx answer.
async fn deliver(
    client: &reqwest::Client,
    config: &WebhookConfig,
    alert: &Alert,
) -> Result<(), String> {
    let body = serde_json::to_vec(&serde_json::json!({ "type": "alert", "alert": alert }))
        .map_err(|e| e.to_string())?;
    let timestamp = chrono::Utc::now().timestamp();
    let signature = sign::signature(config.secret.expose_secret().as_bytes(), timestamp, &body);
    let response = client
        .post(&config.url)
        .header("content-type", "application/json")
        .header("x-alert-id", &alert.id)
        .header("x-alert-timestamp", timestamp.to_string())
        .header("x-alert-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", response.status()))
    }
}
