//! Cart bodies: how many of a product the cart holds.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    orders::{MAX_QUANTITY, Quote},
    rules,
};
use crate::Money;

/// Most lines in one cart (as in one order).
pub const MAX_LINES: usize = super::orders::MAX_LINES;

/// `PUT /cart/items/{productId}`: the quantity the cart should hold of the product (it sets,
/// it does not add); 0 removes the line.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CartQuantity {
    /// 0 to 1000 units. (Read as any whole number, so that `-1` is named by this rule.)
    #[garde(custom(rules::whole(0, i64::from(MAX_QUANTITY))))]
    #[schema(minimum = 0, maximum = 1000)]
    pub quantity: i64,
}

/// The caller's cart, priced now (every `/cart` route answers it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cart {
    /// The lines, oldest first.
    pub items: Vec<CartLine>,
    /// The coupon applied, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<AppliedCoupon>,
    /// The price of the available lines.
    pub quote: Quote,
}

/// One line of a cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CartLine {
    /// The product's id.
    pub product_id: String,
    /// Its name now (or when last seen, if it was deleted).
    pub name: String,
    /// Its unit price now; `null` when it was deleted.
    pub price: Option<Money>,
    /// Units wanted.
    pub quantity: i64,
    /// `price × quantity`; `null` when it was deleted.
    pub subtotal: Option<Money>,
    /// Whether the stock covers the quantity.
    pub in_stock: bool,
    /// Whether the product still exists (otherwise it is left out of the quote).
    pub available: bool,
}

/// The cart's coupon: what it takes off, or why it does not apply now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppliedCoupon {
    /// The code, upper-cased.
    pub code: String,
    /// Whether it applies to the cart as it is now.
    pub applies: bool,
    /// What it takes off (for `free_shipping`: the shipping it saves); 0 when it does not apply.
    pub discount: Money,
    /// Why it does not apply (`expired`, `paused`, ...), as a checkout would refuse it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The same for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
