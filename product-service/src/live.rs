//! Live stock (issue 19): `GET /products/{id}/stock/stream`, Server-Sent Events without a token,
//! for product pages that show whether a product can be bought.
//!
//! Every replica consumes the events that follow a change of stock on its own private queue
//! ([`QUEUE`]: `stock.reserved`, `stock.released`, `stock.restocked`, `product.updated`,
//! `product.deleted`), so a stream sees changes made by any replica. Each event is published
//! after the write that changed the stock (they leave through the outbox), so the handler reads
//! the product's stock as it now stands, once per product that someone here follows, and fans
//! it out through a [`Hub`]. A stream sends a `snapshot` first (subscribed before the read, so
//! nothing falls between), then a `stock` event whenever the stock or its status differs from
//! what it last sent, and `deleted` (then ends) when the product is removed. The `data` of
//! `snapshot` and `stock` is `shared::api::products::StockLevel`. Comment lines keep an idle
//! stream open; a client too slow to read is dropped. Metrics: `product_live_streams`,
//! `product_live_dropped_total`.

use std::{collections::BTreeSet, convert::Infallible, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::State,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::get,
};
use futures::{StreamExt, stream};
use serde_json::Value;
use shared::{
    ApiError,
    api::products::{StockLevel, StockStatus},
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys},
    extract::ObjectIdPath,
    live,
};

use crate::{domain::product::Product, state::AppState, store::products::Products};

/// Messages buffered per stream before a client counts as too slow.
pub const BUFFER: usize = 64;
/// How often an idle stream gets a comment line.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// The per-replica queue's suffix.
pub const QUEUE: &str = "product.live-stock";
/// The events that may follow a change of a product's stock.
pub const KEYS: [&str; 5] = [
    keys::STOCK_RESERVED,
    keys::STOCK_RELEASED,
    keys::STOCK_RESTOCKED,
    keys::PRODUCT_UPDATED,
    keys::PRODUCT_DELETED,
];

/// Which product a stream follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follows(pub String);

impl live::Filter for Follows {
    const STREAMS_GAUGE: &'static str = "product_live_streams";
    const DROPPED_COUNTER: &'static str = "product_live_dropped_total";
}

/// What a stream receives: a product's stock now, or that it is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The stock as read after an event.
    Level(StockLevel),
    /// The product was deleted.
    Deleted(String),
}

/// This replica's live stock streams.
pub type StockHub = live::Hub<Follows, Change>;

/// `GET /products/{id}/stock/stream`.
pub fn router() -> Router<AppState> {
    Router::new().route("/products/{id}/stock/stream", get(stream))
}

/// The level of `product` as streams show it.
pub fn level(product: &Product) -> StockLevel {
    let f = &product.fields;
    StockLevel {
        product_id: product.id.to_hex(),
        stock: f.stock,
        stock_status: StockStatus::of(f.stock, f.low_stock_threshold),
    }
}

fn event(kind: &str, data: &impl serde::Serialize) -> Event {
    Event::default()
        .event(kind)
        .data(serde_json::to_string(data).unwrap_or_default())
}

/// The handler: 404 for a missing or deleted product.
#[tracing::instrument(skip_all, fields(product.id = %id))]
async fn stream(
    State(state): State<AppState>,
    ObjectIdPath(id): ObjectIdPath,
) -> Result<Response, ApiError> {
    // Subscribe before reading, so that a change made in between is not missed.
    let subscription = state.stock_hub.subscribe("sse", Follows(id.to_hex()));
    let product = state
        .products
        .find(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such product".to_owned()))?;
    let first = level(&product);
    let dropped = subscription.dropped();
    let live = stream::unfold(
        (subscription, first.clone(), false),
        |(mut subscription, mut last, done)| async move {
            if done {
                return None;
            }
            loop {
                let change = subscription.rx.recv().await?;
                match change.as_ref() {
                    Change::Deleted(id) => {
                        let gone = serde_json::json!({ "productId": id });
                        return Some((event("deleted", &gone), (subscription, last, true)));
                    }
                    Change::Level(now) if *now != last => {
                        last = now.clone();
                        return Some((event("stock", now), (subscription, last, false)));
                    }
                    Change::Level(_) => {}
                }
            }
        },
    );
    let events = stream::once(async move { event("snapshot", &first) })
        .chain(live)
        .map(Ok::<_, Infallible>)
        .take_until(state.cancel.clone().cancelled_owned())
        .take_until(dropped.cancelled_owned());
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
        .into_response())
}

/// The products an event names: `items[].productId` (stock events), `productId`
/// (`stock.restocked`), `id` (`product.*`).
pub fn products_of(data: &Value) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = data["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["productId"].as_str())
        .map(str::to_lowercase)
        .collect();
    for field in ["productId", "id"] {
        if let Some(id) = data[field].as_str() {
            ids.insert(id.to_lowercase());
        }
    }
    ids
}

/// Consumes the stock events on this replica's private queue into `hub`.
pub fn consume(bus: &Bus, hub: StockHub, products: Products) -> Consuming {
    bus.consume(ConsumerSpec::per_replica(QUEUE, &KEYS), move |event| {
        let hub = hub.clone();
        let products = products.clone();
        async move { fan_out(&hub, &products, &event).await }
    })
}

/// Reads the stock of every product `event` names that a stream here follows, and offers it.
#[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
pub async fn fan_out(
    hub: &StockHub,
    products: &Products,
    event: &Envelope,
) -> Result<(), HandlerError> {
    if hub.is_empty() {
        return Ok(());
    }
    for id in products_of(&event.data) {
        if !hub.wants_any(|f| f.0 == id) {
            continue;
        }
        let change = if event.kind == keys::PRODUCT_DELETED {
            Change::Deleted(id.clone())
        } else {
            let Ok(oid) = bson::oid::ObjectId::parse_str(&id) else {
                continue;
            };
            match products.find(oid).await? {
                Some(product) => Change::Level(level(&product)),
                None => Change::Deleted(id.clone()),
            }
        };
        let change = Arc::new(change);
        let reached = hub.publish(|f| f.0 == id, || change.clone());
        tracing::debug!(reached, product = %id, "stock fanned out");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_products_of_every_kind_of_stock_event_are_found() {
        let reserved = json!({"orderId": "o", "items": [{"productId": "A", "quantity": 1}, {"productId": "b", "quantity": 2}]});
        assert_eq!(
            products_of(&reserved),
            BTreeSet::from(["a".to_owned(), "b".to_owned()])
        );
        let restocked = json!({"returnId": "r", "productId": "c", "quantity": 1});
        assert_eq!(products_of(&restocked), BTreeSet::from(["c".to_owned()]));
        let updated = json!({"id": "d", "name": "x", "stock": 3});
        assert_eq!(products_of(&updated), BTreeSet::from(["d".to_owned()]));
    }
}
