//! The super admin and the staff (issue 19): roles given and taken, accounts disabled and
//! enabled, and the audit log of what staff did.

use serde_json::{Value, json};
use shared::{
    auth::{Role, actor::Actor},
    events::{Bus, Envelope, keys},
    testing::{bus_config, eventually, publish},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{PASSWORD, TestApp, WAIT, spawn_app, token};

async fn role(t: &TestApp, bearer: &str, id: &str, role: &str) -> (u16, Value) {
    t.request(
        "PUT",
        &format!("/customers/{id}/role"),
        Some(json!({ "role": role })),
        Some(bearer),
    )
    .await
}

async fn stored_role(t: &TestApp, admin: &str, id: &str) -> String {
    let (status, body) = t.get_as(&format!("/customers/{id}"), admin).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["role"].as_str().unwrap().to_owned()
}

/// The audit log's entries (newest first) as the super admin reads them.
async fn audit(t: &TestApp, owner: &str, query: &str) -> Vec<Value> {
    let (status, body) = t.get_as(&format!("/admin/audit?{query}"), owner).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_super_admin_makes_an_admin_whose_old_tokens_die_and_who_cannot_grant_roles() {
    let t = spawn_app().await;
    let owner = t.admin_token().await;
    let ada = t.register("ada.staff@example.com").await;
    let bob = t.register("bob.staff@example.com").await;
    let ada_id = ada["customer"]["id"].as_str().unwrap().to_owned();
    let bob_id = bob["customer"]["id"].as_str().unwrap().to_owned();

    // A customer cannot, and a bad role is refused: nothing changes.
    assert_eq!(role(&t, &token(&ada), &ada_id, "admin").await.0, 403);
    let (status, body) = role(&t, &owner, &ada_id, "super_admin").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["details"].get("role").is_some(), "{body}");
    assert_eq!(stored_role(&t, &owner, &ada_id).await, "customer");

    let (status, body) = role(&t, &owner, &ada_id, "admin").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["role"], "admin");
    // The token with the old role is dead; signing in again gives the new one.
    assert_eq!(t.get_as("/auth/me", &token(&ada)).await.0, 401);
    let (status, session) = t.login("ada.staff@example.com", PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["data"]["customer"]["role"], "admin");
    let ada_admin = token(&session["data"]);

    // An admin is staff, but grants nothing.
    assert_eq!(t.get_as("/customers", &ada_admin).await.0, 200);
    assert_eq!(role(&t, &ada_admin, &bob_id, "admin").await.0, 403);
    assert_eq!(stored_role(&t, &owner, &bob_id).await, "customer");
    assert_eq!(t.get_as("/admin/audit", &ada_admin).await.0, 403);

    // The super admin's own account is not changed here, nor is one that does not exist.
    let (_, me) = t.get_as("/auth/me", &owner).await;
    let owner_id = me["data"]["id"].as_str().unwrap();
    assert_eq!(role(&t, &owner, owner_id, "customer").await.0, 422);
    assert_eq!(
        role(&t, &owner, "65a1b2c3d4e5f60718293a4b", "admin")
            .await
            .0,
        404
    );

    // Demoted again: the admin token dies, and the log holds both changes, by the owner.
    let (status, _) = role(&t, &owner, &ada_id, "customer").await;
    assert_eq!(status, 200);
    assert_eq!(t.get_as("/customers", &ada_admin).await.0, 401);
    let entries = eventually("both role changes in the audit log", WAIT, || async {
        let entries = audit(&t, &owner, &format!("targetId={ada_id}")).await;
        (entries.len() == 2).then_some(entries)
    })
    .await;
    assert_eq!(entries[0]["summary"], "role admin → customer");
    assert_eq!(entries[1]["summary"], "role customer → admin");
    for entry in &entries {
        assert_eq!(entry["action"], "customer.role_changed");
        assert_eq!(entry["actorId"], owner_id);
        assert_eq!(entry["actorRole"], "super_admin");
        assert_eq!(entry["targetKind"], "customer");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_everywhere_and_cannot_sign_in_until_enabled() {
    let t = spawn_app().await;
    let owner = t.admin_token().await;
    let ada = t.register("ada.disabled@example.com").await;
    let id = ada["customer"]["id"].as_str().unwrap().to_owned();
    let refresh = ada["refreshToken"].as_str().unwrap().to_owned();
    let path = |what: &str| format!("/customers/{id}/{what}");

    // No reason, no disabling; a customer cannot disable anyone.
    let (status, _) = t
        .request("POST", &path("disable"), Some(json!({})), Some(&owner))
        .await;
    assert_eq!(status, 400);
    let (status, _) = t
        .request(
            "POST",
            &path("disable"),
            Some(json!({"reason": "x"})),
            Some(&token(&ada)),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(t.get_as("/auth/me", &token(&ada)).await.0, 200);

    let (status, body) = t
        .request(
            "POST",
            &path("disable"),
            Some(json!({"reason": "chargebacks"})),
            Some(&owner),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["disabled"], true);
    assert_eq!(t.get_as("/auth/me", &token(&ada)).await.0, 401);
    assert_eq!(t.refresh(&refresh).await.0, 401);
    let (status, body) = t.login("ada.disabled@example.com", PASSWORD).await;
    assert_eq!(status, 403, "{body}");
    // A wrong password still says only that.
    assert_eq!(
        t.login("ada.disabled@example.com", "wrong password!")
            .await
            .0,
        401
    );

    let (status, body) = t.request("POST", &path("enable"), None, Some(&owner)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["disabled"], false);
    assert_eq!(t.login("ada.disabled@example.com", PASSWORD).await.0, 200);

    let entries = eventually("the disabling and enabling in the log", WAIT, || async {
        let entries = audit(&t, &owner, &format!("targetId={id}")).await;
        (entries.len() == 2).then_some(entries)
    })
    .await;
    assert_eq!(entries[0]["action"], "customer.enabled");
    assert_eq!(entries[1]["action"], "customer.disabled");
    assert_eq!(entries[1]["summary"], "disabled: chargebacks");
    t.stop().await;
}

#[tokio::test]
async fn the_audit_log_keeps_a_staff_change_once_and_nothing_the_system_or_a_customer_did() {
    let t = spawn_app().await;
    let owner = t.admin_token().await;
    let bus = Bus::start(bus_config(&t.names), "test", CancellationToken::new());
    let staff = |id: &str, role: Role| {
        Some(Actor {
            id: id.to_owned(),
            role,
        })
    };
    let event = |kind: &str, data: Value, actor: Option<Actor>| {
        let mut event = Envelope::new(kind, "product-service", "test", data);
        event.actor = actor;
        event
    };
    let price = event(
        keys::PRODUCT_UPDATED,
        json!({ "id": "p1", "name": "Lamp", "price": 9.99, "stock": 4 }),
        staff("65a1b2c3d4e5f60718293a4b", Role::Admin),
    );
    // The same event twice (a redelivery), then what no staff did, then a later staff change.
    publish(&bus, &price).await;
    publish(&bus, &price).await;
    let by_customer = event(
        keys::ORDER_CANCELLED,
        json!({ "orderId": "o1", "reason": "changed my mind" }),
        staff("65a1b2c3d4e5f60718293a4c", Role::Customer),
    );
    publish(&bus, &by_customer).await;
    let by_system = event(
        keys::ORDER_STATUS_CHANGED,
        json!({ "orderId": "o2", "oldStatus": "PENDING", "newStatus": "PROCESSING" }),
        None,
    );
    publish(&bus, &by_system).await;
    let later = event(
        keys::ORDER_STATUS_CHANGED,
        json!({ "orderId": "o3", "oldStatus": "PROCESSING", "newStatus": "SHIPPED" }),
        staff("65a1b2c3d4e5f60718293a4b", Role::Admin),
    );
    publish(&bus, &later).await;

    let entries = eventually("the later staff change in the log", WAIT, || async {
        let entries = audit(&t, &owner, "").await;
        entries
            .iter()
            .any(|e| e["targetId"] == "o3")
            .then_some(entries)
    })
    .await;
    let targets: Vec<&str> = entries
        .iter()
        .map(|e| e["targetId"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["o3", "p1"], "once each, and only staff changes");
    assert_eq!(entries[0]["summary"], "PROCESSING → SHIPPED");
    assert_eq!(entries[1]["summary"], "Lamp: price 9.99, stock 4");
    assert_eq!(entries[1]["actorRole"], "admin");
    let by_action = audit(&t, &owner, "action=product.updated").await;
    assert_eq!(by_action.len(), 1);
    let (status, _) = t.get_as("/admin/audit?actorId=nope", &owner).await;
    assert_eq!(status, 400);
    t.stop().await;
}
