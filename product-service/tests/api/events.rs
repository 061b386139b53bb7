//! Catalog changes go out as `product.*` events through the outbox.

use serde_json::json;
use shared::events::keys;

use crate::{
    helpers::{WAIT, product, spawn_app},
    order_service::OrderService,
};

#[tokio::test]
async fn creating_updating_and_deleting_a_product_publishes_each_change() {
    let app = spawn_app().await;
    let watcher = OrderService::start(&app.names, &["product.*"]).await;

    let response = app
        .app
        .client
        .post(app.app.url("/products"))
        .header(
            "authorization",
            app.names.bearer("admin-7", shared::auth::Role::Admin),
        )
        .header("x-request-id", "req-create-42")
        .json(&product("Evented Teapot", 30.25, 4))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    let created = &created["data"];
    let id = created["id"].as_str().unwrap();

    let event = watcher
        .wait_for(keys::PRODUCT_CREATED, |d| d["id"] == id)
        .await;
    assert_eq!(
        event.data, *created,
        "the event carries the product as the API shows it"
    );
    assert_eq!(event.source, "product-service");
    assert_eq!(event.correlation_id, "req-create-42");
    assert_eq!(event.version, 1);

    let mut body = product("Evented Teapot", 31.0, 4);
    body["tags"] = json!(["tea"]);
    assert_eq!(app.replace(id, &body).await.0, 200);
    let updated = watcher
        .wait_for(keys::PRODUCT_UPDATED, |d| d["id"] == id)
        .await;
    assert_eq!(updated.data["price"].to_string(), "31.0");
    assert_eq!(updated.data["tags"], json!(["tea"]));

    assert_eq!(app.delete(id).await.0, 200);
    let deleted = watcher
        .wait_for(keys::PRODUCT_DELETED, |d| d["id"] == id)
        .await;
    assert_eq!(deleted.data, json!({ "id": id }));

    shared::testing::eventually("the outbox to empty", WAIT, || async {
        let stored = app.product_doc(id).await;
        (shared::outbox::pending_count(&stored) == 0).then_some(())
    })
    .await;
    for kind in [
        keys::PRODUCT_CREATED,
        keys::PRODUCT_UPDATED,
        keys::PRODUCT_DELETED,
    ] {
        assert_eq!(watcher.seen(kind).len(), 1, "{kind} once");
    }
    watcher.stop().await;
    app.stop().await;
}
