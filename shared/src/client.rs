//! Calling another service of the suite: one way for every service. A [`Service`] is a
//! service's base URL and name over one pooled client with a connect timeout and an overall
//! deadline (a service that is down or slow answers [`UpstreamError::Unavailable`] within it,
//! never a hang). Every call passes on the caller's `Authorization` (so the other service
//! enforces the caller's rights) and the request id (so one id follows a request through every
//! hop) with the trace context (so one trace follows it too), and reads the answer's status into [`UpstreamError`] the same way everywhere.

use std::{borrow::Cow, time::Duration};

use reqwest::{StatusCode, Url};
use serde_json::Value;

/// Why a call to another service gave no data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The service could not be reached, timed out, failed (5xx) or answered something
    /// unreadable.
    #[error("{0} could not be reached")]
    Unavailable(&'static str),
    /// 404, or 403: the record does not exist for this caller.
    #[error("not found")]
    NotFound,
    /// 401: the caller's token was refused.
    #[error("not signed in")]
    Unauthorized,
    /// Another 4xx, with the service's message.
    #[error("rejected: {0}")]
    Rejected(String),
}

/// A pooled client for calls to other services: connecting gives up after at most 2 s, a whole
/// call after `deadline`.
pub fn pooled(
    trust: &crate::http::Trust,
    deadline: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    crate::http::client_builder(trust)
        .connect_timeout(deadline.min(Duration::from_secs(2)))
        .timeout(deadline)
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
}

/// Who a call is made for: the caller's `Authorization` header (if any) and the request id.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    authorization: Option<Cow<'a, str>>,
    request_id: Cow<'a, str>,
}

impl<'a> Call<'a> {
    /// The caller of an incoming request: its `Authorization` header and request id.
    pub fn from_headers(headers: &'a http::HeaderMap) -> Self {
        Self {
            authorization: headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(Cow::Borrowed),
            request_id: Cow::Owned(crate::telemetry::request_id(headers)),
        }
    }

    /// A caller known by its bearer token (or none), under `request_id`.
    pub fn with_token(token: Option<&str>, request_id: &'a str) -> Self {
        Self {
            authorization: token.map(|t| Cow::Owned(format!("Bearer {t}"))),
            request_id: Cow::Borrowed(request_id),
        }
    }
}

/// `request` with the current span's trace context (`traceparent`, `tracestate`), so the
/// other service's spans join the caller's trace.
pub fn traced(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    if !crate::telemetry::trace::is_on() {
        return request;
    }
    let mut headers = http::HeaderMap::new();
    crate::telemetry::trace::inject(&mut headers);
    request.headers(headers)
}

/// One service: its name (for logs and errors) and base URL, over a shared pooled client.
#[derive(Debug, Clone)]
pub struct Service {
    name: &'static str,
    base: String,
    client: reqwest::Client,
}

impl Service {
    /// `name` at `base` (e.g. `http://127.0.0.1:5002`), called through `client`.
    pub fn new(name: &'static str, base: &str, client: reqwest::Client) -> Self {
        Self {
            name,
            base: base.trim_end_matches('/').to_owned(),
            client,
        }
    }

    /// The service's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `GET base + path ? params` for `call`: the whole JSON body of a 2xx answer.
    pub async fn get_json(
        &self,
        path: &str,
        params: &[(&str, String)],
        call: &Call<'_>,
    ) -> Result<Value, UpstreamError> {
        let url = Url::parse_with_params(&format!("{}{path}", self.base), params)
            .map_err(|e| UpstreamError::Rejected(e.to_string()))?;
        let mut request = self
            .client
            .get(url)
            .header(crate::telemetry::REQUEST_ID, call.request_id.as_ref());
        if let Some(authorization) = &call.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization.as_ref());
        }
        self.answer(traced(request)).await
    }

    /// `POST base + path` with the JSON `body` for `call`: the whole JSON body of a 2xx answer.
    /// Another service's write (e.g. customer-service's loyalty holds): the callee makes it
    /// idempotent, since a call that timed out may still have been applied.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        call: &Call<'_>,
    ) -> Result<Value, UpstreamError> {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(crate::telemetry::REQUEST_ID, call.request_id.as_ref())
            .json(body);
        if let Some(authorization) = &call.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization.as_ref());
        }
        self.answer(traced(request)).await
    }

    /// Sends `request` and reads its answer the one way: 2xx JSON, 404/403, 401, other 4xx
    /// with the service's message, anything else unavailable.
    async fn answer(&self, request: reqwest::RequestBuilder) -> Result<Value, UpstreamError> {
        let service = self.name;
        let response = request.send().await.map_err(|e| {
            tracing::warn!(service, error = %e, "upstream call failed");
            UpstreamError::Unavailable(service)
        })?;
        match response.status() {
            s if s.is_success() => response.json().await.map_err(|e| {
                tracing::warn!(service, error = %e, "upstream answered something unreadable");
                UpstreamError::Unavailable(service)
            }),
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => Err(UpstreamError::NotFound),
            StatusCode::UNAUTHORIZED => Err(UpstreamError::Unauthorized),
            s if s.is_client_error() => {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let message = body["error"]["message"].as_str().unwrap_or("bad request");
                Err(UpstreamError::Rejected(message.to_owned()))
            }
            s => {
                tracing::warn!(service, status = s.as_u16(), "upstream failed");
                Err(UpstreamError::Unavailable(service))
            }
        }
    }
}
