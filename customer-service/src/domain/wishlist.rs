//! The wishlist's rules, without I/O: what a wished product looked like when last seen, and
//! which news a newer sighting of it makes (a lower price, stock back from none).

use shared::Money;

/// A product as seen at one moment: from `product.updated`, or asked of product-service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// Its name.
    pub name: String,
    /// Its unit price.
    pub price: Money,
    /// Units in stock.
    pub stock: i64,
    /// The product's own `updatedAt`, in milliseconds: every change of it (price, stock)
    /// moves it, so a sighting no newer than the last one applied tells nothing new (a
    /// redelivered or overtaken event).
    pub updated_at: i64,
}

/// What changed for the people wishing a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct News {
    /// The price went down: from, to.
    pub price_dropped: Option<(Money, Money)>,
    /// The stock went from none to some.
    pub back_in_stock: bool,
}

impl News {
    /// Whether there is anything to tell.
    pub fn is_empty(&self) -> bool {
        self.price_dropped.is_none() && !self.back_in_stock
    }
}

/// The news `now` makes after `last`; `None` when `now` is not newer than `last` (nothing is
/// to be stored then either).
pub fn news(last: &Sighting, now: &Sighting) -> Option<News> {
    if now.updated_at <= last.updated_at {
        return None;
    }
    Some(News {
        price_dropped: (now.price < last.price).then_some((last.price, now.price)),
        back_in_stock: last.stock <= 0 && now.stock > 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(price: i64, stock: i64, at: i64) -> Sighting {
        Sighting {
            name: "Mug".into(),
            price: Money::from_cents(price),
            stock,
            updated_at: at,
        }
    }

    #[test]
    fn a_lower_price_and_stock_back_from_none_are_news() {
        let news = news(&seen(1000, 0, 1), &seen(800, 3, 2)).unwrap();
        assert_eq!(
            news.price_dropped,
            Some((Money::from_cents(1000), Money::from_cents(800)))
        );
        assert!(news.back_in_stock);
    }

    #[test]
    fn a_price_rise_more_stock_or_less_stock_are_no_news() {
        for now in [seen(1200, 5, 2), seen(1000, 9, 2), seen(1000, 0, 2)] {
            assert!(news(&seen(1000, 5, 1), &now).unwrap().is_empty(), "{now:?}");
        }
    }

    #[test]
    fn a_sighting_no_newer_than_the_last_is_ignored() {
        assert_eq!(news(&seen(1000, 0, 5), &seen(500, 5, 5)), None);
        assert_eq!(news(&seen(1000, 0, 5), &seen(500, 5, 4)), None);
    }
}
