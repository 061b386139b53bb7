//! `customer.erased` (customer-service, when a customer deletes their account): what
//! order-service keeps about that customer that is personal goes, and the shop's records stay.
//! - The cart is removed.
//! - Every subscription not cancelled yet is cancelled (`subscription.cancelled`): no order may
//!   be placed for an account that no longer exists.
//! - On the customer's orders and subscriptions the street of the shipping address becomes
//!   [`ERASED`]; city, postal code and country stay, as the tax records of a sale need them.
//!
//! Every step is safe to repeat, so a redelivery changes nothing more.

use bson::doc;
use serde::Deserialize;
use shared::{
    ApiError,
    events::{Bus, ConsumerSpec, Consuming, HandlerError, topology},
};

use crate::{
    domain::subscription::{Action, SubscriptionStatus},
    events::subscriptions as events,
    lifecycle::Orders,
    store::{self, carts, subscriptions},
};

/// Passes over one status's subscriptions before giving up for now.
const PASSES: usize = 20;

/// What an erased street reads.
pub const ERASED: &str = "[erased]";

/// The part of `customer.erased` read here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Erased {
    customer_id: String,
}

/// Consumes [`topology::ORDER_ERASURE`].
pub fn consume(bus: &Bus, orders: Orders) -> Consuming {
    bus.consume(ConsumerSpec::from(topology::ORDER_ERASURE), move |event| {
        let orders = orders.clone();
        async move {
            let erased: Erased = event
                .data_as()
                .map_err(|e| HandlerError::Reject(format!("malformed {}: {e}", event.kind)))?;
            erase(&orders, &erased.customer_id, &event.correlation_id)
                .await
                .map_err(HandlerError::from)
        }
    })
}

/// Erases what is personal about `customer`; safe to repeat.
pub async fn erase(orders: &Orders, customer: &str, correlation_id: &str) -> Result<(), ApiError> {
    let db = &orders.db;
    carts::clear(db, customer).await?;
    let mut cancelled = 0;
    for status in [SubscriptionStatus::Active, SubscriptionStatus::Paused] {
        // Each pass cancels what it read; one changed meanwhile (a run) is read again by the
        // next. A subscription that keeps changing makes the event come back later.
        for _ in 0..PASSES {
            let (open, _) = subscriptions::page(db, Some(customer), Some(status), 1, 100).await?;
            if open.is_empty() {
                break;
            }
            for before in open {
                let mut after = before.clone();
                after.status = Action::Cancel.target();
                after.version = before.version + 1;
                let staged =
                    [events::cancelled(&after, correlation_id).map_err(ApiError::internal)?];
                if subscriptions::replace_if_unchanged(db, &before, &after, &staged).await? {
                    cancelled += 1;
                }
            }
        }
        if subscriptions::page(db, Some(customer), Some(status), 1, 1)
            .await?
            .1
            > 0
        {
            return Err(ApiError::Conflict(
                "the customer's subscriptions keep changing; erasing again later".to_owned(),
            ));
        }
    }
    if cancelled > 0 {
        orders.outbox.nudge();
    }
    let street = doc! { "$set": { "shippingAddress.street": ERASED } };
    let filter = doc! { "customerId": customer };
    let on_orders = db
        .collection::<bson::Document>(store::orders::COLLECTION)
        .update_many(filter.clone(), street.clone())
        .await?;
    db.collection::<bson::Document>(subscriptions::COLLECTION)
        .update_many(filter, street)
        .await?;
    tracing::info!(
        customer.id = customer,
        subscriptions.cancelled = cancelled,
        orders = on_orders.matched_count,
        "customer's personal data erased"
    );
    Ok(())
}
