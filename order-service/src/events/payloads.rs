//! Event payloads, as serde types: those published here and the stock saga's answers.

use serde::{Deserialize, Serialize};

use crate::domain::{Money, Order, Status};

/// `order.created`: product-service reserves `items`; analytics counts `total`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    /// The order.
    pub order_id: String,
    /// Who placed it.
    pub customer_id: String,
    /// What to reserve.
    pub items: Vec<CreatedLine>,
    /// The order's total.
    pub total: f64,
    /// When it was placed.
    pub created_at: String,
}

/// One line of `order.created`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedLine {
    /// The product.
    pub product_id: String,
    /// Units to reserve.
    pub quantity: i64,
    /// Its name at order time.
    pub name: String,
    /// Unit price at order time.
    pub price: f64,
    /// The variant's SKU, when the product is a variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

impl OrderCreated {
    /// The payload for `order`.
    pub fn of(order: &Order) -> Self {
        Self {
            order_id: order.id.to_hex(),
            customer_id: order.customer_id.clone(),
            items: order
                .items
                .iter()
                .map(|l| CreatedLine {
                    product_id: l.product_id.clone(),
                    quantity: l.quantity,
                    name: l.name.clone(),
                    price: Money::from_cents(l.unit_price_cents).to_json_number(),
                    sku: l.sku.clone(),
                })
                .collect(),
            total: Money::from_cents(order.total_cents).to_json_number(),
            created_at: crate::domain::order::rfc3339(order.created_at),
        }
    }
}

/// `cart.checked_out`: a customer's cart became an order (the checkout funnel). `total` is
/// what the customer pays, the order's `quote.total` (shipping and tax included).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartCheckedOut {
    /// Whose cart.
    pub customer_id: String,
    /// The order it became.
    pub order_id: String,
    /// What is paid.
    pub total: f64,
}

impl CartCheckedOut {
    /// The payload for the order a cart became.
    pub fn of(order: &Order) -> Self {
        let total = order.quote.map_or(order.total_cents, |q| q.total_cents);
        Self {
            customer_id: order.customer_id.clone(),
            order_id: order.id.to_hex(),
            total: Money::from_cents(total).to_json_number(),
        }
    }
}

/// `order.status_changed`: `{orderId, oldStatus, newStatus, at, order}`, plus the customer
/// (so live subscribers to "all my orders" can be matched without a read) and the history
/// index of the change (the SSE event id; equal to `order.version`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChanged {
    /// The order.
    pub order_id: String,
    /// Its customer.
    pub customer_id: String,
    /// Before.
    pub old_status: Status,
    /// After.
    pub new_status: Status,
    /// When (RFC 3339).
    pub at: String,
    /// The history index of this change.
    pub index: i64,
    /// The order after the change, as the API shows it.
    pub order: serde_json::Value,
}

/// `order.cancelled`: product-service releases the order's stock, once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    /// The order.
    pub order_id: String,
    /// Its customer.
    pub customer_id: String,
    /// What was ordered (informational: product-service releases what it reserved).
    pub items: Vec<ReservedLine>,
    /// Why.
    pub reason: Option<String>,
}

impl OrderCancelled {
    /// The payload for a cancelled `order`.
    pub fn of(order: &Order) -> Self {
        Self {
            order_id: order.id.to_hex(),
            customer_id: order.customer_id.clone(),
            items: order
                .items
                .iter()
                .map(|l| ReservedLine {
                    product_id: l.product_id.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            reason: order.cancellation_reason.clone(),
        }
    }
}

/// `payment.authorized`, `payment.failed` (with `reason`) and `payment.refunded`:
/// `{orderId, customerId, amount, providerRef}`; `amount` is what the customer pays (the
/// order's `quote.total`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentEvent {
    /// The order.
    pub order_id: String,
    /// Its customer.
    pub customer_id: String,
    /// The amount authorised, declined or given back.
    pub amount: f64,
    /// The provider's reference (`null` for a decline, which has none).
    pub provider_ref: Option<String>,
    /// The decline code, on `payment.failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl PaymentEvent {
    /// The payload for `order`'s payment, with the provider's reference `provider_ref`.
    pub fn of(order: &Order, provider_ref: Option<String>) -> Self {
        Self {
            order_id: order.id.to_hex(),
            customer_id: order.customer_id.clone(),
            amount: Money::from_cents(order.amount_due_cents()).to_json_number(),
            provider_ref,
            reason: None,
        }
    }
}

/// A product and a quantity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservedLine {
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: i64,
}

/// `stock.reserved` and `stock.released`: `{orderId, ...}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockAnswer {
    /// The order.
    pub order_id: String,
}

/// `stock.rejected`: `{orderId, lines: [{productId, requested, available, reason}]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockRejected {
    /// The order.
    pub order_id: String,
    /// The lines that could not be reserved.
    #[serde(default)]
    pub lines: Vec<RejectedLine>,
}

/// One refused line.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedLine {
    /// The product.
    pub product_id: String,
    /// Units asked for.
    #[serde(default)]
    pub requested: Option<i64>,
    /// Units there were.
    #[serde(default)]
    pub available: Option<i64>,
    /// Why, in product-service's words.
    #[serde(default)]
    pub reason: Option<String>,
}

impl StockRejected {
    /// One sentence for the order's `rejectionReason`.
    pub fn reason(&self) -> String {
        if self.lines.is_empty() {
            return "stock could not be reserved".to_owned();
        }
        let parts: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                let why = l.reason.as_deref().unwrap_or("insufficient stock");
                match (l.requested, l.available) {
                    (Some(r), Some(a)) => {
                        format!("{}: {why} (requested {r}, available {a})", l.product_id)
                    }
                    _ => format!("{}: {why}", l.product_id),
                }
            })
            .collect();
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_reason_names_each_line() {
        let rejected: StockRejected = serde_json::from_value(serde_json::json!({
            "orderId": "o",
            "lines": [{"productId": "p1", "requested": 5, "available": 2, "reason": "insufficient stock"}]
        }))
        .unwrap();
        assert_eq!(
            rejected.reason(),
            "p1: insufficient stock (requested 5, available 2)"
        );
    }
}
