//! The audit log of what staff did (issue 19): who changed which price, status, coupon,
//! return, account or points, and when.
//!
//! Every event a signed-in request stages names its caller (`Envelope::actor`, noted when the
//! token is verified). This service consumes the kinds of change worth auditing
//! ([`topology::CUSTOMER_AUDIT`]) from every service and keeps one entry for each event whose
//! actor is staff, keyed by the event's id: a redelivery finds its entry and adds nothing.
//! Changes the system made on its own (the stock saga, fulfilment) and a customer's own
//! (cancelling their order) name no staff actor and are not kept. The entry is written from
//! the event the change's own write staged (the outbox), so a change that happened is
//! audited even when this service was down at the time; one that did not happen is not.
//!
//! `GET /admin/audit` lists the entries, newest first, for the super admin.

use axum::{Json, Router, extract::State, routing::get};
use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel};
use serde_json::Value;
use shared::{
    ApiError,
    api::audit::{AuditEntry, AuditQuery},
    auth::Caller,
    error::page,
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology},
    extract::ValidQuery,
};

use crate::state::AppState;

/// The collection name.
pub const COLLECTION: &str = "audit_log";

fn collection(db: &Database) -> Collection<Document> {
    db.collection(COLLECTION)
}

/// Newest first, overall and by actor.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    collection(db)
        .create_indexes([
            IndexModel::builder().keys(doc! { "atMs": -1 }).build(),
            IndexModel::builder()
                .keys(doc! { "actorId": 1, "atMs": -1 })
                .build(),
        ])
        .await?;
    Ok(())
}

/// `GET /admin/audit`.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(list))
}

/// `created: 10 % off, 100 uses, active` — what a coupon's rules say, in a line.
fn coupon_summary(created: bool, data: &Value) -> String {
    let value = data
        .get("value")
        .and_then(Value::as_f64)
        .unwrap_or_default();
    let off = match data.get("kind").and_then(Value::as_str).unwrap_or_default() {
        // 15 % and 12.5 %, never 15.0 %.
        "percent" => format!("{} % off", (value * 100.0).round() / 100.0),
        "fixed" => format!("{value:.2} off"),
        "free_shipping" => "free shipping".to_owned(),
        other => other.to_owned(),
    };
    let uses = data
        .get("usageLimit")
        .and_then(Value::as_i64)
        .map_or_else(|| "no use limit".to_owned(), |n| format!("{n} uses"));
    let state = if data.get("active").and_then(Value::as_bool) == Some(false) {
        "paused"
    } else {
        "active"
    };
    let verb = if created { "created" } else { "changed" };
    format!("{verb}: {off}, {uses}, {state}")
}

/// What an auditable event changed: the kind of record, its id and a line for people.
fn target_of(kind: &str, data: &Value) -> Option<(&'static str, String, String)> {
    let text = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Some(match kind {
        keys::PRODUCT_CREATED | keys::PRODUCT_UPDATED => (
            "product",
            text("id"),
            format!(
                "{}: price {}, stock {}",
                text("name"),
                number(data.get("price")),
                number(data.get("stock"))
            ),
        ),
        keys::PRODUCT_DELETED => ("product", text("id"), format!("{} deleted", text("name"))),
        keys::COUPON_CREATED | keys::COUPON_UPDATED => (
            "coupon",
            text("code"),
            coupon_summary(kind == keys::COUPON_CREATED, data),
        ),
        keys::COUPON_DELETED => ("coupon", text("code"), format!("{} deleted", text("code"))),
        keys::ORDER_STATUS_CHANGED => (
            "order",
            text("orderId"),
            format!("{} → {}", text("oldStatus"), text("newStatus")),
        ),
        keys::ORDER_CANCELLED => (
            "order",
            text("orderId"),
            format!("cancelled: {}", text("reason")),
        ),
        keys::RETURN_APPROVED | keys::RETURN_REJECTED | keys::RETURN_RECEIVED => (
            "return",
            text("returnId"),
            format!(
                "return of order {}: {}{}",
                text("orderId"),
                text("status"),
                data.get("note")
                    .and_then(Value::as_str)
                    .map_or_else(String::new, |n| format!(" ({n})"))
            ),
        ),
        keys::LOYALTY_CHANGED => (
            "loyalty",
            text("customerId"),
            format!(
                "points {} ({})",
                number(data.pointer("/change/points")),
                data.pointer("/change/reason")
                    .and_then(Value::as_str)
                    .unwrap_or("adjusted")
            ),
        ),
        keys::CUSTOMER_ROLE_CHANGED => (
            "customer",
            text("customerId"),
            format!("role {} → {}", text("from"), text("to")),
        ),
        keys::CUSTOMER_DISABLED => (
            "customer",
            text("customerId"),
            format!("disabled: {}", text("reason")),
        ),
        keys::CUSTOMER_ENABLED => ("customer", text("customerId"), "enabled".to_owned()),
        _ => return None,
    })
}

/// The entry `event` makes, when a staff member caused it.
pub fn entry_of(event: &Envelope) -> Option<AuditEntry> {
    let actor = event.actor.as_ref().filter(|a| a.role.is_staff())?;
    let (target_kind, target_id, summary) = target_of(&event.kind, &event.data)?;
    Some(AuditEntry {
        id: event.id.to_string(),
        at: event
            .occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        actor_id: actor.id.clone(),
        actor_role: actor.role,
        action: event.kind.clone(),
        target_kind: target_kind.to_owned(),
        target_id,
        summary,
        source: event.source.clone(),
        correlation_id: event.correlation_id.clone(),
    })
}

/// A JSON number as written (`12.5`, `3`), or `?`.
fn number(value: Option<&Value>) -> String {
    value
        .filter(|v| v.is_number())
        .map_or_else(|| "?".to_owned(), Value::to_string)
}

/// Keeps `entry` once: a second insert of its id changes nothing.
async fn keep(db: &Database, entry: &AuditEntry, at_ms: i64) -> Result<(), ApiError> {
    let mut document = bson::to_document(entry).map_err(ApiError::internal)?;
    document.insert("_id", entry.id.clone());
    document.remove("id");
    document.insert("atMs", at_ms);
    match collection(db).insert_one(document).await {
        Ok(_) => Ok(()),
        Err(e) if shared::store::is_duplicate_key(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Consumes [`topology::CUSTOMER_AUDIT`] into the log.
pub fn consume(bus: &Bus, state: AppState) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::CUSTOMER_AUDIT), move |event| {
        let state = state.clone();
        async move {
            let Some(entry) = entry_of(&event) else {
                return Ok(());
            };
            // A staff change that names nothing it changed cannot be kept: it is parked in
            // the dead-letter queue for someone to look at, not dropped.
            if entry.target_id.is_empty() {
                return Err(HandlerError::Reject(format!(
                    "{} {} by staff names no target",
                    event.kind, event.id
                )));
            }
            keep(
                state.infra.db(),
                &entry,
                event.occurred_at.timestamp_millis(),
            )
            .await
            .map_err(HandlerError::from)
        }
    })
}

/// `GET /admin/audit` (the super admin): newest first, filtered by actor, action or target.
#[tracing::instrument(skip_all)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require_super_admin()?;
    let mut filter = Document::new();
    let f = &query.filter;
    for (field, value) in [
        ("actorId", &f.actor_id),
        ("action", &f.action),
        ("targetId", &f.target_id),
    ] {
        if let Some(value) = value {
            filter.insert(field, value.trim());
        }
    }
    let (at, limit) = (query.paging.page(), query.paging.limit());
    let db = state.infra.db();
    let total = collection(db).count_documents(filter.clone()).await?;
    let entries: Vec<AuditEntry> = collection(db)
        .find(filter)
        .sort(doc! { "atMs": -1, "_id": -1 })
        .skip((at - 1) * limit)
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .await?
        .try_collect::<Vec<Document>>()
        .await?
        .into_iter()
        .filter_map(|mut d| {
            let id = d.get_str("_id").ok()?.to_owned();
            d.insert("id", id);
            d.remove("_id");
            d.remove("atMs");
            bson::from_document(d).ok()
        })
        .collect();
    Ok(page(entries, at, limit, total))
}
