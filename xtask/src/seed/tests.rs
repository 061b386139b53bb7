//! The pure parts of the seed: reading the aggregate health and how the outcome is told.

use super::*;

#[test]
fn both_services_must_be_listed_in_the_aggregate_health() {
    let body = r#"{"success":true,"data":{"status":"degraded","services":{
        "customer-service":{"status":"ok"},"order-service":{"status":"down"}}}}"#;
    let reply = health::Reply::from_body(200, body);
    assert_eq!(
        states(&reply),
        [
            ("customer-service", "ok".to_owned()),
            ("product-service", "missing".to_owned())
        ]
    );
}

#[test]
fn logins_say_when_the_password_is_the_development_default() {
    let admin = DemoLogin {
        role: "admin",
        email: "admin@example.com".into(),
        password: "admin-dev-password".into(),
        note: Some("(development default)"),
    };
    assert_eq!(
        admin.to_string(),
        "admin@example.com / admin-dev-password (development default)"
    );
    let demo = DemoLogin {
        note: None,
        role: "customer",
        email: "demo@example.com".into(),
        password: "demo-password".into(),
    };
    assert_eq!(demo.to_string(), "demo@example.com / demo-password");
}

#[test]
fn the_outcome_says_what_was_created_and_what_was_skipped() {
    let mut outcome = Outcome {
        api_url: "http://127.0.0.1:5000/api".into(),
        products_created: 25,
        catalog_found: None,
        customers_created: 12,
        customers_existing: 0,
        logins: Vec::new(),
        orders: orders::Seeded::default(),
    };
    assert_eq!(outcome.products_line(), "25 created");
    assert_eq!(outcome.customers_line(), "12 created, 0 already there");
    outcome.products_created = 0;
    outcome.catalog_found = Some(31);
    assert_eq!(
        outcome.products_line(),
        "skipped: the catalog already holds 31 products"
    );
}
