//! The audit log across the suite (issue 19): a staff member's change made through the gateway
//! in product- and order-service names them in its event, and customer-service's log keeps
//! it; a customer's own change and the system's are not kept.

use reqwest::Method;
use serde_json::{Value, json};
use shared::testing::eventually;

use crate::suite_helpers::{Fulfilment, WAIT, spawn_shop};

#[tokio::test]
async fn an_admins_price_and_status_changes_are_audited_with_who_made_them_and_a_customers_are_not()
{
    let shop = spawn_shop(Fulfilment::Off).await;
    let owner = shop
        .ok(Method::GET, "/api/auth/me", None, Some(&shop.admin))
        .await;
    let owner_id = owner["id"].as_str().unwrap().to_owned();
    let ada = shop.register("Ada", "ada.audit@example.com").await;
    let lamp = shop.product("Audited Lamp", 12.5, 5, &[]).await;
    let lamp_id = lamp["id"].as_str().unwrap().to_owned();

    // The customer cancels an order of their own: that is not staff's doing.
    let mine = shop.order(&ada, &lamp_id, 1).await;
    shop.ok(
        Method::POST,
        &format!("/api/orders/{mine}/cancel"),
        Some(&json!({ "reason": "changed my mind" })),
        Some(&ada.bearer),
    )
    .await;
    // Then the admin changes the price and moves an order on.
    let mut changed = lamp.clone();
    for field in [
        "id",
        "createdAt",
        "updatedAt",
        "rating",
        "stockStatus",
        "categoryId",
        "images",
    ] {
        changed.as_object_mut().unwrap().remove(field);
    }
    changed["price"] = json!(9.99);
    shop.ok(
        Method::PUT,
        &format!("/api/products/{lamp_id}"),
        Some(&changed),
        Some(&shop.admin),
    )
    .await;
    let shipped = shop.order(&ada, &lamp_id, 1).await;
    shop.set_status(&shipped, json!({ "status": "SHIPPED" }))
        .await;

    let entries: Vec<Value> = eventually("the status change in the audit log", WAIT, || async {
        let log = shop
            .ok(
                Method::GET,
                "/api/admin/audit?limit=100",
                None,
                Some(&shop.admin),
            )
            .await;
        let entries = log.as_array().unwrap().clone();
        entries
            .iter()
            .any(|e| e["action"] == "order.status_changed")
            .then_some(entries)
    })
    .await;
    let find = |action: &str, target: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action && e["targetId"] == target)
            .unwrap_or_else(|| panic!("no {action} of {target} in {entries:#?}"))
    };
    let price = find("product.updated", &lamp_id);
    assert!(
        price["summary"].as_str().unwrap().contains("price 9.99"),
        "{price}"
    );
    assert_eq!(price["source"], "product-service");
    let status = find("order.status_changed", &shipped);
    assert_eq!(status["summary"], "PROCESSING → SHIPPED");
    for entry in [price, status] {
        assert_eq!(entry["actorId"], owner_id.as_str());
        assert_eq!(entry["actorRole"], "super_admin");
    }
    assert!(
        entries.iter().all(|e| e["targetId"] != mine.as_str()),
        "the customer's own cancellation is not audited: {entries:#?}"
    );
    // Not for an admin, nor a customer.
    let (status, _) = shop
        .call(Method::GET, "/api/admin/audit", None, Some(&ada.bearer))
        .await;
    assert_eq!(status, 403);
    shop.stop().await;
}

#[tokio::test]
async fn an_admins_coupon_changes_are_audited_and_a_deleted_code_can_be_made_again() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let admin = Some(shop.admin.as_str());
    let coupon = json!({"code": "AUDIT15", "kind": "percent", "value": 15, "usageLimit": 100});
    shop.ok(Method::POST, "/api/coupons", Some(&coupon), admin)
        .await;
    let paused = json!({"active": false, "usageLimit": 50});
    shop.ok(Method::PATCH, "/api/coupons/audit15", Some(&paused), admin)
        .await;
    let (status, _) = shop
        .call(Method::DELETE, "/api/coupons/AUDIT15", None, admin)
        .await;
    assert_eq!(status, 204);
    let (status, _) = shop
        .call(Method::GET, "/api/coupons/AUDIT15", None, admin)
        .await;
    assert_eq!(status, 404, "a deleted coupon is not found");

    let entries: Vec<Value> =
        eventually("the coupon's deletion in the audit log", WAIT, || async {
            let log = shop
                .ok(
                    Method::GET,
                    "/api/admin/audit?targetId=AUDIT15",
                    None,
                    admin,
                )
                .await;
            let entries = log.as_array().unwrap().clone();
            entries
                .iter()
                .any(|e| e["action"] == "coupon.deleted")
                .then_some(entries)
        })
        .await;
    let summaries: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["summary"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summaries,
        [
            ("coupon.deleted", "AUDIT15 deleted"),
            ("coupon.updated", "changed: 15 % off, 50 uses, paused"),
            ("coupon.created", "created: 15 % off, 100 uses, active"),
        ],
        "newest first"
    );
    assert!(
        entries
            .iter()
            .all(|e| e["actorRole"] == "super_admin" && e["source"] == "order-service")
    );
    // The code is free again once its deletion has been announced.
    let again = json!({"code": "AUDIT15", "kind": "fixed", "value": 5});
    let made = eventually("the code made again", WAIT, || async {
        let (status, body) = shop
            .call(Method::POST, "/api/coupons", Some(&again), admin)
            .await;
        (status == 201).then_some(body)
    })
    .await;
    assert_eq!(made["data"]["used"], 0);
    assert_eq!(made["data"]["kind"], "fixed");
    shop.stop().await;
}
