//! The one error type of the HTTP layer and its JSON envelope (DESIGN.md, "Errors and responses").
//!
//! Handlers return [`Result<T>`]; every variant maps to a status code and a stable `code`.
//! [`ApiError::Internal`] keeps its cause for the log and answers an opaque message, so a
//! rejected request never leaks internals. Services wrap their own errors into this one at the
//! call site (`.map_err(ApiError::internal)`, or a specific variant where the client is at fault).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

mod problems;

pub use problems::Problems;

/// Shorthand for handler results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `VALIDATION_ERROR`: the input is wrong; `details` names the offending fields.
    #[error("validation failed: {message}")]
    Validation {
        /// Human-readable summary.
        message: String,
        /// Field name to problem, or other structured detail.
        details: Value,
    },
    /// 401 `UNAUTHORIZED`: no valid credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// 403 `FORBIDDEN`: authenticated but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404 `NOT_FOUND`.
    #[error("not found: {0}")]
    NotFound(String),
    /// 409 `CONFLICT`: a unique key or an expected state does not hold.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413 `PAYLOAD_TOO_LARGE`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 422 `UNPROCESSABLE`: well-formed but cannot be applied (an idempotency key reused with
    /// another body).
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// 422 `UNPROCESSABLE` with `details` saying why (e.g. `{"code": "expired"}` for a coupon
    /// that cannot be used), for clients that act on the reason.
    #[error("unprocessable: {message}")]
    Refused {
        /// Human-readable summary.
        message: String,
        /// The reason, structured.
        details: Value,
    },
    /// 429 `RATE_LIMITED`, with `Retry-After` in seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// 503 `UPSTREAM_UNAVAILABLE`: a dependency (database, broker, another service) is down.
    #[error("upstream unavailable: {0}")]
    UpstreamUnavailable(String),
    /// 500 `INTERNAL`: the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A validation error on one field.
    pub fn field(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::Validation {
            message: format!("{field}: {problem}"),
            details: json!({ field: problem }),
        }
    }

    /// Wraps any error as an opaque 500.
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) | Self::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UpstreamUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "VALIDATION_ERROR",
            Self::Unauthorized(_) => "UNAUTHORIZED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::Unprocessable(_) | Self::Refused { .. } => "UNPROCESSABLE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::UpstreamUnavailable(_) => "UPSTREAM_UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Validation { message, .. } | Self::Refused { message, .. } => message.clone(),
            Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Unprocessable(m) => m.clone(),
            Self::PayloadTooLarge => "request body is too large".to_owned(),
            Self::RateLimited { .. } => "too many requests, retry later".to_owned(),
            Self::UpstreamUnavailable(what) => format!("{what} is unavailable, retry later"),
            Self::Internal(_) => "internal error".to_owned(),
        }
    }
}

/// Logs the full cause chain of an error.
fn cause_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), error = %cause_chain(&self), "request failed");
        }
        let mut error = json!({ "code": self.code(), "message": self.public_message() });
        if let Self::Validation { details, .. } | Self::Refused { details, .. } = &self {
            error["details"] = details.clone();
        }
        let mut response =
            (status, Json(json!({ "success": false, "error": error }))).into_response();
        if let Self::RateLimited { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<mongodb::error::Error> for ApiError {
    /// A database error: 503 when the server cannot be reached, 500 otherwise.
    fn from(err: mongodb::error::Error) -> Self {
        use mongodb::error::ErrorKind;
        match *err.kind {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. } => {
                tracing::warn!(error = %err, "database unavailable");
                Self::UpstreamUnavailable("database".to_owned())
            }
            _ => Self::internal(err),
        }
    }
}

/// A success envelope: `{"success": true, "data": ...}`.
pub fn ok<T: serde::Serialize>(data: T) -> Json<Value> {
    Json(json!({ "success": true, "data": data }))
}

/// A list envelope with paging: `{"success": true, "data": [...], "meta": {page, limit, total}}`.
pub fn page<T: serde::Serialize>(data: Vec<T>, page: u64, limit: u64, total: u64) -> Json<Value> {
    Json(json!({
        "success": true,
        "data": data,
        "meta": { "page": page, "limit": limit, "total": total },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(err: ApiError) -> (StatusCode, Value, Option<String>) {
        let res = err.into_response();
        let status = res.status();
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap(), retry)
    }

    #[tokio::test]
    async fn validation_errors_name_the_field() {
        let (status, body, _) = body_of(ApiError::field("quantity", "must be positive")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(body["error"]["details"]["quantity"], "must be positive");
    }

    #[tokio::test]
    async fn internal_errors_do_not_leak_their_cause() {
        let (status, body, _) =
            body_of(ApiError::internal("password=hunter2 in connection string")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "INTERNAL");
        assert!(!body.to_string().contains("hunter2"));
    }

    #[tokio::test]
    async fn rate_limited_answers_retry_after() {
        let (status, body, retry) = body_of(ApiError::RateLimited {
            retry_after_secs: 7,
        })
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["error"]["code"], "RATE_LIMITED");
        assert_eq!(retry.as_deref(), Some("7"));
    }
}
