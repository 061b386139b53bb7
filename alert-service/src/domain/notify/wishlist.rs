//! A customer's wishlist (customer-service's `wishlist.back_in_stock` and
//! `wishlist.price_dropped`, one event per wishing customer and change): the product can be
//! bought again, or costs less than it did.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{money_text, new};
use crate::domain::notification::{Kind, NewNotification};

/// The part of a wishlist event this reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct News {
    customer_id: String,
    product_id: String,
    name: String,
    old_price: Option<Value>,
    new_price: Option<Value>,
}

/// `wishlist.back_in_stock`.
pub(super) fn back_in_stock(data: News) -> NewNotification {
    let price = data.new_price.as_ref().and_then(money_text);
    let at = price
        .as_ref()
        .map_or_else(String::new, |p| format!(", at {p}"));
    new(
        data.customer_id,
        Kind::WishlistBackInStock,
        format!("{} is back in stock", data.name),
        format!("{} from your wishlist is in stock again{at}.", data.name),
        None,
        json!({ "productId": data.product_id, "price": price }),
    )
}

/// `wishlist.price_dropped`.
pub(super) fn price_dropped(data: News) -> NewNotification {
    let old = data.old_price.as_ref().and_then(money_text);
    let now = data.new_price.as_ref().and_then(money_text);
    let change = match (&old, &now) {
        (Some(old), Some(now)) => format!(" from {old} to {now}"),
        (None, Some(now)) => format!(" to {now}"),
        _ => String::new(),
    };
    new(
        data.customer_id,
        Kind::WishlistPriceDropped,
        format!("{} costs less now", data.name),
        format!("{} from your wishlist dropped in price{change}.", data.name),
        None,
        json!({ "productId": data.product_id, "oldPrice": old, "price": now }),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::events::{Envelope, keys};

    use super::super::notification_for;
    use crate::domain::notification::{Category, Kind};

    fn event(kind: &str) -> Envelope {
        Envelope::new(
            kind,
            "customer-service",
            "r",
            json!({"customerId": "c1", "productId": "p1", "name": "Trail Mug",
                   "oldPrice": 12.5, "newPrice": 9.99, "stock": 3}),
        )
    }

    #[test]
    fn wishlist_news_tell_the_wishing_customer_under_the_wishlist_preference() {
        let dropped = notification_for(&event(keys::WISHLIST_PRICE_DROPPED))
            .unwrap()
            .unwrap();
        assert_eq!(
            (dropped.kind, dropped.customer_id.as_str()),
            (Kind::WishlistPriceDropped, "c1")
        );
        assert_eq!(dropped.kind.category(), Category::Wishlist);
        assert!(
            dropped.message.contains("from 12.50 to 9.99"),
            "{}",
            dropped.message
        );
        let back = notification_for(&event(keys::WISHLIST_BACK_IN_STOCK))
            .unwrap()
            .unwrap();
        assert_eq!(back.kind, Kind::WishlistBackInStock);
        assert!(back.title.contains("Trail Mug"), "{}", back.title);
        assert_eq!(back.details["productId"], "p1");
        let broken = Envelope::new(keys::WISHLIST_BACK_IN_STOCK, "x", "r", json!({}));
        assert!(notification_for(&broken).is_err());
    }
}
