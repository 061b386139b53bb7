//! A service under test, running in the test's process on a random port.

use std::{future::Future, time::Duration};

use tokio::net::TcpListener;

use super::eventually;
use crate::config::ServiceConfig;

/// A service running in the test's process on a random port.
pub struct Spawned {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Stops the service (and its consumers) when cancelled.
    pub cancel: tokio_util::sync::CancellationToken,
    /// The configuration it runs with.
    pub config: ServiceConfig,
    /// A client for requests to it.
    pub client: reqwest::Client,
    handle: Option<tokio::task::JoinHandle<Result<(), crate::server::StartError>>>,
}

/// Binds a random port and runs `run(listener, cancel)` in the background.
pub async fn spawn<F, Fut>(config: &ServiceConfig, run: F) -> Spawned
where
    F: FnOnce(TcpListener, tokio_util::sync::CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), crate::server::StartError>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let base_url = format!("http://{}", listener.local_addr().expect("local address"));
    let cancel = tokio_util::sync::CancellationToken::new();
    let handle = tokio::spawn(run(listener, cancel.clone()));
    Spawned {
        base_url,
        cancel,
        config: config.clone(),
        client: crate::http::client_builder(&crate::http::Trust::system())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client"),
        handle: Some(handle),
    }
}

impl Spawned {
    /// A service running elsewhere (another process) at `base_url` with `config`: the same
    /// helpers, nothing to stop.
    pub fn attach(base_url: String, config: ServiceConfig) -> Self {
        Self {
            base_url,
            cancel: tokio_util::sync::CancellationToken::new(),
            config,
            client: crate::http::client_builder(&crate::http::Trust::system())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            handle: None,
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `GET path` as JSON.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// `GET path` as text.
    pub async fn get_text(&self, path: &str) -> String {
        let res = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        res.text().await.expect("body")
    }

    /// The `data` of `/health`.
    pub async fn health(&self) -> serde_json::Value {
        let (status, body) = self.get("/health").await;
        assert_eq!(status, 200, "health answered {status}: {body}");
        body["data"].clone()
    }

    /// Polls `/health` until it says `status` (`ok` or `degraded`), and returns it.
    pub async fn wait_status(&self, status: &str, timeout: Duration) -> serde_json::Value {
        eventually(
            &format!("{} to be {status}", self.config.name),
            timeout,
            || async {
                let health = self.health().await;
                (health["status"] == status).then_some(health)
            },
        )
        .await
    }

    /// Polls `/health` until every dependency is up.
    pub async fn wait_healthy(&self, timeout: Duration) -> serde_json::Value {
        self.wait_status("ok", timeout).await
    }

    /// What every service answers alike: `health` (its `/health`, as read) names the service
    /// and lists exactly `dependencies`, in order; an unknown route gets the 404 envelope;
    /// `/metrics` counts the service's requests.
    pub async fn assert_health_errors_and_metrics(
        &self,
        health: &serde_json::Value,
        dependencies: &[&str],
    ) {
        let name = &self.config.name;
        assert_eq!(health["service"], *name);
        let listed: Vec<&str> = health["dependencies"]
            .as_object()
            .expect("dependencies are an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(listed, dependencies);
        let (status, body) = self.get("/no/such/route").await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "NOT_FOUND");
        let metrics = self.get_text("/metrics").await;
        assert!(
            metrics.contains(&format!("http_requests_total{{service=\"{name}\"")),
            "{metrics}"
        );
    }

    /// Stops the service, waits for it to finish, and drops what it created: its database
    /// and its exchange's queues.
    pub async fn stop_and_clean(mut self) {
        self.cancel.cancel();
        if let Some(handle) = self.handle.take() {
            let result = tokio::time::timeout(Duration::from_secs(15), handle)
                .await
                .expect("service stopped within 15 s")
                .expect("service task did not panic");
            result.expect("service ran without error");
        }
        if let Some(mongo) = &self.config.mongo
            && let Ok(db) = crate::store::mongo(mongo, "test-cleanup").await
        {
            let _ = db.drop().await;
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}
