//! The consumer of [`topology::CUSTOMER_WISHLIST`]: tells the people wishing a product that it
//! came back in stock (`wishlist.back_in_stock`) or got cheaper (`wishlist.price_dropped`),
//! one event per wishing customer and change.
//!
//! A sighting of the product comes from `product.updated` (which carries it) or, after a stock
//! move that only names the product (`stock.reserved`, `stock.released`, `return.received`),
//! from product-service (which must answer: while it is down the event waits). Stock given
//! back (`stock.released`, `return.received`) may be announced before product-service has put
//! it back (`stock.released` is staged just before the give-back; `return.received` comes from
//! order-service and is restocked by product-service's own consumer): while the product's
//! `updatedAt` is older than the event and the event is young ([`SETTLE`]), the event is tried
//! again later rather than read as "still none left". A sighting is
//! applied only when the product's `updatedAt` is newer than the watch's last one, and is
//! stored together with its news in one write guarded by the watch's version
//! (`store::wishlist::advance`): a redelivered or overtaken event finds nothing newer and
//! publishes nothing, and two replicas racing on one change stage its news once. Products
//! nobody ever wished are not looked up.

use bson::oid::ObjectId;
use mongodb::Database;
use serde::Deserialize;
use serde_json::Value;
use shared::{
    ApiError,
    api::wishlist::WishlistNews,
    client::Call,
    events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology},
    outbox::Nudge,
};

use crate::{
    catalog::{self, Catalog},
    domain::wishlist::{News, Sighting, news},
    store::wishlist,
};

/// How often a sighting is tried again when another write moved the watch first.
const ATTEMPTS: usize = 5;

/// How long after a give-back event its stock is waited for; an older event is read as it is
/// (a clock apart between services must not dead-letter it).
const SETTLE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// What the consumer needs.
#[derive(Clone)]
pub struct Handler {
    /// The service's database.
    pub db: Database,
    /// Asked for a product's state after a stock move.
    pub catalog: Catalog,
    /// Wakes the outbox relay after news were staged.
    pub outbox: Nudge,
}

/// Starts consuming.
pub fn start(bus: &Bus, handler: Handler) -> Consuming {
    bus.consume(
        ConsumerSpec::from(topology::CUSTOMER_WISHLIST),
        move |event| {
            let handler = handler.clone();
            async move {
                if handler.handle(&event).await? {
                    handler
                        .outbox
                        .nudge_collection(crate::store::wishlist::WATCHES);
                }
                Ok(())
            }
        },
    )
}

/// A line of a stock move: only the product is read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    product_id: String,
}

/// `stock.reserved`, `stock.released`, `return.received`: the products moved.
#[derive(Deserialize)]
struct Moved {
    items: Vec<Line>,
}

impl Handler {
    /// Applies one event; whether news were staged.
    #[tracing::instrument(skip_all, fields(event.id = %event.id, event.type = %event.kind))]
    pub async fn handle(&self, event: &Envelope) -> Result<bool, HandlerError> {
        let malformed = |e: String| HandlerError::Reject(format!("malformed {}: {e}", event.kind));
        match event.kind.as_str() {
            keys::PRODUCT_UPDATED => {
                let id = event.data["id"]
                    .as_str()
                    .and_then(|id| ObjectId::parse_str(id).ok())
                    .ok_or_else(|| malformed("no product id".to_owned()))?;
                let seen = catalog::sighting(&event.data)
                    .ok_or_else(|| malformed("not a product".to_owned()))?;
                self.apply(id, &seen, &event.correlation_id).await
            }
            keys::STOCK_RESERVED | keys::STOCK_RELEASED | keys::RETURN_RECEIVED => {
                let moved: Moved = event.data_as().map_err(|e| malformed(e.to_string()))?;
                // A reservation takes the stock before it is announced; a give-back after.
                let given_back = (event.kind != keys::STOCK_RESERVED
                    && chrono::Utc::now() - event.occurred_at < SETTLE)
                    .then_some(event.occurred_at.timestamp_millis());
                let mut staged = false;
                for line in moved.items {
                    // Ids that are not ObjectIds name no product anyone could wish.
                    let Ok(id) = ObjectId::parse_str(&line.product_id) else {
                        continue;
                    };
                    staged |= self.look(id, given_back, &event.correlation_id).await?;
                }
                Ok(staged)
            }
            _ => Ok(false),
        }
    }

    /// Asks product-service for a watched product's state and applies it; with `given_back`
    /// (the give-back event's time), a state older than that is waited for.
    async fn look(
        &self,
        product: ObjectId,
        given_back: Option<i64>,
        correlation: &str,
    ) -> Result<bool, HandlerError> {
        if wishlist::watch(&self.db, product).await?.is_none() {
            return Ok(false);
        }
        let call = Call::with_token(None, correlation);
        let Some(seen) = self.catalog.product(product, &call).await? else {
            // Deleted since: nothing to tell about it.
            return Ok(false);
        };
        if given_back.is_some_and(|at| seen.updated_at < at) {
            return Err(HandlerError::Retry(
                "product-service has not put the stock back yet".to_owned(),
            ));
        }
        self.apply(product, &seen, correlation).await
    }

    /// Applies a sighting of a watched product; whether news were staged.
    async fn apply(
        &self,
        product: ObjectId,
        seen: &Sighting,
        correlation: &str,
    ) -> Result<bool, HandlerError> {
        for _ in 0..ATTEMPTS {
            let Some(watch) = wishlist::watch(&self.db, product).await? else {
                return Ok(false);
            };
            let Some(news) = news(&watch.seen, seen) else {
                tracing::debug!(product.id = %product, "nothing newer than the last sighting");
                return Ok(false);
            };
            let events = if news.is_empty() {
                Vec::new()
            } else {
                let wishers = wishlist::wishers(&self.db, product).await?;
                envelopes(product, seen, news, &wishers, correlation)?
            };
            if wishlist::advance(&self.db, product, watch.version, seen, &events).await? {
                if !events.is_empty() {
                    tracing::info!(product.id = %product, events = events.len(), "wishlist news staged");
                    metrics::counter!("wishlist_news_total").increment(events.len() as u64);
                }
                return Ok(!events.is_empty());
            }
        }
        Err(HandlerError::Retry(
            "the wishlist watch kept changing".to_owned(),
        ))
    }
}

/// One event per wishing customer and piece of news.
fn envelopes(
    product: ObjectId,
    seen: &Sighting,
    news: News,
    wishers: &[String],
    correlation: &str,
) -> Result<Vec<Envelope>, ApiError> {
    let mut events = Vec::new();
    for customer in wishers {
        let base = WishlistNews {
            customer_id: customer.clone(),
            product_id: product.to_hex(),
            name: seen.name.clone(),
            old_price: None,
            new_price: Some(seen.price),
            stock: None,
        };
        if let Some((old, new)) = news.price_dropped {
            let data = WishlistNews {
                old_price: Some(old),
                new_price: Some(new),
                ..base.clone()
            };
            events.push(envelope(keys::WISHLIST_PRICE_DROPPED, correlation, &data)?);
        }
        if news.back_in_stock {
            let data = WishlistNews {
                stock: Some(seen.stock),
                ..base
            };
            events.push(envelope(keys::WISHLIST_BACK_IN_STOCK, correlation, &data)?);
        }
    }
    Ok(events)
}

fn envelope(kind: &str, correlation: &str, data: &WishlistNews) -> Result<Envelope, ApiError> {
    let data: Value = serde_json::to_value(data).map_err(ApiError::internal)?;
    Ok(Envelope::new(
        kind,
        crate::config::DEFAULTS.name,
        correlation,
        data,
    ))
}
