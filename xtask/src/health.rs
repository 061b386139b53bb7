//! Reading a service's `GET /health` (and the gateway's `GET /api/health`): the envelope
//! `{"success":true,"data":{"status":"ok"|"degraded","dependencies":{...}}}`.

use serde_json::Value;

use std::{io, time::Duration};

use crate::http;

/// How long one health request may take (the gateway's aggregate asks every service).
const TIMEOUT: Duration = Duration::from_secs(5);

/// What a health endpoint answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status code.
    pub code: u16,
    /// `data.status`, when the body is our envelope.
    pub status: Option<String>,
    /// `data.dependencies` (name to state) or, failing that, `data.services`.
    pub parts: Vec<(String, String)>,
    /// Whether the envelope says `success: true`.
    pub success: bool,
}

impl Reply {
    /// Reads a response body.
    pub fn from_body(code: u16, body: &str) -> Self {
        let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let data = json.get("data").unwrap_or(&Value::Null);
        let parts = ["dependencies", "services"]
            .iter()
            .filter_map(|key| data.get(key))
            .filter_map(Value::as_object)
            .map(|group| group.iter().map(describe_part).collect::<Vec<_>>())
            .find(|parts| !parts.is_empty())
            .unwrap_or_default();
        Self {
            code,
            status: data
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_owned),
            parts,
            success: json.get("success").and_then(Value::as_bool) == Some(true),
        }
    }

    /// 200, `success: true` and a status of `ok` or `degraded` (alive, maybe missing a
    /// dependency it will reconnect to).
    pub fn is_healthy(&self) -> bool {
        self.code == 200
            && self.success
            && matches!(self.status.as_deref(), Some("ok" | "degraded"))
    }

    /// One line: `200 ok (mongodb up, rabbitmq up, redis up)`.
    pub fn summary(&self) -> String {
        let status = self.status.as_deref().unwrap_or("(no status in the body)");
        let mut line = format!("{} {status}", self.code);
        if !self.parts.is_empty() {
            let parts: Vec<String> = self.parts.iter().map(|(n, s)| format!("{n} {s}")).collect();
            line.push_str(&format!(" ({})", parts.join(", ")));
        }
        line
    }
}

/// A part's state: a string, or an object's `status`.
fn describe_part((name, value): (&String, &Value)) -> (String, String) {
    let state = value
        .as_str()
        .or_else(|| value.get("status").and_then(Value::as_str))
        .unwrap_or("?");
    (name.clone(), state.to_owned())
}

/// `GET http://127.0.0.1:<port><path>`.
pub fn check(port: u16, path: &str) -> io::Result<Reply> {
    let response = http::get(port, path, TIMEOUT)?;
    Ok(Reply::from_body(response.status, &response.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ok_service_is_healthy_and_lists_its_dependencies() {
        let body = r#"{"success":true,"data":{"service":"alert-service","status":"ok",
            "uptimeSeconds":3,"dependencies":{"mongodb":"up","rabbitmq":"up"}}}"#;
        let reply = Reply::from_body(200, body);
        assert!(reply.is_healthy());
        assert_eq!(reply.summary(), "200 ok (mongodb up, rabbitmq up)");
    }

    #[test]
    fn degraded_is_alive_but_failure_or_garbage_is_not() {
        let degraded = r#"{"success":true,"data":{"status":"degraded","dependencies":{}}}"#;
        assert!(Reply::from_body(200, degraded).is_healthy());
        let failure = r#"{"success":false,"error":{"code":"INTERNAL","message":"x"}}"#;
        assert!(!Reply::from_body(500, failure).is_healthy());
        assert!(!Reply::from_body(200, "<html>").is_healthy());
        assert!(
            !Reply::from_body(200, r#"{"success":true,"data":{"status":"down"}}"#).is_healthy()
        );
    }

    #[test]
    fn an_aggregate_lists_services_by_their_status() {
        let body = r#"{"success":true,"data":{"status":"degraded",
            "services":{"order-service":{"status":"ok"},"product-service":{"status":"down"}}}}"#;
        assert_eq!(
            Reply::from_body(200, body).summary(),
            "200 degraded (order-service ok, product-service down)"
        );
    }
}
