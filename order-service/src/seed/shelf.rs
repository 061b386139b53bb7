//! The products the seed's orders take, with the stock each has left as the plan goes, so
//! that product-service can reserve every planned order (when the relay publishes them) and
//! refuses the rejected ones, as it did "then".

use bson::oid::ObjectId;

use super::SeedProduct;
use crate::{
    domain::{Line, Money, request::MAX_QUANTITY},
    events::payloads::{RejectedLine, StockRejected},
};

/// How product-service names a line it could not reserve for lack of stock (`stock.rejected`).
const INSUFFICIENT_STOCK: &str = "insufficient_stock";

struct Product {
    id: String,
    name: String,
    price: Money,
    /// Stock when the seed started; `None` when not given (taken as unlimited).
    stock: Option<i64>,
    /// What is left after the orders planned so far.
    left: Option<i64>,
}

/// The catalog, by id, and what the planned orders took from it.
pub(super) struct Shelf {
    products: Vec<Product>,
}

impl Shelf {
    /// Checks every product (id, name, price with at most two decimals, stock not negative).
    pub(super) fn new(products: &[SeedProduct]) -> Result<Self, String> {
        let mut checked = Vec::with_capacity(products.len());
        for (i, p) in products.iter().enumerate() {
            let id = ObjectId::parse_str(p.id.trim())
                .map_err(|_| format!("products[{i}].id: not an ObjectId: {:?}", p.id))?;
            let name = p.name.trim();
            if name.is_empty() {
                return Err(format!("products[{i}].name: must not be empty"));
            }
            let price =
                Money::from_number(&p.price).map_err(|e| format!("products[{i}].price: {e}"))?;
            if p.stock.is_some_and(|s| s < 0) {
                return Err(format!("products[{i}].stock: must not be negative"));
            }
            checked.push(Product {
                id: id.to_hex(),
                name: name.to_owned(),
                price,
                stock: p.stock,
                left: p.stock,
            });
        }
        if checked.is_empty() {
            return Err("no products: the orders need something to buy".to_owned());
        }
        // Independent of the order the catalog was listed in.
        checked.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Self { products: checked })
    }

    /// Up to `wanted` lines of distinct products (not `except`) for the order at `index`, 1 to
    /// 3 units each and never more than is left (none when nothing is); with `take`, the
    /// units are counted as gone.
    pub(super) fn lines(
        &mut self,
        index: usize,
        wanted: usize,
        take: bool,
        except: Option<&str>,
    ) -> Result<Vec<Line>, String> {
        let count = self.products.len();
        let start = index * 7 % count;
        let mut lines = Vec::with_capacity(wanted);
        for step in 0..count {
            if lines.len() == wanted {
                break;
            }
            let product = &mut self.products[(start + step) % count];
            if except == Some(product.id.as_str()) {
                continue;
            }
            let mut quantity = 1 + (index + lines.len()) % 3;
            if let Some(left) = product.left {
                quantity = quantity.min(usize::try_from(left).unwrap_or(0));
                if quantity == 0 {
                    continue;
                }
                if take {
                    product.left = Some(left - i64::try_from(quantity).unwrap_or(0));
                }
            }
            lines.push(line(product, quantity)?);
        }
        Ok(lines)
    }

    /// The line that gets the `nth` rejected order refused: one more unit than the product
    /// ever had (the products with the least stock first), and the reason product-service
    /// gives for it. Without a known stock below the per-line maximum, the maximum is asked.
    pub(super) fn short_line(
        &self,
        nth: usize,
        order_id: &ObjectId,
    ) -> Result<(Line, String), String> {
        let max = i64::from(MAX_QUANTITY);
        let mut scarce: Vec<&Product> = self
            .products
            .iter()
            .filter(|p| p.stock.is_some_and(|s| s < max))
            .collect();
        scarce.sort_by_key(|p| p.stock);
        let (product, requested) = match scarce.get(nth % scarce.len().max(1)) {
            Some(p) => (*p, p.stock.unwrap_or(0) + 1),
            None => (&self.products[nth % self.products.len()], max),
        };
        let reason = StockRejected {
            order_id: order_id.to_hex(),
            lines: vec![RejectedLine {
                product_id: product.id.clone(),
                requested: Some(requested),
                available: product.left,
                reason: Some(INSUFFICIENT_STOCK.to_owned()),
            }],
        }
        .reason();
        let quantity = usize::try_from(requested).map_err(|e| e.to_string())?;
        Ok((line(product, quantity)?, reason))
    }
}

fn line(product: &Product, quantity: usize) -> Result<Line, String> {
    let quantity = u32::try_from(quantity).map_err(|e| e.to_string())?;
    Line::priced(
        product.id.clone(),
        product.name.clone(),
        product.price,
        quantity,
    )
    .ok_or_else(|| format!("{}: the price is too large", product.id))
}
