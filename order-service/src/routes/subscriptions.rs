//! Subscriptions (issue 17, replenishment): `POST /subscriptions` by a customer (the card and
//! address must be their saved ones at customer-service: 422 otherwise, 503 when it cannot be
//! asked); `GET /subscriptions` (own; admins: all, paged) and `GET /subscriptions/{id}` (404
//! for anyone else, as if it did not exist); `POST /subscriptions/{id}/pause|resume|cancel`
//! (`ACTIVE` ⇄ `PAUSED` → `CANCELLED`; any other move is 409). The runs are
//! [`crate::subscriptions`]'.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use bson::oid::ObjectId;
use chrono::Utc;
use serde_json::Value;
use shared::{
    ApiError,
    api::subscriptions::{SubscriptionQuery, SubscriptionRequest},
    auth::Caller,
    client::Call,
    error::{ok, page},
    extract::{ObjectIdPath, Valid, ValidQuery},
};

use crate::{
    domain::subscription::{
        Action, PAUSED_BY_CUSTOMER, Subscription, SubscriptionLine, SubscriptionStatus,
    },
    events::subscriptions as events,
    payment_method::{self, Choice},
    state::AppState,
    store::subscriptions as store,
};

/// The subscription routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subscriptions", post(create).get(list))
        .route("/subscriptions/{id}", get(one))
        .route("/subscriptions/{id}/pause", post(pause))
        .route("/subscriptions/{id}/resume", post(resume))
        .route("/subscriptions/{id}/cancel", post(cancel))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such subscription".to_owned())
}

#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Valid(body): Valid<SubscriptionRequest>,
) -> Result<Response, ApiError> {
    let call = Call::from_headers(&headers);
    let ids: Vec<ObjectId> = body
        .items
        .iter()
        .map(|l| ObjectId::parse_str(&l.product_id).map_err(|_| ApiError::internal("checked id")))
        .collect::<Result<_, _>>()?;
    let choice = Choice::Saved(&body.payment_method_id);
    let (card, address, tier, products) = tokio::join!(
        payment_method::for_checkout(&state, &caller.id, &call, choice),
        state
            .upstream
            .saved_address(&body.shipping_address_id, &call),
        state.upstream.tier(&caller.id, &call),
        state.upstream.products(&ids, &call),
    );
    let (card, address, tier, products) = (card?, address?, tier?, products?);
    let Some(address) = address else {
        return Err(ApiError::Unprocessable(format!(
            "shippingAddressId: no saved address {} of yours",
            body.shipping_address_id
        )));
    };
    refuse_unknown(&ids, &products)?;
    refuse_in_variants(&products)?;
    let now_ms = Utc::now().timestamp_millis();
    let sub = Subscription {
        id: ObjectId::new(),
        customer_id: caller.id.clone(),
        items: ids
            .iter()
            .zip(&body.items)
            .map(|(id, l)| SubscriptionLine {
                product_id: *id,
                quantity: l.quantity,
            })
            .collect(),
        interval_days: body.interval_days,
        status: SubscriptionStatus::Active,
        pause_reason: None,
        payment_method_id: body.payment_method_id.clone(),
        card,
        shipping_address_id: body.shipping_address_id.clone(),
        shipping_address: address,
        tier_name: tier.name.clone(),
        tier_basis_points: tier.discount.in_basis_points(),
        // The first order is placed at once, the next ones every `intervalDays`.
        next_run_at_ms: now_ms,
        run_count: 0,
        runs: Default::default(),
        pending_run: None,
        awaiting_order: None,
        version: 1,
        created_at_ms: now_ms,
    };
    let correlation_id = shared::telemetry::request_id(&headers);
    let created = events::created(&sub, &correlation_id).map_err(ApiError::internal)?;
    store::insert(state.infra.db(), &sub, &[created]).await?;
    state.orders.outbox.nudge();
    tracing::info!(subscription.id = %sub.id, "subscription created");
    let mut response = (StatusCode::CREATED, ok(sub.view())).into_response();
    if let Ok(location) = format!("/subscriptions/{}", sub.id.to_hex()).parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// 422 naming every id of `ids` whose product (at the same place in `products`) was not found.
/// 422 naming each product sold in variants (a subscription names one of its variants).
fn refuse_in_variants(products: &[Option<crate::upstream::Priced>]) -> Result<(), ApiError> {
    let in_variants: Vec<String> = products
        .iter()
        .flatten()
        .filter_map(crate::upstream::Priced::variant_required)
        .collect();
    if in_variants.is_empty() {
        return Ok(());
    }
    Err(ApiError::Unprocessable(format!(
        "items: {}",
        in_variants.join("; ")
    )))
}

fn refuse_unknown<T>(ids: &[ObjectId], products: &[Option<T>]) -> Result<(), ApiError> {
    let unknown: Vec<String> = ids
        .iter()
        .zip(products)
        .filter(|(_, p)| p.is_none())
        .map(|(id, _)| id.to_hex())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ApiError::Unprocessable(format!(
        "items: no such product: {}",
        unknown.join(", ")
    )))
}

#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<SubscriptionQuery>,
) -> Result<Json<Value>, ApiError> {
    let page_no = query.paging.page();
    let limit = query.paging.limit();
    let status = query
        .status
        .as_deref()
        .map(|s| {
            SubscriptionStatus::parse(s).ok_or_else(|| ApiError::field("status", "unknown status"))
        })
        .transpose()?;
    let customer = (!caller.is_admin()).then_some(caller.id.as_str());
    let (found, total) = store::page(state.infra.db(), customer, status, page_no, limit).await?;
    Ok(page(
        found.iter().map(Subscription::view).collect(),
        page_no,
        limit,
        total,
    ))
}

async fn visible(
    state: &AppState,
    caller: &Caller,
    id: ObjectId,
) -> Result<Subscription, ApiError> {
    store::by_id(state.infra.db(), id)
        .await?
        .filter(|s| caller.may_see(&s.customer_id))
        .ok_or_else(not_found)
}

#[tracing::instrument(skip_all, fields(subscription.id = %id))]
async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Json<Value>, ApiError> {
    Ok(ok(visible(&state, &caller, id).await?.view()))
}

/// Applies a customer's `action`, guarded by status and version; a lost race decides again.
async fn act(
    state: &AppState,
    caller: &Caller,
    id: ObjectId,
    action: Action,
    headers: &HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let correlation_id = shared::telemetry::request_id(headers);
    for _ in 0..5 {
        let before = visible(state, caller, id).await?;
        if !action.allowed_from(before.status) {
            return Err(ApiError::Conflict(format!(
                "a {} subscription cannot become {}",
                before.status.as_str(),
                action.target().as_str()
            )));
        }
        let mut after = before.clone();
        after.status = action.target();
        after.version = before.version + 1;
        let mut staged = Vec::new();
        match action {
            Action::Pause => after.pause_reason = Some(PAUSED_BY_CUSTOMER.to_owned()),
            Action::Resume => {
                after.pause_reason = None;
                // A run missed while paused is due at once, and only once.
                after.next_run_at_ms = before.next_run_at_ms.max(Utc::now().timestamp_millis());
            }
            Action::Cancel => {
                staged
                    .push(events::cancelled(&after, &correlation_id).map_err(ApiError::internal)?);
            }
        }
        if store::replace_if_unchanged(state.infra.db(), &before, &after, &staged).await? {
            if !staged.is_empty() {
                state.orders.outbox.nudge();
            }
            tracing::info!(subscription.id = %id, to = after.status.as_str(), "subscription changed");
            return Ok(ok(after.view()));
        }
    }
    Err(ApiError::Conflict(
        "the subscription is being changed by another request; retry".to_owned(),
    ))
}

#[tracing::instrument(skip_all, fields(subscription.id = %id))]
async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    act(&state, &caller, id, Action::Pause, &headers).await
}

#[tracing::instrument(skip_all, fields(subscription.id = %id))]
async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    act(&state, &caller, id, Action::Resume, &headers).await
}

#[tracing::instrument(skip_all, fields(subscription.id = %id))]
async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    act(&state, &caller, id, Action::Cancel, &headers).await
}
