//! Order bodies: place an order, cancel it, move it along.

use std::collections::HashMap;

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{checkout::one_way_to_pay, customers::Address, payments::NewCard, rules};

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
pub struct OrderQuery {
    /// Only this customer's orders (a customer may name only itself).
    #[garde(inner(custom(rules::object_id)))]
    #[param(pattern = "^[0-9a-fA-F]{24}$")]
    pub customer_id: Option<String>,
    /// Only orders in this status.
    #[garde(inner(custom(rules::one_of(STATUSES))))]
    #[param(value_type = Option<OrderStatus>)]
    pub status: Option<String>,
    /// 1-based page number (default 1).
    #[garde(inner(custom(rules::int(1, super::query::MAX_PAGE))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[garde(inner(custom(rules::int(1, 100))))]
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

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
