//! Placing an order, the one way for `POST /orders` and `POST /checkout`: the lines priced
//! with product-service now (never by the client), the address given or the customer's on
//! file, the quote of the one pricing function ([`crate::domain::pricing`]), the saga's
//! deadline, and one insert holding the order, its `order.created` and any other events of
//! the same change (the outbox inside the order document). The order's unique request key makes
//! the insert happen once: a second insert with the same key answers the stored order.

use axum::http::HeaderMap;
use bson::oid::ObjectId;
use shared::{ApiError, events::Envelope};

use crate::{
    domain::{
        Address, Discounts, Line, Money, Order, Quote, Status, coupon::Tier, pricing,
        transition::next_due,
    },
    events,
    state::AppState,
    store::orders::{self, InsertError},
    upstream::Priced,
};

/// The products `ids` as product-service has them now (`None`: no such product), and the
/// address to ship to: `given`, or the customer's on file (`None` when there is none).
pub async fn look_up(
    state: &AppState,
    customer: &str,
    headers: &HeaderMap,
    ids: &[ObjectId],
    given: Option<Address>,
) -> Result<(Vec<Option<Priced>>, Option<Address>), ApiError> {
    let call = shared::client::Call::from_headers(headers);
    let address = async {
        match given {
            Some(address) => Ok(Some(address)),
            None => state.upstream.address(customer, &call).await,
        }
    };
    let (priced, address) = tokio::join!(state.upstream.products(ids, &call), address);
    Ok((priced?, address?))
}

/// The quote of `lines` with `discounts` by the one pricing function; `None` when a sum
/// overflows.
pub fn quote(lines: &[Line], discounts: &Discounts) -> Option<Quote> {
    let subtotals: Vec<Money> = lines
        .iter()
        .map(|l| Money::from_cents(l.subtotal_cents))
        .collect();
    pricing::quote(&subtotals, discounts).ok()
}

/// The caller's tier's discount (and nothing else), for `POST /orders`.
pub fn tier_only(tier: &Tier) -> Discounts {
    Discounts {
        tier: tier.discount,
        ..Discounts::NONE
    }
}

/// A new `PENDING` order with the saga's deadline (without a stock answer by then,
/// [`crate::deadline`] rejects it), carrying `request_key` (`order:<id>` without one).
pub fn order(
    state: &AppState,
    customer: &str,
    lines: Vec<Line>,
    quote: Quote,
    address: Address,
    request_key: Option<String>,
) -> Order {
    let now = bson::DateTime::now().to_chrono();
    let id = ObjectId::new();
    let request_key = request_key.unwrap_or_else(|| format!("order:{}", id.to_hex()));
    let mut order = Order::placed(
        id,
        customer.to_owned(),
        lines,
        quote,
        address,
        request_key,
        now,
    );
    order.next_due_at_ms = next_due(Status::Pending, now, state.config.saga.timeout);
    order
}

/// Stores `order` with its `order.created` and `more` events in one insert; the stored
/// order: this one, or the one already stored under the same request key.
pub async fn store(
    state: &AppState,
    order: Order,
    correlation_id: &str,
    more: Vec<Envelope>,
) -> Result<Order, ApiError> {
    let mut staged = vec![events::created(&order, correlation_id).map_err(ApiError::internal)?];
    staged.extend(more);
    match orders::insert(state.infra.db(), &order, &staged).await {
        Ok(keyed) => {
            // A new document holds no other event: handed to the relay.
            state
                .orders
                .outbox
                .hand(orders::COLLECTION, order.id, keyed);
            metrics::counter!("orders_created_total").increment(1);
            tracing::info!(order.id = %order.id, total = order.total_cents, "order placed");
            Ok(order)
        }
        Err(InsertError::Duplicate) => {
            // The same request key was used before (a retry, a second tab): answer that order.
            orders::by_request_key(state.infra.db(), &order.request_key)
                .await?
                .ok_or_else(|| ApiError::Conflict("the order is being placed; retry".to_owned()))
        }
        Err(InsertError::Api(e)) => Err(e),
    }
}
