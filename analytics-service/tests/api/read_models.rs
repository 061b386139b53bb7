//! The read models: revenue per day, dashboard metrics, top products and the assistant's
//! figures, each event applied once however often it arrives.

use serde_json::json;
use shared::events::{Envelope, keys};

use crate::helpers::{events::*, spawn_app};

#[tokio::test]
async fn daily_revenue_for_a_range_is_the_cent_exact_sum_of_its_accepted_orders_with_zero_days_present()
 {
    let app = spawn_app().await;
    let c = "c1";
    app.publish_all(&[
        created("a", c, "2026-02-01T00:00:00.000Z", &[("p1", 3, 19.99)]),
        changed("a", c, "PENDING", "PROCESSING", 1),
        created("b", c, "2026-02-01T23:59:59.999Z", &[("p2", 3, 0.1)]),
        changed("b", c, "PENDING", "PROCESSING", 1),
        changed("b", c, "PROCESSING", "SHIPPED", 2),
        created(
            "c",
            c,
            "2026-02-03T12:00:00.000+02:00",
            &[("p1", 1, 100.01)],
        ),
        changed("c", c, "PENDING", "PROCESSING", 1),
        // Invoiced and not yet accepted: nothing is recognised while it is PENDING.
        created("h", c, "2026-02-01T12:00:00.000Z", &[("p1", 1, 7.0)]),
        // Cancelled before its creation arrives: it must never count.
        cancelled("d", c),
        created("d", c, "2026-02-03T12:00:00.000Z", &[("p3", 1, 5.55)]),
        changed("d", c, "PENDING", "PROCESSING", 1),
        created("e", c, "2026-02-03T13:00:00.000Z", &[("p3", 2, 7.0)]),
        rejected("e"),
        changed("e", c, "PENDING", "REJECTED", 1),
        created("f", c, "2026-02-05T00:00:00.000Z", &[("p1", 1, 1.0)]),
        changed("f", c, "PENDING", "PROCESSING", 1),
        created("g", c, "2026-01-31T23:59:59.999Z", &[("p1", 1, 2.0)]),
        changed("g", c, "PENDING", "PROCESSING", 1),
    ])
    .await;

    let rows = app
        .data("/analytics/daily-revenue?from=2026-02-01&to=2026-02-04")
        .await;

    assert_eq!(
        rows,
        json!([
            {"date": "2026-02-01", "revenue": 60.27, "gross": 60.27, "refunds": 0.0, "net": 60.27,
                "orderCount": 2, "newCustomers": 0},
            {"date": "2026-02-02", "revenue": 0.0, "gross": 0.0, "refunds": 0.0, "net": 0.0,
                "orderCount": 0, "newCustomers": 0},
            {"date": "2026-02-03", "revenue": 100.01, "gross": 100.01, "refunds": 0.0, "net": 100.01,
                "orderCount": 1, "newCustomers": 0},
            {"date": "2026-02-04", "revenue": 0.0, "gross": 0.0, "refunds": 0.0, "net": 0.0,
                "orderCount": 0, "newCustomers": 0},
        ])
    );
    let (status, body) = app
        .get(
            "/analytics/daily-revenue?from=2026-02-04&to=2026-02-01",
            Some(&app.admin),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["details"]["from"], "must not be after to",
        "{body}"
    );
    let (status, body) = app
        .get(
            "/analytics/daily-revenue?from=2026-02-31&to=2026-03-01",
            Some(&app.admin),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["from"].is_string());

    app.stop().await;
}

fn batch() -> Vec<Envelope> {
    let replied = |intent: &str, functions: &[&str], ms: i64| {
        Envelope::new(
            keys::ASSISTANT_REPLIED,
            "assistant-service",
            "req",
            json!({
                "sessionId": "s1", "customerId": null, "intent": intent, "confidence": 0.9,
                "functions": functions, "latencyMs": ms, "citations": [], "citationsValid": true, "llm": false,
            }),
        )
    };
    vec![
        created(
            "o1",
            "c1",
            "2026-03-01T10:00:00.000Z",
            &[("p1", 2, 10.5), ("p2", 1, 0.99)],
        ),
        changed("o1", "c1", "PENDING", "PROCESSING", 1),
        created("o2", "c2", "2026-03-02T10:00:00.000Z", &[("p2", 5, 0.99)]),
        changed("o2", "c2", "PENDING", "PROCESSING", 1),
        created("o3", "c2", "2026-03-02T11:00:00.000Z", &[("p1", 1, 10.5)]),
        changed("o3", "c2", "PENDING", "CANCELLED", 1),
        cancelled("o3", "c2"),
        Envelope::new(
            keys::CUSTOMER_REGISTERED,
            "customer-service",
            "req",
            json!({"customerId": "c1", "name": "Ada", "email": "ada@example.com", "registeredAt": "2026-03-01T09:00:00.000Z"}),
        ),
        Envelope::new(
            keys::CUSTOMER_REGISTERED,
            "customer-service",
            "req",
            json!({"customerId": "c2", "name": "Bob", "email": "bob@example.com", "registeredAt": "2026-03-02T09:00:00.000Z"}),
        ),
        Envelope::new(
            keys::PRODUCT_STOCK_LOW,
            "product-service",
            "req",
            json!({"productId": "p1", "name": "Mug", "stock": 1, "threshold": 5}),
        ),
        Envelope::new(
            keys::ALERT_SENT,
            "alert-service",
            "req",
            json!({"id": "a1", "type": "order.created",
            "topic": "orders", "severity": "info", "createdAt": "2026-03-01T10:00:00.000Z"}),
        ),
        replied("order_status", &["getOrderStatus"], 40),
        replied("order_status", &["getOrderStatus", "getCustomerOrders"], 60),
        replied("policy_question", &[], 20),
    ]
}

async fn figures(app: &crate::helpers::TestApp) -> serde_json::Value {
    json!({
        "metrics": app.data("/analytics/dashboard-metrics").await,
        "daily": app.data("/analytics/daily-revenue?from=2026-03-01&to=2026-03-02").await,
        "top": app.data("/analytics/top-products").await,
        "assistant": app.data("/dashboard/assistant-stats").await,
        "business": app.data("/dashboard/business-metrics?from=2026-03-01&to=2026-03-02").await,
    })
}

#[tokio::test]
async fn a_replayed_batch_of_events_changes_no_figure() {
    let app = spawn_app().await;
    let events = batch();
    app.publish_all(&events).await;
    let before = figures(&app).await;

    app.publish_all(&events).await;
    let mut reversed = events.clone();
    reversed.reverse();
    app.publish_all(&reversed).await;

    assert_eq!(figures(&app).await, before);
    let metrics = &before["metrics"];
    assert_eq!(metrics["totalRevenue"], 26.94);
    assert_eq!(metrics["orders"], 2);
    assert_eq!(metrics["averageOrderValue"], 13.47);
    assert_eq!(metrics["customers"], 2);
    assert_eq!(
        metrics["ordersByStatus"],
        json!({"PROCESSING": 2, "CANCELLED": 1})
    );
    assert_eq!(metrics["stockLowEvents"], 1);
    assert_eq!(metrics["alertsSent"], 1);
    assert_eq!(before["daily"][1]["newCustomers"], 1);
    assert_eq!(
        before["top"],
        json!([
            {"productId": "p1", "name": "Product p1", "units": 2, "revenue": 21.0},
            {"productId": "p2", "name": "Product p2", "units": 6, "revenue": 5.94},
        ])
    );
    let assistant = &before["assistant"];
    assert_eq!(assistant["replies"], 3);
    assert_eq!(assistant["intents"]["order_status"]["count"], 2);
    assert_eq!(
        assistant["functionCalls"],
        json!({"getCustomerOrders": 1, "getOrderStatus": 2})
    );
    assert_eq!(assistant["responseTimeMs"]["average"], 40);
    assert_eq!(assistant["responseTimeMs"]["max"], 60);

    app.stop().await;
}

#[tokio::test]
async fn an_order_cancelled_while_its_stock_was_refused_counts_as_cancelled_whichever_event_comes_first()
 {
    let app = spawn_app().await;
    let c = "65a1b2c3d4e5f60718293a4c";
    // The refusal between the cancellation's two events (the replica drill saw this order),
    // and before both.
    app.publish_all(&[
        created("x", c, "2026-02-01T10:00:00.000Z", &[("p1", 1, 3.0)]),
        changed("x", c, "PENDING", "CANCELLED", 1),
        rejected("x"),
        cancelled("x", c),
        created("y", c, "2026-02-01T11:00:00.000Z", &[("p1", 1, 4.0)]),
        rejected("y"),
        cancelled("y", c),
        changed("y", c, "PENDING", "CANCELLED", 1),
        created("z", c, "2026-02-01T12:00:00.000Z", &[("p1", 1, 5.0)]),
        rejected("z"),
        changed("z", c, "PENDING", "REJECTED", 1),
    ])
    .await;

    let metrics = app.data("/analytics/dashboard-metrics").await;
    assert_eq!(
        metrics["ordersByStatus"],
        json!({"CANCELLED": 2, "REJECTED": 1}),
        "{metrics}"
    );

    app.stop().await;
}
