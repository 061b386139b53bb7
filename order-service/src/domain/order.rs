//! The stored order and the view of it that leaves the service.
//!
//! The status history is a map keyed by a zero-padded index (`"0003"`) rather than an array,
//! so that a change adds its entry with `$set` of one dotted key: the MongoDB stand-in turns a
//! `$push`ed sub-document into a string. The index of the latest entry equals the order's
//! `version`, which every change increments; SSE uses it as the event id. The order as it
//! stood at an earlier index: [`Order::as_of`] (`order/as_of.rs`).

use std::collections::BTreeMap;

use bson::oid::ObjectId;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};
use shared::api::orders as api;

use super::{
    Money, Status,
    payment::Payment,
    pricing::{Quote, StoredQuote},
};

mod as_of;

/// A postal address; every part 1..=200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub street: String,
    /// City.
    pub city: String,
    /// Postal code.
    pub zip_code: String,
    /// Country.
    pub country: String,
}

/// One line of an order, priced when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    /// The product's id.
    pub product_id: String,
    /// The product's name at order time.
    pub name: String,
    /// Unit price at order time, in cents.
    pub unit_price_cents: i64,
    /// Units ordered, 1..=1000.
    pub quantity: i64,
    /// `unit_price_cents × quantity`.
    pub subtotal_cents: i64,
    /// The variant's SKU, when the product is a variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// One entry of the status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The status entered.
    pub status: Status,
    /// When.
    #[serde(
        serialize_with = "bson_date",
        deserialize_with = "shared::store::compat::date"
    )]
    pub at: DateTime<Utc>,
    /// Why, when there is something to say (a rejection reason, who cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An order as stored in the `orders` collection (without its outbox fields).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// Id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// The customer who placed it.
    pub customer_id: String,
    /// What was ordered.
    pub items: Vec<Line>,
    /// The goods net of discounts, before shipping and tax, in cents: the sum of the lines
    /// when there are no discounts (see [`crate::domain::pricing`]; what is paid, and what
    /// analytics counts as revenue, is the quote's total).
    pub total_cents: i64,
    /// The price as quoted when the order was placed (orders placed before pricing had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<StoredQuote>,
    /// Where it goes.
    pub shipping_address: Address,
    /// Where it stands.
    pub status: Status,
    /// Incremented by every change; equals the index of the latest history entry.
    pub version: i64,
    /// Every status the order went through, keyed by zero-padded index.
    pub history: BTreeMap<String, HistoryEntry>,
    /// Why stock was refused, for `REJECTED`.
    #[serde(default)]
    pub rejection_reason: Option<String>,
    /// Why it was cancelled, for `CANCELLED`.
    #[serde(default)]
    pub cancellation_reason: Option<String>,
    /// Carrier, once shipped.
    #[serde(default)]
    pub carrier: Option<String>,
    /// Tracking number, once shipped.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// When it should arrive.
    #[serde(
        serialize_with = "bson_date",
        deserialize_with = "shared::store::compat::date"
    )]
    pub estimated_delivery: DateTime<Utc>,
    /// When the fulfilment poller should take its next step (epoch milliseconds: a number
    /// compares the same on MongoDB and on the stand-in, which keeps `$set` dates as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due_at_ms: Option<i64>,
    /// When product-service confirmed the stock was given back.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "bson_optional_date",
        deserialize_with = "shared::store::compat::optional_date"
    )]
    pub stock_released_at: Option<DateTime<Utc>>,
    /// The card it is paid with and where the payment stands; `None` for an invoiced API
    /// order (no payment step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    /// Unique per order: `<customer>:<Idempotency-Key>`, or `order:<id>` without a key.
    pub request_key: String,
    /// The coupon code whose use this order counted (given back if it is rejected or
    /// cancelled; see [`crate::discounts`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    /// When it was placed.
    #[serde(
        serialize_with = "bson_date",
        deserialize_with = "shared::store::compat::date"
    )]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(
        serialize_with = "bson_date",
        deserialize_with = "shared::store::compat::date"
    )]
    pub updated_at: DateTime<Utc>,
}

/// The history key of index `n`: `"0003"`.
pub fn history_key(n: i64) -> String {
    format!("{n:04}")
}

impl Line {
    /// `quantity` units of a product at `price`; `None` when the subtotal overflows.
    pub fn priced(product_id: String, name: String, price: Money, quantity: u32) -> Option<Self> {
        let subtotal = price.times(quantity)?;
        Some(Self {
            product_id,
            name,
            unit_price_cents: price.cents(),
            quantity: i64::from(quantity),
            subtotal_cents: subtotal.cents(),
            sku: None,
        })
    }

    /// The line naming the variant's SKU.
    pub fn with_sku(self, sku: Option<String>) -> Self {
        Self { sku, ..self }
    }
}

impl Order {
    /// A new order, `PENDING` since `at`: one history entry, no schedule yet, delivery
    /// estimated from the order date. `quote` is the price of `items` ([`crate::domain::pricing`]);
    /// the order's `total` is its discounted subtotal.
    pub fn placed(
        id: ObjectId,
        customer_id: String,
        items: Vec<Line>,
        quote: Quote,
        shipping_address: Address,
        request_key: String,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            customer_id,
            items,
            total_cents: quote.discounted_subtotal().cents(),
            quote: Some(quote.into()),
            shipping_address,
            status: Status::Pending,
            version: 0,
            history: BTreeMap::from([(
                history_key(0),
                HistoryEntry {
                    status: Status::Pending,
                    at,
                    note: None,
                },
            )]),
            rejection_reason: None,
            cancellation_reason: None,
            carrier: None,
            tracking_number: None,
            estimated_delivery: super::shipment::estimate_from_order(at),
            next_due_at_ms: None,
            stock_released_at: None,
            payment: None,
            request_key,
            coupon: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// What the customer pays, in cents: the quote's total (shipping and tax included), or the
    /// goods' total for an order placed before pricing.
    pub fn amount_due_cents(&self) -> i64 {
        self.quote.map_or(self.total_cents, |q| q.total_cents)
    }

    /// The history in order, with each entry's index.
    pub fn history(&self) -> Vec<(i64, &HistoryEntry)> {
        let mut entries: Vec<(i64, &HistoryEntry)> = self
            .history
            .iter()
            .filter_map(|(k, v)| k.parse().ok().map(|n| (n, v)))
            .collect();
        entries.sort_by_key(|(n, _)| *n);
        entries
    }

    /// The status before the entry with index `n`, if any.
    pub fn status_before(&self, n: i64) -> Option<Status> {
        self.history()
            .into_iter()
            .take_while(|(i, _)| *i < n)
            .last()
            .map(|(_, e)| e.status)
    }

    /// What callers see.
    pub fn view(&self) -> OrderView {
        OrderView {
            id: self.id.to_hex(),
            customer_id: self.customer_id.clone(),
            status: self.status.into(),
            items: self
                .items
                .iter()
                .map(|l| api::OrderItem {
                    product_id: l.product_id.clone(),
                    name: l.name.clone(),
                    price: Money::from_cents(l.unit_price_cents),
                    quantity: l.quantity,
                    subtotal: Money::from_cents(l.subtotal_cents),
                    sku: l.sku.clone(),
                })
                .collect(),
            total: Money::from_cents(self.total_cents),
            quote: self.quote.map(|q| Quote::from(q).into()),
            coupon: self.coupon.clone(),
            shipping_address: shared::api::customers::Address {
                street: self.shipping_address.street.clone(),
                city: self.shipping_address.city.clone(),
                zip_code: self.shipping_address.zip_code.clone(),
                country: self.shipping_address.country.clone(),
            },
            status_history: self
                .history()
                .into_iter()
                .map(|(index, e)| api::StatusEntry {
                    index,
                    status: e.status.into(),
                    at: rfc3339(e.at),
                    note: e.note.clone(),
                })
                .collect(),
            rejection_reason: self.rejection_reason.clone(),
            cancellation_reason: self.cancellation_reason.clone(),
            carrier: self.carrier.clone(),
            tracking_number: self.tracking_number.clone(),
            payment: self.payment.as_ref().map(Payment::view),
            estimated_delivery: rfc3339(self.estimated_delivery),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            version: self.version,
        }
    }
}

/// A time as RFC 3339 with milliseconds, as every JSON answer writes it.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An order as the API shows it (the contract's `Order`), with its status history.
pub type OrderView = api::Order;

fn bson_date<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    bson::DateTime::from_chrono(*at).serialize(s)
}

fn bson_optional_date<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    at.map(bson::DateTime::from_chrono).serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: Status) -> HistoryEntry {
        HistoryEntry {
            status,
            at: bson::DateTime::now().to_chrono(),
            note: None,
        }
    }

    fn order() -> Order {
        let now = bson::DateTime::now().to_chrono();
        let mut history = BTreeMap::new();
        // Stored out of order on purpose: the index decides.
        history.insert(history_key(10), entry(Status::Delivered));
        history.insert(history_key(2), entry(Status::Shipped));
        history.insert(history_key(0), entry(Status::Pending));
        history.insert(history_key(1), entry(Status::Processing));
        Order {
            id: ObjectId::new(),
            customer_id: "c".to_owned(),
            items: vec![Line {
                product_id: "p".to_owned(),
                name: "Lamp".to_owned(),
                unit_price_cents: 1999,
                quantity: 3,
                subtotal_cents: 5997,
                sku: None,
            }],
            total_cents: 5997,
            quote: None,
            shipping_address: Address {
                street: "1 Main St".to_owned(),
                city: "Springfield".to_owned(),
                zip_code: "12345".to_owned(),
                country: "US".to_owned(),
            },
            status: Status::Delivered,
            version: 10,
            history,
            rejection_reason: None,
            cancellation_reason: None,
            carrier: None,
            tracking_number: None,
            estimated_delivery: now,
            next_due_at_ms: None,
            stock_released_at: None,
            payment: None,
            request_key: "order:x".to_owned(),
            coupon: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn history_is_ordered_by_its_numeric_index() {
        let order = order();
        let statuses: Vec<i64> = order.history().iter().map(|(i, _)| *i).collect();
        assert_eq!(statuses, [0, 1, 2, 10]);
        assert_eq!(order.status_before(10), Some(Status::Shipped));
        assert_eq!(order.status_before(0), None);
    }

    #[test]
    fn the_view_shows_money_as_numbers_and_ids_as_strings() {
        let view = serde_json::to_value(order().view()).unwrap();
        assert_eq!(view["total"], serde_json::json!(59.97));
        assert_eq!(view["items"][0]["price"], serde_json::json!(19.99));
        assert_eq!(view["status"], "DELIVERED");
        assert_eq!(view["statusHistory"][3]["index"], 10);
        assert!(view["id"].is_string());
        assert!(view.get("carrier").is_none());
    }

    #[test]
    fn the_stored_form_round_trips_through_bson() {
        let order = order();
        let doc = bson::to_document(&order).unwrap();
        assert!(matches!(
            doc.get("createdAt"),
            Some(bson::Bson::DateTime(_))
        ));
        let back: Order = bson::from_document(doc).unwrap();
        assert_eq!(back.history, order.history);
        assert_eq!(back.total_cents, 5997);
    }
}
