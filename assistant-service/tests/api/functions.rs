//! Each function end to end against the real services, called through the registry as the
//! engine calls it and through the chat; the caller's rights hold; a service that is down gives
//! a graceful answer.

use std::time::{Duration, Instant};

use assistant_service::{
    functions::{CallContext, FunctionError, shop},
    upstream::{ServiceUrls, Upstream},
};
use serde_json::json;

use crate::helpers::{Customer, Options, Suite, lower, spawn_suite, spawn_with};

fn registry(suite: &Suite) -> assistant_service::functions::Registry {
    shop::registry(Upstream::new(
        &ServiceUrls {
            products: suite.products.base_url.clone(),
            orders: suite.orders.base_url.clone(),
            customers: suite.customers.base_url.clone(),
        },
        Duration::from_secs(3),
        &shared::http::Trust::system(),
    ))
}

fn as_customer(c: &Customer) -> CallContext {
    CallContext {
        bearer: Some(c.bearer.trim_start_matches("Bearer ").to_owned()),
        customer_id: Some(c.id.clone()),
        request_id: "test".to_owned(),
    }
}

#[tokio::test]
async fn search_products_finds_the_catalog_s_matches() {
    let suite = spawn_suite().await;
    suite
        .product("Wireless Headphones", 89.0, 12, &["audio"])
        .await;
    suite.product("Garden Hose", 19.99, 4, &["outdoor"]).await;
    let functions = registry(&suite);

    let found = functions
        .execute(
            shop::SEARCH_PRODUCTS,
            json!({ "query": "headphones" }),
            &CallContext::default(),
        )
        .await
        .unwrap();
    let invalid = functions
        .execute(
            shop::SEARCH_PRODUCTS,
            json!({ "query": "", "limit": 99 }),
            &CallContext::default(),
        )
        .await
        .unwrap_err();
    let reply = suite
        .chat("Do you have wireless headphones?", None, None)
        .await;

    assert_eq!(found["count"], 1, "{found}");
    assert_eq!(found["products"][0]["name"], "Wireless Headphones");
    assert_eq!(found["products"][0]["price"], 89.0);
    assert!(
        matches!(invalid, FunctionError::InvalidArguments(ref d) if d.get("query").is_some() && d.get("limit").is_some())
    );
    assert_eq!(reply["intent"], "product_search");
    assert_eq!(reply["functionsCalled"], json!(["searchProducts"]));
    assert!(
        lower(&reply).contains("wireless headphones at $89.00 (in stock)"),
        "{reply}"
    );
    assert!(!lower(&reply).contains("garden hose"), "{reply}");
    suite.stop().await;
}

#[tokio::test]
async fn get_order_status_shows_the_caller_s_order_and_no_one_else_s() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let sam = suite.register("Sam Other", "sam@example.com").await;
    let lamp = suite.product("Desk Lamp", 24.5, 10, &[]).await;
    let order = suite.order(&alex, lamp["id"].as_str().unwrap(), 1).await;
    let functions = registry(&suite);
    let args = json!({ "orderId": order });

    let own = functions
        .execute(shop::GET_ORDER_STATUS, args.clone(), &as_customer(&alex))
        .await
        .unwrap();
    let other = functions
        .execute(shop::GET_ORDER_STATUS, args.clone(), &as_customer(&sam))
        .await;
    let anonymous = functions
        .execute(shop::GET_ORDER_STATUS, args, &CallContext::default())
        .await;
    let by_sam = suite
        .chat(&format!("where is order {order}?"), None, Some(&sam.bearer))
        .await;
    let anonymous_chat = suite
        .chat(&format!("where is order {order}?"), None, None)
        .await;

    assert_eq!(own["orderId"], order.as_str());
    assert_eq!(own["status"], "PROCESSING");
    assert_eq!(own["items"][0]["name"], "Desk Lamp");
    assert!(
        matches!(other, Err(FunctionError::NotFound(_))),
        "{other:?}"
    );
    assert_eq!(anonymous, Err(FunctionError::SignInRequired));
    assert!(lower(&by_sam).contains("couldn't find order"), "{by_sam}");
    assert!(!lower(&by_sam).contains("desk lamp"), "{by_sam}");
    assert!(
        lower(&anonymous_chat).contains("signed in"),
        "{anonymous_chat}"
    );
    suite.stop().await;
}

#[tokio::test]
async fn get_customer_orders_lists_only_the_caller_s_own_orders() {
    let suite = spawn_suite().await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let sam = suite.register("Sam Other", "sam@example.com").await;
    let mug = suite.product("Travel Mug", 12.0, 10, &[]).await;
    let first = suite.order(&alex, mug["id"].as_str().unwrap(), 1).await;
    let second = suite.order(&alex, mug["id"].as_str().unwrap(), 2).await;
    let functions = registry(&suite);

    let own = functions
        .execute(
            shop::GET_CUSTOMER_ORDERS,
            json!({ "email": "alex@example.com" }),
            &as_customer(&alex),
        )
        .await
        .unwrap();
    let others = functions
        .execute(
            shop::GET_CUSTOMER_ORDERS,
            json!({ "email": "alex@example.com" }),
            &as_customer(&sam),
        )
        .await;
    let reply = suite
        .chat("Show me my orders please", None, Some(&alex.bearer))
        .await;

    assert_eq!(own["total"], 2, "{own}");
    let ids: Vec<&str> = own["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&first.as_str()) && ids.contains(&second.as_str()),
        "{own}"
    );
    assert!(
        matches!(others, Err(FunctionError::NotFound(_))),
        "{others:?}"
    );
    assert_eq!(
        reply["functionsCalled"],
        json!(["getCustomerOrders"]),
        "{reply}"
    );
    assert!(lower(&reply).contains("i found 2 orders"), "{reply}");
    suite.stop().await;
}

#[tokio::test]
async fn a_service_that_is_down_gives_a_graceful_answer_not_an_error() {
    let suite = spawn_with(Options {
        orders_url: Some("http://127.0.0.1:9".to_owned()),
        ..Options::default()
    })
    .await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;

    let started = Instant::now();
    let reply = suite
        .chat(
            "where is order 65f1c2a9b4e8d7c6a5b4c3d2?",
            None,
            Some(&alex.bearer),
        )
        .await;

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(reply["functionsCalled"], json!(["getOrderStatus"]));
    assert!(
        lower(&reply).contains("can't reach our order system"),
        "{reply}"
    );
    suite.stop().await;
}
