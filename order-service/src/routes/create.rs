//! `POST /orders`: validate the whole body, price every line with product-service (never the
//! client), quote it with the one pricing function, and store the order `PENDING` (with the
//! saga's deadline) and `order.created` in one insert ([`crate::placing`]). An
//! `Idempotency-Key` replays the first answer (see [`super::once`]).

use axum::{extract::State, http::HeaderMap, response::Response};
use shared::{ApiError, api::orders::OrderRequest, auth::Caller, extract::Valid};

use super::once;
use crate::{
    domain::{Line, NewOrder, OrderView, Problems},
    idempotency,
    payment_method::{self, Choice},
    placing,
    state::AppState,
};

/// The handler.
#[tracing::instrument(skip_all, fields(customer.id = %caller.id))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Valid(body): Valid<OrderRequest>,
) -> Result<Response, ApiError> {
    // Before the unique request-key index exists a retry could store a second order.
    state.indexes.require()?;
    // Fingerprinted as read (as checkout does), so key order, spacing and `null` for an
    // absent field do not make another request.
    let mut read = serde_json::to_value(&body).map_err(ApiError::internal)?;
    payment_method::fingerprint_card(&mut read);
    let fingerprint = idempotency::fingerprint(&read);
    let new = NewOrder::from_request(body)?;
    let Some(key) = once::key(&headers)? else {
        let view = place(&state, &caller, &headers, new, None).await?;
        return Ok(once::created(shared::error::ok(view).0));
    };
    let request_key = format!("{}:{key}", caller.id);
    once::answer(
        &state,
        &caller.id,
        (&key, &fingerprint),
        || place(&state, &caller, &headers, new, Some(&request_key)),
        || once::by_request_key(&state, &request_key),
    )
    .await
}

/// Prices, builds and stores the order; returns its view.
async fn place(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    new: NewOrder,
    request_key: Option<&str>,
) -> Result<OrderView, ApiError> {
    let ids: Vec<_> = new.lines.iter().map(|l| l.product_id).collect();
    let (looked_up, tier) = tokio::join!(
        placing::look_up(state, &caller.id, headers, &ids, new.shipping_address),
        crate::discounts::tier(state, &caller.id, headers),
    );
    let ((priced, address), tier) = (looked_up?, tier?);

    let mut problems = Problems::default();
    let mut lines = Vec::with_capacity(new.lines.len());
    let mut overflow = false;
    for (i, (wanted, product)) in new.lines.iter().zip(priced).enumerate() {
        let Some(product) = product else {
            problems.add(format!("items[{i}].productId"), "no such product");
            continue;
        };
        if let Some(why) = product.variant_required() {
            problems.add(format!("items[{i}].productId"), why);
            continue;
        }
        match Line::priced(
            product.id.to_hex(),
            product.name,
            product.price,
            wanted.quantity,
        ) {
            Some(line) => lines.push(line.with_sku(product.sku)),
            None => overflow = true,
        }
    }
    // The order carries its quote (with the caller's tier), and its `total` is the
    // discounted subtotal.
    let quote = placing::quote(&lines, &placing::tier_only(&tier)).filter(|_| !overflow);
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

    let call = shared::client::Call::from_headers(headers);
    let choice = Choice::of(new.card.as_ref(), new.payment_method_id.as_deref());
    let payment = payment_method::for_order(state, &caller.id, &call, choice).await?;
    let mut order = placing::order(
        state,
        &caller.id,
        lines,
        quote,
        address,
        request_key.map(ToOwned::to_owned),
    );
    order.payment = payment;
    let correlation_id = shared::telemetry::request_id(headers);
    let stored = placing::store(state, order, &correlation_id, Vec::new()).await?;
    Ok(stored.view())
}
