//! `/categories`: the tree, read by anyone, edited by an admin. Every change invalidates the
//! read cache, since product listings filtered by a category depend on the tree.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde_json::Value;
use shared::{
    ApiError,
    api::{
        categories::{CategoryDetail as Category, CategoryInput, CategoryPatch},
        products::Deleted,
    },
    auth::Admin,
    error::ok,
    extract::{ObjectIdPath, Valid},
};

use crate::{
    domain::{category::Tree, product::timestamp},
    state::AppState,
    store::{categories::Change, from_millis},
};

/// `GET/POST /categories`, `GET/PATCH/DELETE /categories/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/categories", get(tree).post(create))
        .route("/categories/{id}", get(show).patch(change).delete(remove))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such category".to_owned())
}

/// One category of `tree` as `GET /categories/{id}` shows it.
fn view(tree: &Tree, id: &str) -> Option<Category> {
    let category = tree.get(id)?;
    Some(Category {
        id: category.id.clone(),
        name: category.name.clone(),
        slug: category.slug.clone(),
        parent: category.parent.clone(),
        path: tree.path(id).iter().map(|c| c.reference()).collect(),
        children: tree.children(id).iter().map(|c| c.reference()).collect(),
        created_at: timestamp(from_millis(category.created_at)),
        updated_at: timestamp(from_millis(category.updated_at)),
    })
}

/// The category `id` as it now stands.
async fn current(state: &AppState, id: &str) -> Result<Category, ApiError> {
    let tree = state.categories.tree().await?;
    view(&tree, id).ok_or_else(not_found)
}

/// `GET /categories`: every category, top-level ones first, children nested, by name, each
/// with its products counted (its own, and its subtree's).
#[tracing::instrument(skip_all)]
async fn tree(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let counts = state.categories.counts().await?;
    Ok(ok(state.categories.tree().await?.view(&counts)))
}

/// `GET /categories/{id}`: one category, its path from the top and its children.
#[tracing::instrument(skip_all, fields(category.id = %id))]
async fn show(
    State(state): State<AppState>,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    Ok(ok(current(&state, &id.to_hex()).await?))
}

/// `POST /categories` (admin): 201 with the new category; 422 for an unknown parent, 409 for
/// a slug taken.
#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    Valid(body): Valid<CategoryInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let made = state
        .categories
        .create(&body.name, body.slug.as_deref(), body.parent.as_deref())
        .await?;
    state.written().await;
    Ok((StatusCode::CREATED, ok(current(&state, &made.id).await?)))
}

/// `PATCH /categories/{id}` (admin): rename, change the slug, move (`parent: null` to the
/// top); 422 for an unknown parent or a move under itself or a category under it.
#[tracing::instrument(skip_all, fields(category.id = %id))]
async fn change(
    State(state): State<AppState>,
    Admin(_): Admin,
    ObjectIdPath(id): ObjectIdPath,
    Valid(body): Valid<CategoryPatch>,
) -> Result<Json<Value>, ApiError> {
    let change = Change {
        name: body.name,
        slug: body.slug,
        parent: body.parent,
    };
    let id = id.to_hex();
    state
        .categories
        .change(&id, change)
        .await?
        .ok_or_else(not_found)?;
    state.written().await;
    Ok(ok(current(&state, &id).await?))
}

/// `DELETE /categories/{id}` (admin): 409 while categories or products are in it.
#[tracing::instrument(skip_all, fields(category.id = %id))]
async fn remove(
    State(state): State<AppState>,
    Admin(_): Admin,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    if !state.categories.delete(&id.to_hex()).await? {
        return Err(not_found());
    }
    state.written().await;
    Ok(ok(Deleted {
        id: id.to_hex(),
        deleted: true,
    }))
}
