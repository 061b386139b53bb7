//! Cart bodies: how many of a product the cart holds.

use garde::Validate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{orders::MAX_QUANTITY, rules};

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
