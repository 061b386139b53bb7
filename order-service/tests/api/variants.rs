//! Variants (issue 19) through order-service and the real product-service: a product sold in
//! variants is not bought itself (the cart and `POST /orders` refuse it, naming what to
//! choose, and write nothing); a variant is bought by its id, and its line says which one
//! (its name with the options, its SKU); a sold-out variant ends the order `REJECTED` while
//! its sibling sells.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_without_fulfilment},
    requests::{call, order_body},
};

impl TestApp {
    /// Adds a variant to `product` in product-service (as an admin); its id.
    async fn variant(&self, product: &str, body: Value) -> String {
        let url = self.products.url(&format!("/products/{product}/variants"));
        let (status, answer) = call(
            &self.products.client,
            Method::POST,
            &url,
            Some(&self.admin),
            Some(&body),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
        answer["data"]["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn a_variant_is_bought_by_its_id_and_the_product_sold_in_variants_is_refused() {
    let t = spawn_without_fulfilment().await;
    let tee = t.product("Tee", 15.0, 9).await;
    let red = t
        .variant(
            &tee,
            json!({"sku": "TEE-RED-M", "color": "Red", "size": "M", "stock": 3}),
        )
        .await;
    let blue = t
        .variant(
            &tee,
            json!({"sku": "TEE-BLUE-M", "color": "Blue", "size": "M", "stock": 0, "price": 17.5}),
        )
        .await;
    let buyer = t.customer();

    // The product itself: refused by the cart and by an order, nothing written.
    let (status, body) = t.put_line(&buyer, &tee, json!(1)).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("variants"),
        "{body}"
    );
    assert_eq!(t.cart_count().await, 0);
    let (status, body) = t.place(&buyer.bearer, &order_body(&[(&tee, 1)])).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("items[0].productId"), "{body}");
    assert_eq!(t.order_count().await, 0);

    // A variant: in the cart under its options, and its line names it.
    let (status, body) = t.put_line(&buyer, &red, json!(2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["items"][0]["name"], "Tee (Red / M)");
    let order = t.place_ok(&buyer, &[(&red, 2)]).await;
    assert_eq!(order["items"][0]["sku"], "TEE-RED-M");
    assert_eq!(order["items"][0]["name"], "Tee (Red / M)");
    let id = order["id"].as_str().unwrap();
    t.wait_for_status(id, "PROCESSING").await;
    t.wait_for_stock(&red, 1).await;

    // The sold-out sibling, at its own price: placed, then rejected; nothing else moved.
    let sold_out = t.place_ok(&buyer, &[(&blue, 1)]).await;
    assert_eq!(sold_out["items"][0]["price"].to_string(), "17.5");
    let rejected = t
        .wait_for_status(sold_out["id"].as_str().unwrap(), "REJECTED")
        .await;
    assert!(
        rejected["rejectionReason"]
            .as_str()
            .unwrap()
            .contains(&blue),
        "{rejected}"
    );
    assert_eq!((t.stock_of(&red).await, t.stock_of(&blue).await), (1, 0));
    assert_eq!(
        t.stock_of(&tee).await,
        1,
        "the product shows its variants' stock"
    );
    t.stop().await;
}
