//! The cart as the API shows it: each stored line priced with the product as it is now, and
//! the quote of the lines that can still be bought ([`super::pricing`]).
//!
//! A line whose product was deleted stays in the cart, flagged `available: false`, with the
//! name it had and no price, and is left out of the quote: the customer sees it went rather
//! than finding it silently gone. A line wanting more than is in stock is flagged
//! `inStock: false` but still priced: it can be bought once stock returns, and the order's
//! saga, not the cart, decides what is reserved.

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

use super::pricing::{self, Discounts, TooLarge};
use crate::upstream::Priced;

/// One stored line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredLine {
    /// Units wanted, 1..=1000.
    pub quantity: i64,
    /// The product's name when last set (shown if the product is deleted later).
    pub name: String,
    /// When the line was first added (epoch milliseconds): the lines' order.
    pub added_at_ms: i64,
}

/// A cart, a line and its coupon as the API shows them (the contract's types).
pub use shared::api::cart::{
    AppliedCoupon as CouponLine, Cart as CartView, CartLine as CartLineView,
};

/// Prices `lines` (stored line and the product as it is now, `None` when it is gone).
pub fn price(
    lines: &[(ObjectId, &StoredLine, Option<Priced>)],
    discounts: &Discounts,
) -> Result<CartView, TooLarge> {
    let mut items = Vec::with_capacity(lines.len());
    let mut subtotals = Vec::with_capacity(lines.len());
    for (id, line, product) in lines {
        // A product sold in variants since it was added is not sold itself: like a deleted
        // one, it stays flagged and out of the quote until the customer picks a variant.
        let product = product.as_ref().filter(|p| !p.in_variants);
        let view = match product {
            Some(product) => {
                let units = u32::try_from(line.quantity).map_err(|_| TooLarge)?;
                let subtotal = product.price.times(units).ok_or(TooLarge)?;
                subtotals.push(subtotal);
                CartLineView {
                    product_id: id.to_hex(),
                    name: product.name.clone(),
                    price: Some(product.price),
                    quantity: line.quantity,
                    subtotal: Some(subtotal),
                    in_stock: product.stock >= line.quantity,
                    available: true,
                }
            }
            None => CartLineView {
                product_id: id.to_hex(),
                name: line.name.clone(),
                price: None,
                quantity: line.quantity,
                subtotal: None,
                in_stock: false,
                available: false,
            },
        };
        items.push(view);
    }
    Ok(CartView {
        items,
        coupon: None,
        quote: pricing::quote(&subtotals, discounts)?.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;

    fn stored(quantity: i64) -> StoredLine {
        StoredLine {
            quantity,
            name: "Old name".to_owned(),
            added_at_ms: 0,
        }
    }

    #[test]
    fn a_deleted_product_is_flagged_and_left_out_of_the_quote() {
        let (lamp, gone) = (ObjectId::new(), ObjectId::new());
        let (two, one) = (stored(2), stored(1));
        let product = Priced {
            id: lamp,
            name: "Lamp".to_owned(),
            price: Money::from_cents(1999),
            stock: 1,
            sku: None,
            in_variants: false,
        };
        let view = price(
            &[(lamp, &two, Some(product)), (gone, &one, None)],
            &Discounts::NONE,
        )
        .unwrap();

        assert_eq!(view.items[0].subtotal, Some(Money::from_cents(3998)));
        assert!(!view.items[0].in_stock, "2 wanted, 1 in stock");
        assert!(view.items[0].available);
        assert_eq!(view.items[1].name, "Old name");
        assert!(!view.items[1].available && view.items[1].price.is_none());
        assert_eq!(
            view.quote,
            pricing::quote(&[Money::from_cents(3998)], &Discounts::NONE)
                .unwrap()
                .into()
        );
    }
}
