//! Order bodies: place an order, cancel it, move it along.

use std::collections::HashMap;

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{checkout::one_way_to_pay, customers::Address, payments::NewCard, rules};
use crate::Money;

/// Most lines in one order.
pub const MAX_LINES: usize = 100;
/// Most units of one product in one order.
pub const MAX_QUANTITY: u32 = 1000;

/// `POST /orders`: the lines to buy and, optionally, where to ship them (the customer's
/// address on file otherwise).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderRequest {
    /// 1 to 100 lines, one per product.
    #[garde(custom(rules::items(1, MAX_LINES)), custom(distinct_products), dive)]
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<OrderLine>,
    /// Where to ship.
    #[garde(dive)]
    pub shipping_address: Option<Address>,
    /// A new card to pay with; without `card` or `paymentMethodId` the order is an invoiced
    /// API order, with no payment step.
    #[garde(dive)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<NewCard>,
    /// A saved card of the caller's (an ObjectId); not together with `card`.
    #[garde(inner(custom(rules::object_id)), custom(one_way_to_pay(&self.card)))]
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<String>,
}

/// One line of an order request.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLine {
    /// The product (an ObjectId).
    #[garde(custom(rules::object_id))]
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    pub product_id: String,
    /// 1 to 1000 units. (Read as any whole number, so that `-1` is named with the other
    /// bad fields rather than alone.)
    #[garde(custom(rules::whole(1, i64::from(MAX_QUANTITY))))]
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: i64,
}

/// A product may appear on one line only (ids compared case-insensitively, as ObjectIds are).
pub(super) fn distinct_products(lines: &[OrderLine], _: &()) -> garde::Result {
    let mut seen = HashMap::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(first) = seen.insert(line.product_id.to_ascii_lowercase(), i) {
            return Err(garde::Error::new(format!(
                "items[{i}] repeats the product of items[{first}]"
            )));
        }
    }
    Ok(())
}

/// `POST /orders/{id}/cancel` (body optional).
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    /// Why; up to 500 characters (trimmed). A default reason is recorded without one.
    #[garde(inner(custom(rules::text(0, 500))))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Every order status, as the wire spells it.
pub const STATUSES: &[&str] = &[
    "PENDING",
    "PROCESSING",
    "SHIPPED",
    "DELIVERED",
    "CANCELLED",
    "REJECTED",
];

/// `GET /orders`: newest first; customers see only their own.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct OrderFilter {
    /// Only this customer's orders (a customer may name only itself).
    #[garde(inner(custom(rules::object_id)))]
    #[param(pattern = "^[0-9a-fA-F]{24}$")]
    pub customer_id: Option<String>,
    /// Only orders in this status.
    #[garde(inner(custom(rules::one_of(STATUSES))))]
    #[param(value_type = Option<OrderStatus>)]
    pub status: Option<String>,
}

/// The query of that list: its filters and its [`Paging`](super::query::Paging).
pub type OrderQuery = super::query::Paged<OrderFilter>;

/// An order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum OrderStatus {
    Pending,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    Rejected,
}

/// `PATCH /orders/{id}/status` (admins): where to move the order. A carrier and tracking
/// number go only with `SHIPPED` (made up when absent).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusChange {
    /// The new status.
    #[garde(skip)]
    pub status: OrderStatus,
    /// The carrier, 1 to 100 characters (trimmed); only with `SHIPPED`.
    #[garde(custom(only_when_shipped(self.status)), inner(custom(rules::text(1, 100))))]
    #[schema(min_length = 1, max_length = 100)]
    pub carrier: Option<String>,
    /// The tracking number, 1 to 100 characters (trimmed); only with `SHIPPED`.
    #[garde(custom(only_when_shipped(self.status)), inner(custom(rules::text(1, 100))))]
    #[schema(min_length = 1, max_length = 100)]
    pub tracking_number: Option<String>,
    /// Why (recorded with a cancellation), up to 500 characters (trimmed).
    #[garde(inner(custom(rules::text(0, 500))))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

fn only_when_shipped(status: OrderStatus) -> impl FnOnce(&Option<String>, &()) -> garde::Result {
    move |value, _| match value {
        Some(_) if status != OrderStatus::Shipped => {
            Err(garde::Error::new("only with status SHIPPED"))
        }
        _ => Ok(()),
    }
}

/// An order as the API shows it, with its status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    /// Id, 24 hex digits.
    pub id: String,
    /// The customer who placed it.
    pub customer_id: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The lines.
    pub items: Vec<OrderItem>,
    /// The goods net of discounts, before shipping and tax.
    pub total: Money,
    /// The itemised price; absent on an order placed before pricing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
    /// The coupon code applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    /// Where it goes.
    pub shipping_address: Address,
    /// Every status with its time, oldest first.
    pub status_history: Vec<StatusEntry>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Why it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
    /// Carrier, once shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Tracking number, once shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// The card and where the payment stands; absent for an invoiced API order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<OrderPayment>,
    /// When it should arrive (RFC 3339).
    pub estimated_delivery: String,
    /// When it was placed.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The index of the latest history entry.
    pub version: i64,
}

/// One line of an order, priced when it was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderItem {
    /// The product's id.
    pub product_id: String,
    /// Its name at order time.
    pub name: String,
    /// Unit price at order time.
    pub price: Money,
    /// Units.
    pub quantity: i64,
    /// `price × quantity`.
    pub subtotal: Money,
    /// The variant's SKU, when the line is a variant of a product (its name then names the
    /// colour and size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

/// One entry of an order's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusEntry {
    /// Its index (the SSE event id of the change).
    pub index: i64,
    /// The status entered.
    pub status: OrderStatus,
    /// When (RFC 3339).
    pub at: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An itemised price: of a cart now, of an order when it was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quote {
    /// The sum of the lines.
    pub subtotal: Money,
    /// Taken off by the coupon.
    pub coupon_discount: Money,
    /// Taken off by the loyalty tier.
    pub tier_discount: Money,
    /// Taken off by redeemed points.
    pub points_discount: Money,
    /// Shipping.
    pub shipping: Money,
    /// Tax.
    pub tax: Money,
    /// What the customer pays.
    pub total: Money,
}

/// The card an order is paid with and where its payment stands: never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderPayment {
    /// The provider.
    pub provider: String,
    /// Card brand.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry month.
    pub exp_month: i32,
    /// Expiry year.
    pub exp_year: i32,
    /// Where it stands.
    pub status: PaymentStatus,
    /// The provider's reference, once authorised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// Why it was declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<String>,
}

/// Where an order's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum PaymentStatus {
    Pending,
    Authorized,
    Declined,
    Voided,
}
