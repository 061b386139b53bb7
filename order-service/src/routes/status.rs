//! `POST /orders/{id}/cancel` (owner or admin, while `PENDING` or `PROCESSING`) and
//! `PATCH /orders/{id}/status` (admins, legal transitions only): both 409 when the order's
//! status does not allow the change.

use axum::{Json, extract::State, http::HeaderMap};
use serde_json::Value;
use shared::{
    ApiError,
    api::orders::{Cancellation, StatusChange},
    auth::Caller,
    error::ok,
    extract::{ObjectIdPath, Valid, ValidOrDefault},
};

use super::orders::{not_found, visible};
use crate::{
    domain::{Change, Illegal, Status},
    lifecycle::Outcome,
    state::AppState,
};

fn conflict(refused: Illegal) -> ApiError {
    ApiError::Conflict(refused.to_string())
}

async fn apply(
    state: &AppState,
    id: bson::oid::ObjectId,
    change: &Change,
    headers: &HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let correlation_id = shared::telemetry::request_id(headers);
    match state.orders.change(id, change, &correlation_id).await? {
        Outcome::Applied { after, .. } => Ok(ok(after.view())),
        Outcome::Illegal { refused, .. } => Err(conflict(refused)),
        Outcome::NotFound | Outcome::Skipped => Err(not_found()),
    }
}

/// The handler of `POST /orders/{id}/cancel`; the body (`{reason?}`) is optional.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    ValidOrDefault(body): ValidOrDefault<Cancellation>,
) -> Result<Json<Value>, ApiError> {
    let order = visible(&state, &caller, id).await?;
    if !order.status.is_cancellable() {
        return Err(conflict(Illegal {
            from: order.status,
            to: Status::Cancelled,
        }));
    }
    let reason = match body.reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => r.to_owned(),
        _ if caller.is_admin() && caller.id != order.customer_id => {
            "cancelled by an admin".to_owned()
        }
        _ => "cancelled by the customer".to_owned(),
    };
    apply(&state, id, &Change::Cancel { reason }, &headers).await
}

/// The handler of `PATCH /orders/{id}/status`: `{status, carrier?, trackingNumber?, reason?}`.
/// `SHIPPED` takes a carrier and tracking number (made up when absent); `PROCESSING` and
/// `REJECTED` are the stock saga's to set, never an admin's.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn set(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
    Valid(body): Valid<StatusChange>,
) -> Result<Json<Value>, ApiError> {
    caller.require_admin()?;
    let to = Status::from(body.status);
    let label = |raw: Option<&String>| raw.map(|r| r.trim().to_owned());
    let carrier = label(body.carrier.as_ref());
    let tracking_number = label(body.tracking_number.as_ref());
    let order = visible(&state, &caller, id).await?;
    if !order.status.admin_may_set(to) {
        let refused = Illegal {
            from: order.status,
            to,
        };
        let message = if order.status.can_become(to) {
            format!("{refused}: only the stock saga sets {to}")
        } else {
            refused.to_string()
        };
        return Err(ApiError::Conflict(message));
    }
    let change = match to {
        Status::Shipped => Change::Ship {
            carrier,
            tracking_number,
        },
        Status::Delivered => Change::Deliver,
        Status::Cancelled => Change::Cancel {
            reason: body
                .reason
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| "cancelled by an admin".to_owned()),
        },
        Status::Pending | Status::Processing | Status::Rejected => {
            return Err(conflict(Illegal {
                from: order.status,
                to,
            }));
        }
    };
    apply(&state, id, &change, &headers).await
}
