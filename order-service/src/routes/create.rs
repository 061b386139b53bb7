//! `POST /orders`: validate the whole body, price every line with product-service (never the
//! client), quote it with the one pricing function ([`crate::domain::pricing`]), and store the order `PENDING` (with the saga's deadline)
//! and `order.created` in one insert. An `Idempotency-Key` replays the first answer (see [`crate::idempotency`]).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bson::oid::ObjectId;
use serde_json::{Value, json};
use shared::{ApiError, auth::Caller, extract::AppJson};

use crate::{
    domain::{
        Discounts, Line, Money, NewOrder, Order, Problems, Status, pricing, transition::next_due,
    },
    events,
    idempotency::{self, Claim},
    state::AppState,
    store::orders::{self, InsertError},
};

/// The handler.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    AppJson(body): AppJson<Value>,
) -> Result<Response, ApiError> {
    // Before the unique request-key index exists a retry could store a second order.
    state.indexes.require()?;
    // The body as `shared::api::orders::OrderRequest` (the gateway's check); the JSON value
    // stays for the idempotency fingerprint.
    let new = NewOrder::parse(body.to_string().as_bytes())?;
    let key = match headers.get(idempotency::HEADER) {
        None => None,
        Some(raw) => Some(
            raw.to_str()
                .map_err(|_| "must be visible ASCII".to_owned())
                .and_then(idempotency::parse_key)
                .map_err(|p| ApiError::field("Idempotency-Key", p))?,
        ),
    };
    let Some(key) = key else {
        let view = place(&state, &caller, &headers, new, None).await?;
        return Ok(created(json!({ "success": true, "data": view })));
    };
    let fingerprint = idempotency::fingerprint(&body);
    match state
        .idempotency
        .claim(&caller.id, &key, &fingerprint)
        .await?
    {
        Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            Ok(replayed(status, body))
        }
        Claim::InFlight => {
            // The first request may have stored its order and died before keeping its answer
            // (a crash, a kill): its claim then lingers until it expires. The order carries
            // the key, so answer it rather than a minute of 409s.
            let request_key = format!("{}:{key}", caller.id);
            match orders::by_request_key(state.infra.db(), &request_key).await? {
                Some(order) => Ok(replayed(
                    StatusCode::CREATED,
                    json!({ "success": true, "data": order.view() }),
                )),
                None => Err(ApiError::Conflict(
                    "a request with this Idempotency-Key is still being processed".to_owned(),
                )),
            }
        }
        Claim::Mismatch => Err(ApiError::Unprocessable(
            "this Idempotency-Key was used with a different request body".to_owned(),
        )),
        Claim::Fresh(ticket) => match place(&state, &caller, &headers, new, Some(&key)).await {
            Ok(view) => {
                let body = json!({ "success": true, "data": view });
                if let Err(e) = state.idempotency.complete(ticket, 201, &body).await {
                    // The order exists and carries the key: a retry still finds it.
                    tracing::warn!(error = %e, "cannot keep the idempotent answer");
                }
                Ok(created(body))
            }
            Err(e) => {
                state.idempotency.release(ticket).await;
                Err(e)
            }
        },
    }
}

/// The answer of an earlier request with the same key, marked as such.
fn replayed(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

fn created(body: Value) -> Response {
    let location = body["data"]["id"]
        .as_str()
        .map(|id| format!("/orders/{id}"));
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Prices, builds and stores the order; returns its view.
async fn place(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    new: NewOrder,
    key: Option<&str>,
) -> Result<crate::domain::OrderView, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let ids: Vec<ObjectId> = new.lines.iter().map(|l| l.product_id).collect();
    let address = async {
        match &new.shipping_address {
            Some(address) => Ok(Some(address.clone())),
            None => state.upstream.address(&caller.id, bearer).await,
        }
    };
    let (priced, address) = tokio::join!(state.upstream.products(&ids, bearer), address);
    let priced = priced?;
    let address = address?;

    let mut problems = Problems::default();
    let mut lines = Vec::with_capacity(new.lines.len());
    let mut overflow = false;
    for (i, (wanted, product)) in new.lines.iter().zip(priced).enumerate() {
        let Some(product) = product else {
            problems.add(format!("items[{i}].productId"), "no such product");
            continue;
        };
        match Line::priced(
            product.id.to_hex(),
            product.name,
            product.price,
            wanted.quantity,
        ) {
            Some(line) => lines.push(line),
            None => overflow = true,
        }
    }
    // The one pricing function (no discounts through this endpoint yet): the order carries
    // its quote, and its `total` stays the sum of the lines.
    let subtotals: Vec<Money> = lines
        .iter()
        .map(|l| Money::from_cents(l.subtotal_cents))
        .collect();
    let quote = pricing::quote(&subtotals, &Discounts::NONE)
        .ok()
        .filter(|_| !overflow);
    if address.is_none() {
        problems.add(
            "shippingAddress",
            "is required: there is no address on file",
        );
    }
    let Some(quote) = quote else {
        problems.add("items", "the total is too large");
        return Err(problems.into_error());
    };
    problems.into_result()?;
    let Some(address) = address else {
        return Err(ApiError::internal("address checked above"));
    };

    let id = ObjectId::new();
    let now = bson::DateTime::now().to_chrono();
    let request_key = match key {
        Some(key) => format!("{}:{key}", caller.id),
        None => format!("order:{}", id.to_hex()),
    };
    let mut order = Order::placed(
        id,
        caller.id.clone(),
        lines,
        quote,
        address,
        request_key.clone(),
        now,
    );
    // The saga's deadline: without a stock answer by then, `deadline` rejects the order.
    order.next_due_at_ms = next_due(Status::Pending, now, state.config.saga.timeout);
    let correlation_id = shared::telemetry::request_id(headers);
    let created_event = events::created(&order, &correlation_id).map_err(ApiError::internal)?;
    match orders::insert(state.infra.db(), &order, &[created_event]).await {
        Ok(()) => {
            state.orders.outbox.nudge();
            metrics::counter!("orders_created_total").increment(1);
            tracing::info!(order.id = %id, total = quote.total.cents(), "order placed");
            Ok(order.view())
        }
        Err(InsertError::Duplicate) => {
            // The same key was used before and its Redis record is gone: answer that order.
            let existing = orders::by_request_key(state.infra.db(), &request_key)
                .await?
                .ok_or_else(|| ApiError::Conflict("the order is being placed; retry".to_owned()))?;
            Ok(existing.view())
        }
        Err(InsertError::Api(e)) => Err(e),
    }
}
