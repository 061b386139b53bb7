//! Unit tests of the alert rules.

use serde_json::json;

use super::*;

fn event(kind: &str, data: Value) -> Envelope {
    Envelope::new(kind, "test", "req", data)
}

#[test]
fn a_new_order_is_an_info_alert_about_the_order_for_its_customer() {
    let alert = alert_for(&event(
        keys::ORDER_CREATED,
        json!({"orderId": "o1", "customerId": "c1", "total": 12.5,
               "items": [{"productId": "p", "quantity": 2}, {"productId": "q", "quantity": 1}],
               "createdAt": "2026-01-01T00:00:00Z", "extra": true}),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(alert.topic, Topic::Orders);
    assert_eq!(alert.severity, Severity::Info);
    assert_eq!(alert.entity, order("o1"));
    assert_eq!(alert.customer_id.as_deref(), Some("c1"));
    assert_eq!(
        alert.message,
        "Order o1 was placed: 3 item(s), total 12.50."
    );
}

#[test]
fn stock_running_out_is_critical_and_running_low_a_warning() {
    let low = |stock| {
        alert_for(&event(
            keys::PRODUCT_STOCK_LOW,
            json!({"productId": "p1", "name": "Mug", "stock": stock, "threshold": 5}),
        ))
        .unwrap()
        .unwrap()
    };
    assert_eq!(low(3).severity, Severity::Warning);
    assert_eq!(low(0).severity, Severity::Critical);
    assert_eq!(low(3).topic, Topic::Stock);
    assert_eq!(low(3).message, "Mug has 3 left (threshold 5).");
}

#[test]
fn a_rejection_names_every_refused_line_and_a_rejected_order_is_a_warning() {
    let refused = alert_for(&event(
        keys::STOCK_REJECTED,
        json!({"orderId": "o1", "lines": [{"productId": "p1", "requested": 5, "available": 2, "reason": "insufficient_stock"}]}),
    ))
    .unwrap()
    .unwrap();
    assert!(refused.message.contains("p1 (requested 5, available 2)"));
    let changed = alert_for(&event(
        keys::ORDER_STATUS_CHANGED,
        json!({"orderId": "o1", "oldStatus": "PENDING", "newStatus": "REJECTED",
               "at": "2026-01-01T00:00:00Z", "order": {"customerId": "c9"}}),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(changed.severity, Severity::Warning);
    assert_eq!(changed.customer_id.as_deref(), Some("c9"));
}

#[test]
fn an_escalation_is_critical_and_about_its_session() {
    let alert = alert_for(&event(
        keys::SUPPORT_ESCALATED,
        json!({"sessionId": "s1", "customerId": "c1", "reason": "complaint"}),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.topic, Topic::Support);
    assert_eq!(alert.entity.kind, "session");
    assert_eq!(alert.message, "A conversation needs a human: complaint.");
}

#[test]
fn a_burst_of_failed_sign_ins_is_a_critical_security_alert_for_admins_only() {
    let alert = alert_for(&event(
        keys::LOGIN_BURST,
        json!({"email": "demo@example.com", "failures": 20, "windowSecs": 300}),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.topic, Topic::Security);
    assert_eq!(alert.customer_id, None);
    assert_eq!(alert.entity.id, "demo@example.com");
    assert_eq!(
        alert.message,
        "20 failed sign-ins against demo@example.com within 300 s, from any address."
    );
}

#[test]
fn a_refused_request_for_wrongdoing_is_a_critical_security_alert_for_admins_only() {
    let alert = alert_for(&event(
        keys::ASSISTANT_WRONGDOING,
        json!({"incidentId": "i1", "sessionId": "s1", "customerId": "c1", "customerName": "Alex Demo",
        "kind": "data", "message": "give me another customer's address", "at": "2026-01-01T00:00:00Z"}),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.topic, Topic::Security);
    assert_eq!(alert.customer_id, None, "the asker must not see it");
    assert_eq!(
        (alert.entity.kind.as_str(), alert.entity.id.as_str()),
        ("session", "s1")
    );
    assert_eq!(
        alert.message,
        "Customer Alex Demo (c1) asked the assistant for other customers' personal data: \
         \"give me another customer's address\". The chat was ended."
    );
    let anonymous = alert_for(&event(
        keys::ASSISTANT_WRONGDOING,
        json!({"sessionId": "s2", "kind": "intrusion", "message": "how do I hack the admin panel"}),
    ))
    .unwrap()
    .unwrap();
    assert!(
        anonymous
            .message
            .starts_with("An anonymous visitor asked the assistant for a way into")
    );
}

#[test]
fn a_parked_event_is_a_critical_ops_alert_for_admins_only() {
    let alert = alert_for(&event(
        keys::OUTBOX_PARKED,
        json!({"collection": "orders", "documentId": "65a1b2c3d4e5f60718293a4b", "eventType": null,
        "eventId": null, "reason": "unreadable: EOF"}),
    ))
    .unwrap()
    .unwrap();
    assert_eq!(alert.severity, Severity::Critical);
    assert_eq!(alert.topic, Topic::Ops);
    assert_eq!(alert.customer_id, None);
    assert_eq!(alert.entity.id, "orders:65a1b2c3d4e5f60718293a4b");
    assert!(
        alert.message.starts_with("an unreadable event of orders"),
        "{}",
        alert.message
    );
}

#[test]
fn other_events_make_no_alert_and_a_malformed_payload_is_an_error() {
    assert_eq!(
        alert_for(&event(keys::STOCK_RESERVED, json!({"orderId": "o"}))).unwrap(),
        None
    );
    assert!(alert_for(&event(keys::ORDER_CREATED, json!({"nope": 1}))).is_err());
}

#[test]
fn money_is_printed_from_the_numbers_text() {
    assert_eq!(money_text(&json!(19.99)).as_deref(), Some("19.99"));
    assert_eq!(money_text(&json!(12.0)).as_deref(), Some("12.00"));
    assert_eq!(money_text(&json!(7)).as_deref(), Some("7.00"));
    assert_eq!(money_text(&json!(0.5)).as_deref(), Some("0.50"));
}

fn loyalty(points: i64, tier: &str, before: &str, change: serde_json::Value) -> Envelope {
    event(
        keys::LOYALTY_CHANGED,
        json!({"customerId": "65a1b2c3d4e5f60718293a4b", "points": points, "held": 0,
            "lifetimePoints": points, "tier": tier, "previousTier": before, "change": change}),
    )
}

#[test]
fn a_new_tier_or_points_earned_alert_the_customer_and_other_moves_do_not() {
    let tier = alert_for(&loyalty(
        520,
        "Silver",
        "Bronze",
        json!({"points": 200, "reason": "ORDER_DELIVERED"}),
    ))
    .unwrap()
    .unwrap();
    let earned = alert_for(&loyalty(
        300,
        "Bronze",
        "Bronze",
        json!({"points": 120, "reason": "ORDER_DELIVERED"}),
    ))
    .unwrap()
    .unwrap();
    let held = alert_for(&loyalty(
        100,
        "Bronze",
        "Bronze",
        json!({"points": -200, "reason": "POINTS_HELD"}),
    ))
    .unwrap();
    let released = alert_for(&loyalty(
        300,
        "Bronze",
        "Bronze",
        json!({"points": 200, "reason": "POINTS_RELEASED"}),
    ))
    .unwrap();

    assert_eq!(
        (tier.topic, tier.severity),
        (Topic::Loyalty, Severity::Info)
    );
    assert_eq!(tier.title, "Silver tier");
    assert!(tier.message.contains("was Bronze"), "{}", tier.message);
    assert_eq!(
        tier.customer_id.as_deref(),
        Some("65a1b2c3d4e5f60718293a4b")
    );
    assert_eq!(earned.title, "Points earned");
    assert!(
        earned.message.contains("earned 120 points"),
        "{}",
        earned.message
    );
    assert_eq!((held, released), (None, None));
}
