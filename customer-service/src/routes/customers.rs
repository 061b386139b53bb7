//! `/customers`: look-ups and profile changes. A customer sees only its own record; asking
//! for anyone else's answers 404, as if it did not exist.

use axum::{Json, Router, extract::State, routing::get};
use serde_json::Value;
use shared::{
    ApiError,
    api::customers::{CustomerPatch, CustomerQuery},
    auth::Caller,
    error::{ok, page},
    extract::{ObjectIdPath, Valid, ValidQuery},
};

use crate::{
    domain::{CustomerView, Email, Name, Phone, Problems},
    state::AppState,
    store::{
        addresses,
        customers::{self, Changes},
    },
};

/// `GET /customers`, `GET /customers/{id}`, `PATCH /customers/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/{id}", get(one).patch(update))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such customer".to_owned())
}

/// With `email`: that customer (admins: anyone; customers: only themselves, else 404).
/// Without: a page of every customer, for admins only.
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<CustomerQuery>,
) -> Result<Json<Value>, ApiError> {
    let db = state.infra.db();
    if let Some(raw) = &query.email {
        let email = Email::parse(raw).map_err(|p| ApiError::field("email", p))?;
        let customer = customers::by_email(db, email.as_str())
            .await?
            .ok_or_else(not_found)?;
        if !caller.may_see(&customer.id.to_hex()) {
            return Err(not_found());
        }
        return Ok(ok(CustomerView::from(&customer)));
    }
    caller.require_admin()?;
    let page_no = query.paging.page();
    let limit = query.paging.limit();
    let (found, total) = customers::page(db, page_no, limit).await?;
    Ok(page(
        found.iter().map(CustomerView::from).collect(),
        page_no,
        limit,
        total,
    ))
}

#[tracing::instrument(skip_all)]
async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    if !caller.may_see(&id.to_hex()) {
        return Err(not_found());
    }
    let customer = customers::by_id(state.infra.db(), id)
        .await?
        .ok_or_else(not_found)?;
    Ok(ok(CustomerView::from(&customer)))
}

/// Absent fields stay as they are; `null` clears `phone` or `address`. `address` is the
/// default of the address book: a new one replaces the default's street, city, code and
/// country, `null` deletes the default (the oldest saved address, if any, takes over).
#[tracing::instrument(skip_all)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    Valid(patch): Valid<CustomerPatch>,
) -> Result<Json<Value>, ApiError> {
    if !caller.may_see(&id.to_hex()) {
        return Err(not_found());
    }
    let mut problems = Problems::default();
    let name = patch
        .name
        .as_deref()
        .map(|n| problems.check("name", Name::parse(n)));
    let phone = patch
        .phone
        .map(|p| p.map(|p| problems.check("phone", Phone::parse(&p))));
    let address = patch.address.map(|a| a.map(|a| a.trimmed()));
    problems.into_result()?;
    if let Some(address) = address {
        // The single address mirrors the default of the address book: change it there, and
        // the book's write sets `address` too.
        let new_id = bson::oid::ObjectId::new();
        addresses::change(state.infra.db(), id, |book| {
            book.set_default_address(new_id, address.as_ref());
            Ok(())
        })
        .await?;
    }
    let changes = Changes {
        name: name.flatten().map(|n| n.as_str().to_owned()),
        phone: phone.map(|p| p.flatten().map(Phone::into_string)),
    };
    let customer = customers::update(state.infra.db(), id, changes)
        .await?
        .ok_or_else(not_found)?;
    Ok(ok(CustomerView::from(&customer)))
}
