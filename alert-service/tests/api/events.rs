//! Events from the other services become alerts, one per event.

use serde_json::json;
use shared::events::{Envelope, keys};

use crate::helpers::spawn_app;

fn event(kind: &str, source: &str, data: serde_json::Value) -> Envelope {
    Envelope::new(kind, source, "req-1", data)
}

#[tokio::test]
async fn each_event_kind_makes_the_right_alert_once_even_when_delivered_twice() {
    let app = spawn_app().await;
    let customer = "65a1b2c3d4e5f60718293a4b";
    let order = "65a1b2c3d4e5f60718293a4c";
    let events = [
        event(
            keys::ORDER_CREATED,
            "order-service",
            json!({"orderId": order, "customerId": customer,
            "items": [{"productId": "p1", "quantity": 2, "name": "Mug", "price": 4.5}], "total": 9.0,
            "createdAt": "2026-01-01T10:00:00.000Z"}),
        ),
        event(
            keys::ORDER_STATUS_CHANGED,
            "order-service",
            json!({"orderId": order, "customerId": customer,
            "oldStatus": "PENDING", "newStatus": "PROCESSING", "at": "2026-01-01T10:00:01.000Z", "index": 1,
            "order": {"id": order, "customerId": customer, "status": "PROCESSING"}}),
        ),
        event(
            keys::ORDER_CANCELLED,
            "order-service",
            json!({"orderId": order, "customerId": customer,
            "items": [{"productId": "p1", "quantity": 2}], "reason": "changed my mind"}),
        ),
        event(
            keys::STOCK_REJECTED,
            "product-service",
            json!({"orderId": order,
            "lines": [{"productId": "p1", "requested": 2, "available": 0, "reason": "insufficient_stock"}]}),
        ),
        event(
            keys::PRODUCT_STOCK_LOW,
            "product-service",
            json!({"productId": "p1", "name": "Mug", "stock": 0, "threshold": 5}),
        ),
        event(
            keys::SUPPORT_ESCALATED,
            "assistant-service",
            json!({"sessionId": "s1", "customerId": customer, "reason": "complaint"}),
        ),
        event(
            keys::LOGIN_BURST,
            "customer-service",
            json!({"email": "demo@example.com", "failures": 20, "windowSecs": 300,
            "detectedAt": "2026-01-01T10:00:02.000Z"}),
        ),
        event(
            keys::OUTBOX_PARKED,
            "order-service",
            json!({"collection": "orders", "documentId": order, "eventType": "order.created",
            "eventId": "0190c8a4-7b1e-7c3d-8e9f-0a1b2c3d4e5f", "reason": "unreadable: EOF"}),
        ),
    ];

    for e in &events {
        app.publish(e).await;
        app.publish(e).await;
    }
    let marker = event(
        keys::PRODUCT_STOCK_LOW,
        "product-service",
        json!({"productId": "p2", "name": "Pen", "stock": 1, "threshold": 5}),
    );
    app.publish(&marker).await;

    // One queue, consumed in order: once the marker's alert exists, every duplicate before
    // it has been handled too.
    let alerts = app.wait_total(9).await;
    let by_event = |e: &Envelope| {
        let id = e.id.to_string();
        let found: Vec<_> = alerts
            .iter()
            .filter(|a| a["eventId"] == id.as_str())
            .collect();
        assert_eq!(found.len(), 1, "one alert for {}", e.kind);
        found[0].clone()
    };
    let expected = [
        ("order.created", "orders", "info", "order", Some(customer)),
        (
            "order.status_changed",
            "orders",
            "info",
            "order",
            Some(customer),
        ),
        (
            "order.cancelled",
            "orders",
            "warning",
            "order",
            Some(customer),
        ),
        ("stock.rejected", "stock", "warning", "order", None),
        ("product.stock_low", "stock", "critical", "product", None),
        (
            "support.escalated",
            "support",
            "critical",
            "session",
            Some(customer),
        ),
        ("auth.login_burst", "security", "critical", "account", None),
        ("outbox.parked", "ops", "critical", "event", None),
    ];
    for (e, (kind, topic, severity, entity, who)) in events.iter().zip(expected) {
        let alert = by_event(e);
        assert_eq!(alert["type"], kind);
        assert_eq!(alert["topic"], topic);
        assert_eq!(alert["severity"], severity, "{alert}");
        assert_eq!(alert["entity"]["type"], entity);
        assert_eq!(alert["customerId"].as_str(), who);
        assert_eq!(alert["acknowledged"], false);
        assert!(alert["title"].as_str().is_some_and(|t| !t.is_empty()));
    }
    assert_eq!(by_event(&marker)["severity"], "warning");
    // Every alert.sent left through the outbox.
    shared::testing::eventually("the outbox to drain", crate::helpers::WAIT, || async {
        app.documents()
            .await
            .iter()
            .all(|d| shared::outbox::pending_count(d) == 0)
            .then_some(())
    })
    .await;

    app.stop().await;
}

#[tokio::test]
async fn a_malformed_event_is_dead_lettered_and_makes_no_alert() {
    let app = spawn_app().await;
    let bad = event(
        keys::ORDER_CREATED,
        "order-service",
        json!({"no": "order id"}),
    );
    app.publish(&bad).await;
    let good = event(
        keys::PRODUCT_STOCK_LOW,
        "product-service",
        json!({"productId": "p2", "name": "Pen", "stock": 1, "threshold": 5}),
    );
    app.publish(&good).await;

    let alerts = app.wait_total(1).await;
    assert_eq!(alerts[0]["eventId"], good.id.to_string());
    let dead = app.bus.dead_letter_queue();
    // Once by each consumer that reads `order.created`: the alerts' and the notifications'.
    shared::testing::eventually(
        "the malformed event dead-lettered",
        crate::helpers::WAIT,
        || async { (shared::testing::queue_depth(&app.bus, &dead).await == Some(2)).then_some(()) },
    )
    .await;

    app.stop().await;
}

#[tokio::test]
async fn a_new_tier_or_points_earned_alert_only_that_customer_once_on_the_loyalty_topic() {
    let app = spawn_app().await;
    let (customer, bearer) = app.customer();
    let (_, stranger) = app.customer();
    let changed = |points: i64, tier: &str, before: &str, moved: i64, reason: &str| {
        event(
            keys::LOYALTY_CHANGED,
            "customer-service",
            json!({"customerId": customer, "points": points, "held": 0, "lifetimePoints": points,
                "tier": tier, "previousTier": before,
                "change": {"at": "2026-12-05T10:00:00.000Z", "points": moved, "reason": reason}}),
        )
    };
    let earned = changed(300, "Bronze", "Bronze", 300, "ORDER_DELIVERED");
    let held = changed(100, "Bronze", "Bronze", -200, "POINTS_HELD");
    let silver = changed(1_350, "Silver", "Bronze", 1_250, "ADMIN_ADJUSTMENT");

    for e in [&earned, &held, &silver] {
        app.publish(e).await;
        app.publish(e).await;
    }
    let alerts = app.wait_total(2).await;
    let (status, mine) = app.alerts("?topic=loyalty", &bearer).await;
    let (_, theirs) = app.alerts("", &stranger).await;

    assert_eq!(status, 200, "{mine}");
    let mine = mine["data"].as_array().unwrap();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert_eq!(mine[0]["eventId"], silver.id.to_string());
    assert_eq!(mine[0]["title"], "Silver tier");
    assert_eq!(mine[1]["eventId"], earned.id.to_string());
    assert!(
        alerts
            .iter()
            .all(|a| a["topic"] == "loyalty" && a["customerId"] == customer.as_str())
    );
    assert_eq!(theirs["data"].as_array().map(Vec::len), Some(0), "{theirs}");
    app.stop().await;
}
