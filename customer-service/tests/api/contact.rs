//! Service identity (issue 17): another service of the suite reads a customer's contact on
//! `GET /internal/customers/{id}/contact` with a short-lived service token minted from the
//! suite's service key, and with nothing else; the token opens no other route.

use std::time::Duration;

use shared::auth::service::{CUSTOMER_CONTACT, STAFF_RECIPIENTS, ServiceSigner};

use shared::testing::TestNames;

use crate::helpers::{spawn_app, spawn_starting, token};

#[tokio::test]
async fn a_service_token_reads_a_customers_contact_and_nothing_else() {
    let app = spawn_app().await;
    let session = app.register("ada@example.com").await;
    let id = session["customer"]["id"].as_str().unwrap().to_owned();
    let path = format!("/internal/customers/{id}/contact");
    let service = app.service_key.mint(CUSTOMER_CONTACT).unwrap();

    let (status, contact) = app.get_as(&path, &service).await;
    let (unknown, _) = app
        .get_as(
            "/internal/customers/65a1b2c3d4e5f60718293a4b/contact",
            &service,
        )
        .await;
    let (bad_id, bad_body) = app
        .get_as("/internal/customers/nope/contact", &service)
        .await;
    // The same token on the routes an admin's token opens.
    let (record, _) = app.get_as(&format!("/customers/{id}"), &service).await;
    let (listing, _) = app.get_as("/customers?page=1", &service).await;
    let (me, _) = app.get_as("/auth/me", &service).await;

    assert_eq!(status, 200, "{contact}");
    assert_eq!(contact["data"]["id"], id.as_str());
    assert_eq!(contact["data"]["email"], "ada@example.com");
    assert_eq!(contact["data"]["name"], "Ada Lovelace");
    let typed: shared::api::customers::Contact =
        serde_json::from_value(contact["data"].clone()).expect("the declared answer type");
    assert_eq!(typed.email, "ada@example.com");
    assert_eq!(unknown, 404);
    assert_eq!(bad_id, 400, "{bad_body}");
    assert_eq!(
        (record, listing, me),
        (401, 401, 401),
        "a service token is no access token"
    );
    app.stop().await;
}

#[tokio::test]
async fn user_tokens_foreign_keys_other_audiences_and_old_tokens_are_refused_on_the_internal_route()
{
    let app = spawn_app().await;
    let session = app.register("bo@example.com").await;
    let id = session["customer"]["id"].as_str().unwrap().to_owned();
    let path = format!("/internal/customers/{id}/contact");
    let admin = app.admin_token().await;
    let stranger = ServiceSigner::generate("alert-service")
        .mint(CUSTOMER_CONTACT)
        .unwrap();
    let elsewhere = app.service_key.mint("order-service/internal").unwrap();
    let stale = app
        .service_key
        .mint_for(CUSTOMER_CONTACT, Duration::ZERO)
        .unwrap();

    let (as_admin, body) = app.get_as(&path, &admin).await;
    let (as_customer, _) = app.get_as(&path, &token(&session)).await;
    let (foreign, _) = app.get_as(&path, &stranger).await;
    let (other_audience, _) = app.get_as(&path, &elsewhere).await;
    let (anonymous, _) = app.request("GET", &path, None, None).await;
    // Past the verifier's few seconds of leeway for clock skew.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let (expired, _) = app.get_as(&path, &stale).await;

    assert_eq!(
        as_admin, 401,
        "an admin's token is no service token: {body}"
    );
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert_eq!(as_customer, 401);
    assert_eq!(foreign, 401);
    assert_eq!(other_audience, 401);
    assert_eq!(anonymous, 401);
    assert_eq!(expired, 401);
    app.stop().await;
}

#[tokio::test]
async fn the_staff_list_names_every_active_admin_and_the_owner_for_a_staff_token_only() {
    let app = spawn_app().await;
    let owner = app.admin_token().await;
    let mut ids = Vec::new();
    for email in [
        "cy.staff@example.com",
        "di.staff@example.com",
        "ed.customer@example.com",
    ] {
        let session = app.register(email).await;
        ids.push(session["customer"]["id"].as_str().unwrap().to_owned());
    }
    for id in &ids[..2] {
        let path = format!("/customers/{id}/role");
        let (status, body) = app
            .request(
                "PUT",
                &path,
                Some(serde_json::json!({"role": "admin"})),
                Some(&owner),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let disable = format!("/customers/{}/disable", ids[1]);
    let (status, body) = app
        .request(
            "POST",
            &disable,
            Some(serde_json::json!({"reason": "left the shop"})),
            Some(&owner),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let staff = app.service_key.mint(STAFF_RECIPIENTS).unwrap();
    let (status, body) = app.get_as("/internal/staff", &staff).await;
    assert_eq!(status, 200, "{body}");
    let listed: Vec<shared::api::customers::Contact> =
        serde_json::from_value(body["data"].clone()).expect("the declared answer type");
    let mut emails: Vec<&str> = listed.iter().map(|c| c.email.as_str()).collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        [crate::helpers::ADMIN_EMAIL, "cy.staff@example.com"],
        "the owner and the active admin; not the disabled admin nor the customer"
    );
    assert!(listed.iter().any(|c| c.id == ids[0]), "{listed:?}");

    let contact = app.service_key.mint(CUSTOMER_CONTACT).unwrap();
    assert_eq!(
        app.get_as("/internal/staff", &contact).await.0,
        401,
        "another audience"
    );
    assert_eq!(
        app.get_as("/internal/staff", &owner).await.0,
        401,
        "an admin's token"
    );
    app.stop().await;
}

/// The staff list waits for the owner's account: a list taken before it exists leaves the owner
/// out, and the weekly report that analytics-service issues as the suite starts on a Monday
/// reached no one (CI at ae3c0d4). Here the account cannot be made (its password is too short,
/// so the start-up step retries for ever): the list answers 503, which alert-service retries,
/// and `/health` names the step.
#[tokio::test]
async fn the_staff_list_answers_503_until_the_admin_account_exists() {
    let app = spawn_starting(TestNames::new(), |config| {
        config.admin_password = "short".to_owned().into();
    })
    .await;
    let staff = app.service_key.mint(STAFF_RECIPIENTS).unwrap();
    let (status, body) = app.get_as("/internal/staff", &staff).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("admin-account")),
        "{body}"
    );
    let health = app.app.wait_status("degraded", crate::helpers::WAIT).await;
    assert_eq!(
        health["dependencies"]["admin-account"], "pending",
        "{health}"
    );
    assert_eq!(health["dependencies"]["mongodb"], "up", "{health}");
    app.stop().await;
}
