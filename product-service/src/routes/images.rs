//! `/products/{id}/images`: the admin uploads and removes a product's images; anyone reads
//! them back. An image is served under an id made from its bytes, so its answer never changes:
//! it is cached for a year (`immutable`) and revalidated by its `ETag`.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, post},
};
use bson::oid::ObjectId;
use serde_json::Value;
use shared::{
    ApiError,
    api::images::{MAX_UPLOAD_BYTES, is_image_id, parse_upload},
    auth::Admin,
    error::ok,
    extract::ObjectIdPath,
    telemetry::request_id,
};

use crate::{state::AppState, store::products::images::Added};

/// How long a browser or a proxy may keep an image: a year, as it cannot change.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// `POST /products/{id}/images`, `GET`/`DELETE /products/{id}/images/{imageId}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/products/{id}/images",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route(
            "/products/{id}/images/{image_id}",
            delete(remove).get(serve),
        )
}

fn no_product() -> ApiError {
    ApiError::NotFound("no such product".to_owned())
}

fn no_image() -> ApiError {
    ApiError::NotFound("the product has no such image".to_owned())
}

/// The product id and the image id of a path; a malformed image id names no image (404).
fn ids(id: &str, image: &str) -> Result<ObjectId, ApiError> {
    let id = ObjectId::parse_str(id)
        .map_err(|_| ApiError::field("id", "must be a 24-character hex ObjectId"))?;
    if !is_image_id(image) {
        return Err(no_image());
    }
    Ok(id)
}

/// `POST /products/{id}/images` (admin), `multipart/form-data` with `file` and `alt`: 201 with
/// the product holding the image; 200 when it already held these bytes; 400 naming what is
/// wrong with the form (`shared::api::images::parse_upload`), 413 above the size limit, 404
/// for no product, 409 when it holds the most images already.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn upload(
    State(state): State<AppState>,
    Admin(_): Admin,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let upload = parse_upload(content_type, body).await?;
    let added = state
        .products
        .add_image(id, &upload, &request_id(&headers))
        .await?
        .ok_or_else(no_product)?;
    match added {
        Added::New(product) => {
            state.written().await;
            Ok((StatusCode::CREATED, ok(product.view())))
        }
        Added::Already(product) => Ok((StatusCode::OK, ok(product.view()))),
    }
}

/// `DELETE /products/{id}/images/{imageId}` (admin): 200 with the product without it.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn remove(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path((id, image)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let id = ids(&id, &image)?;
    let product = state
        .products
        .remove_image(id, &image, &request_id(&headers))
        .await?;
    state.written().await;
    match product {
        Some(product) => Ok(ok(product.view())),
        None if state.products.find(id).await?.is_none() => Err(no_product()),
        None => Err(no_image()),
    }
}

/// `GET /products/{id}/images/{imageId}` (anyone): the image's bytes with its type, cached
/// for good; 304 when the client's `If-None-Match` names it.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn serve(
    State(state): State<AppState>,
    Path((id, image)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = ids(&id, &image)?;
    let etag = format!("\"{image}\"");
    let blob = state
        .products
        .image(id, &image)
        .await?
        .ok_or_else(no_image)?;
    let content_type = HeaderValue::from_str(&blob.content_type).map_err(ApiError::internal)?;
    let cached = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, cached).into_response());
    }
    Ok((cached, [(header::CONTENT_TYPE, content_type)], blob.data).into_response())
}
