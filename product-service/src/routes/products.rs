//! `/products`: the public catalog reads, served through the cache, and the admin's writes,
//! which invalidate it before answering.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::Value;
use shared::{
    ApiError,
    api::products::{Deleted, ProductInput, ProductQuery},
    error::{ok, page},
    extract::{ObjectIdPath, Valid, ValidQuery},
    telemetry::request_id,
};

use crate::{
    cache::{list_entry, product_entry},
    domain::{product::ProductDraft, query::ListQuery, semantic::product_text},
    state::AppState,
};
use shared::auth::Admin;

/// `GET/POST /products`, `GET/PUT/DELETE /products/{id}` (variants have their own routes,
/// [`super::variants`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/products", get(list).post(create))
        .route("/products/{id}", get(show).put(replace).delete(remove))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such product".to_owned())
}

/// A JSON body that is already serialised (as the cache keeps it).
fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /products`: one page of matches, `meta.total` counting all of them. A search goes by
/// meaning as well as by words when the embedding model is loaded (cached apart from
/// word-only answers, should replicas differ).
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<ProductQuery>,
) -> Result<Response, ApiError> {
    let mut query = ListQuery::from_query(&query)?;
    let key = match (&state.embedder, &query.search) {
        (Some(_), Some(_)) => format!("meaning:{}", query.canonical()),
        _ => query.canonical(),
    };
    let body = state
        .cache
        .read_through(&list_entry(&key), || async {
            if let Some(named) = &query.category {
                let tree = state.categories.tree().await?;
                let category = tree.find(named).ok_or_else(|| {
                    ApiError::NotFound(format!("no category has the id or slug {named}"))
                })?;
                query.within = Some(tree.with_descendants(&category.id));
            }
            let query = &query;
            let meaning = match &query.search {
                Some(search) => state.embedding(search.canonical()).await,
                None => None,
            };
            let (products, total) = state.products.list(query, meaning.as_deref()).await?;
            let data: Vec<_> = products.iter().map(|p| p.view()).collect();
            let Json(body) = page(data, query.page, query.limit, total);
            Ok(body.to_string())
        })
        .await?;
    Ok(json_text(body))
}

/// The text of a draft that its embedding describes.
fn text_of(draft: &ProductDraft) -> String {
    product_text(
        &draft.name,
        &draft.description,
        &draft.category,
        &draft.tags,
    )
}

/// A variant is changed through its product's variant routes, which keep its link and its
/// product's claims (409 here).
fn refuse_variant(product: &crate::domain::product::Product) -> Result<(), ApiError> {
    match &product.variant {
        Some(variant) => Err(ApiError::Conflict(format!(
            "this is a variant of {}: change it with /products/{}/variants/{}",
            variant.of.to_hex(),
            variant.of.to_hex(),
            product.id.to_hex()
        ))),
        None => Ok(()),
    }
}

/// `GET /products/{id}`: 404 for a missing or deleted product.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn show(
    State(state): State<AppState>,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Response, ApiError> {
    let body = state
        .cache
        .read_product(&id.to_hex(), &product_entry(&id), || async {
            let product = state.products.find(id).await?.ok_or_else(not_found)?;
            let in_variants = !product.variants.is_empty();
            let Json(body) = ok(product.view());
            Ok((body.to_string(), in_variants))
        })
        .await?;
    Ok(json_text(body))
}

/// The draft with its category looked up (or made, for a new name): 422 for an id that
/// names no category.
async fn categorised(state: &AppState, mut draft: ProductDraft) -> Result<ProductDraft, ApiError> {
    let category = state.categories.for_product(&draft.category).await?;
    draft.category = category.name;
    draft.category_id = category.id;
    Ok(draft)
}

/// `POST /products` (admin): 201 with the new product.
#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    headers: HeaderMap,
    Valid(body): Valid<ProductInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let draft = categorised(&state, ProductDraft::from_input(body)?).await?;
    let embedding = state.embedding(text_of(&draft)).await;
    let product = state
        .products
        .create(draft, embedding.as_deref(), &request_id(&headers))
        .await?;
    state.written().await;
    Ok((StatusCode::CREATED, ok(product.view())))
}

/// `PUT /products/{id}` (admin): replaces every editable field.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn replace(
    State(state): State<AppState>,
    Admin(_): Admin,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<ProductInput>,
) -> Result<Json<Value>, ApiError> {
    let draft = ProductDraft::from_input(body)?;
    // No category is made for a product that is not there.
    let current = state.products.find(id).await?.ok_or_else(not_found)?;
    refuse_variant(&current)?;
    let draft = categorised(&state, draft).await?;
    let embedding = state.embedding(text_of(&draft)).await;
    let correlation = request_id(&headers);
    let mut product = state
        .products
        .replace(id, draft, embedding.as_deref(), &correlation)
        .await?
        .ok_or_else(not_found)?;
    if !current.variants.is_empty() {
        state.products.follow(&product, &correlation).await?;
        product = state.products.find(id).await?.ok_or_else(not_found)?;
    }
    state.written().await;
    Ok(ok(product.view()))
}

/// `DELETE /products/{id}` (admin): the product disappears from reads at once; its events
/// still go out.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn remove(
    State(state): State<AppState>,
    Admin(_): Admin,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let current = state.products.find(id).await?.ok_or_else(not_found)?;
    refuse_variant(&current)?;
    let correlation = request_id(&headers);
    if !state.products.delete(id, &correlation).await? {
        return Err(not_found());
    }
    state.products.delete_variants(id, &correlation).await?;
    state.written().await;
    Ok(ok(Deleted {
        id: id.to_hex(),
        deleted: true,
    }))
}
