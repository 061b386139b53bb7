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

use super::{
    Money,
    pricing::{self, Discounts, Quote, TooLarge},
};
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

/// A line as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CartLineView {
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

/// The cart's coupon as the API shows it: what it takes off, or why it does not apply now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponLine {
    /// The code, upper-cased.
    pub code: String,
    /// Whether it applies to the cart as it is now.
    pub applies: bool,
    /// What it takes off (for `free_shipping`: the shipping it saves); 0 when it does not apply.
    pub discount: Money,
    /// Why it does not apply (`expired`, `paused`, ...), as a checkout would refuse it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The same for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A cart as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CartView {
    /// The lines, oldest first.
    pub items: Vec<CartLineView>,
    /// The coupon applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<CouponLine>,
    /// The price of the available lines.
    pub quote: Quote,
}

/// Prices `lines` (stored line and the product as it is now, `None` when it is gone).
pub fn price(
    lines: &[(ObjectId, &StoredLine, Option<Priced>)],
    discounts: &Discounts,
) -> Result<CartView, TooLarge> {
    let mut items = Vec::with_capacity(lines.len());
    let mut subtotals = Vec::with_capacity(lines.len());
    for (id, line, product) in lines {
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
        quote: pricing::quote(&subtotals, discounts)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            pricing::quote(&[Money::from_cents(3998)], &Discounts::NONE).unwrap()
        );
    }
}
