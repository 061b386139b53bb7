//! The wishlist through the gateway (issue 17): routed to customer-service with the caller's
//! token required, the product id and the optional body checked before anything is forwarded,
//! the product asked of product-service, and the routes listed in the API document.

use reqwest::Method;
use serde_json::json;

use crate::suite_helpers::{Fulfilment, spawn_shop};

#[tokio::test]
async fn a_storefront_wishes_and_lets_go_of_a_product_through_the_gateway_and_bad_calls_are_refused()
 {
    let shop = spawn_shop(Fulfilment::Off).await;
    let ada = shop.register("Ada", "ada.wish@example.com").await;
    let bob = shop.register("Bob", "bob.wish@example.com").await;
    let lamp = shop.product("Wish Lamp", 19.99, 10, &[]).await;
    let lamp = lamp["id"].as_str().unwrap();
    let path = format!("/api/wishlist/{lamp}");
    let me = Some(ada.bearer.as_str());

    let (anonymous, _) = shop.call(Method::PUT, &path, None, None).await;
    let (anonymous_list, _) = shop.call(Method::GET, "/api/wishlist", None, None).await;
    let (bad_id, bad_id_answer) = shop.call(Method::PUT, "/api/wishlist/nope", None, me).await;
    let (bad_body, bad_body_answer) = shop
        .call(Method::PUT, &path, Some(&json!({"note": 7})), me)
        .await;
    let (unknown, _) = shop
        .call(
            Method::PUT,
            "/api/wishlist/65a1b2c3d4e5f60718293a4b",
            None,
            me,
        )
        .await;
    let untouched = shop.ok(Method::GET, "/api/wishlist", None, me).await;
    let (added, item) = shop
        .call(
            Method::PUT,
            &path,
            Some(&json!({"note": "for the study"})),
            me,
        )
        .await;
    let (again, _) = shop.call(Method::PUT, &path, None, me).await;
    let adas = shop.ok(Method::GET, "/api/wishlist", None, me).await;
    let bobs = shop
        .ok(Method::GET, "/api/wishlist", None, Some(&bob.bearer))
        .await;
    let left = shop.ok(Method::DELETE, &path, None, me).await;
    let (_, doc) = shop
        .call(Method::GET, "/api/openapi.json", None, None)
        .await;

    assert_eq!((anonymous, anonymous_list), (401, 401));
    assert_eq!(bad_id, 400);
    assert!(
        bad_id_answer["error"]["details"]["productId"].is_string(),
        "{bad_id_answer}"
    );
    assert_eq!(bad_body, 400);
    assert!(
        bad_body_answer["error"]["details"]["note"].is_string(),
        "{bad_body_answer}"
    );
    assert_eq!(unknown, 404);
    assert_eq!(untouched, json!([]), "nothing written by a refusal");
    assert_eq!((added, again), (201, 200), "{item}");
    assert_eq!(
        (&item["data"]["name"], &item["data"]["price"]),
        (&json!("Wish Lamp"), &json!(19.99))
    );
    assert_eq!(adas.as_array().unwrap().len(), 1);
    assert_eq!(bobs, json!([]));
    assert_eq!(left, json!([]));
    let put = &doc["paths"]["/api/wishlist/{productId}"]["put"];
    assert_eq!(
        put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WishlistAdd"
    );
    assert_eq!(
        put["parameters"][0]["schema"]["pattern"],
        "^[0-9a-fA-F]{24}$"
    );
    assert!(doc["paths"]["/api/wishlist"]["get"].is_object());
    shop.stop().await;
}
