//! Our own extractors, so that bad input answers in the envelope with the offending field named.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request, rejection::BytesRejection},
    http::{header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body: wrong content type, malformed JSON or a wrong field answer 400
/// `VALIDATION_ERROR` with the field path in `details`; a body over the limit answers 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        parse_json(&bytes).map(AppJson)
    }
}

/// A request body of the public API ([`crate::api`]), parsed and checked by its rules: a 400
/// names the first type error or every broken rule. Also checks the content type and the size
/// as [`AppJson`] does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Valid<T>(pub T);

impl<S, T> FromRequest<S> for Valid<T>
where
    S: Send + Sync,
    T: crate::api::Body,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        crate::api::parse(&bytes).map(Valid)
    }
}

/// A body of the public API that may be left out: empty (or only whitespace, with any content
/// type) is `T::default()`; otherwise as [`Valid`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidOrDefault<T>(pub T);

impl<S, T> FromRequest<S> for ValidOrDefault<T>
where
    S: Send + Sync,
    T: crate::api::Body + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(rejection)?;
        if crate::api::is_empty(&bytes) {
            return Ok(Self(T::default()));
        }
        if !is_json(&parts.headers) {
            return Err(ApiError::field("content-type", "expected application/json"));
        }
        crate::api::parse(&bytes).map(ValidOrDefault)
    }
}

/// Whether the content type is JSON (`application/json` or `…+json`).
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        })
}

/// The body of a request that must be JSON: 400 for another content type, 413 over the limit.
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(ApiError::field("content-type", "expected application/json"));
    }
    Bytes::from_request(req, state).await.map_err(rejection)
}

fn rejection(e: BytesRejection) -> ApiError {
    match e {
        BytesRejection::FailedToBufferBody(inner)
            if inner.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge
        }
        other => ApiError::field("body", other.body_text()),
    }
}

/// Parses JSON, naming the path of the first field that does not fit `T`.
///
/// A body that fits is parsed once, by serde_json alone; only one that does not is parsed
/// again, with `serde_path_to_error` keeping the path. (Keeping the path of every body was
/// 7 % of the gateway's CPU per validated write under `cargo xtask bench gateway`, about as
/// much as the parse itself.)
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).or_else(|_| parse_json_naming_path(bytes))
}

/// [`parse_json`] keeping the path, for the error.
fn parse_json_naming_path<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::field("body", format!("malformed JSON: {inner}"))
        } else {
            let message = inner.to_string();
            // serde names a missing field in its message, at the path of the object holding it.
            let missing = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next());
            match (missing, path.as_str()) {
                (Some(name), ".") => ApiError::field(name, "is required"),
                (Some(name), parent) => ApiError::field(&format!("{parent}.{name}"), "is required"),
                (None, ".") => ApiError::field("body", message),
                (None, _) => ApiError::field(&path, message),
            }
        }
    })
}

/// A query string of the public API ([`crate::api::query`]), parsed and checked by its rules
/// exactly as the gateway checks it: a 400 naming every bad parameter.
#[derive(Debug, Clone, Default)]
pub struct ValidQuery<T>(pub T);

impl<S: Send + Sync, T: crate::api::query::Query> FromRequestParts<S> for ValidQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        crate::api::query::parse(parts.uri.query()).map(ValidQuery)
    }
}

/// A path segment that must be a MongoDB ObjectId (24 hex digits); otherwise 400 naming `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectIdPath(pub bson::oid::ObjectId);

impl<S: Send + Sync> FromRequestParts<S> for ObjectIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::field("id", e.body_text()))?;
        bson::oid::ObjectId::parse_str(&raw)
            .map(ObjectIdPath)
            .map_err(|_| ApiError::field("id", "must be a 24-character hex ObjectId"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        quantity: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Item>,
    }

    fn details(err: ApiError) -> serde_json::Value {
        match err {
            ApiError::Validation { details, .. } => details,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_negative_quantity_names_its_path() {
        let err = parse_json::<Order>(br#"{"items":[{"quantity":-1}]}"#).unwrap_err();
        assert!(details(err).get("items[0].quantity").is_some());
    }

    #[test]
    fn malformed_json_names_the_body() {
        let err = parse_json::<Order>(br#"{"items": ["#).unwrap_err();
        assert!(details(err).get("body").is_some());
    }
}
