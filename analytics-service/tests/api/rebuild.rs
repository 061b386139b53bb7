//! `POST /analytics/rebuild`: the order ledger recomputed from order-service's admin listing,
//! in the background, with progress.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    routing::get,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::testing::eventually;

use crate::helpers::{WAIT, spawn_app_with};

#[derive(Clone)]
struct FakeOrders {
    orders: Arc<Vec<Value>>,
    bearers: Arc<Mutex<Vec<String>>>,
}

#[derive(Deserialize)]
struct Page {
    page: usize,
    limit: usize,
}

async fn list(
    State(fake): State<FakeOrders>,
    headers: HeaderMap,
    Query(q): Query<Page>,
) -> Result<Json<Value>, StatusCode> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    fake.bearers.lock().unwrap().push(bearer);
    let start = (q.page - 1) * q.limit;
    let data: Vec<Value> = fake
        .orders
        .iter()
        .skip(start)
        .take(q.limit)
        .cloned()
        .collect();
    Ok(Json(json!({"success": true, "data": data,
        "meta": {"page": q.page, "limit": q.limit, "total": fake.orders.len()}})))
}

/// 150 orders as order-service lists them: every fifth one cancelled, 1.01 each, over three days.
fn orders() -> Vec<Value> {
    (0..150)
        .map(|i| {
            let status = if i % 5 == 0 { "CANCELLED" } else { "DELIVERED" };
            json!({
                "id": format!("order-{i:03}"), "customerId": format!("c{}", i % 7), "status": status,
                "version": 3, "total": 1.01, "createdAt": format!("2026-04-0{}T12:00:00.000Z", 1 + i % 3),
                "items": [{"productId": "p1", "name": "Mug", "price": 1.01, "quantity": 1, "subtotal": 1.01}],
            })
        })
        .collect()
}

#[tokio::test]
async fn a_rebuild_reads_every_page_with_the_admins_token_and_reports_its_progress() {
    let fake = FakeOrders {
        orders: Arc::new(orders()),
        bearers: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/orders", get(list))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let app = spawn_app_with(|config| config.order_service_url = url.clone()).await;
    assert_eq!(app.data("/analytics/rebuild").await["state"], "idle");

    let (status, body) = app
        .send(Method::POST, "/analytics/rebuild", Some(&app.admin))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["state"], "running");
    let job = eventually("the rebuild to finish", WAIT, || async {
        let job = app.data("/analytics/rebuild").await;
        (job["state"] != "running").then_some(job)
    })
    .await;

    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["processed"], 150);
    assert_eq!(job["total"], 150);
    assert_eq!(job["pages"], 2);
    assert!(fake.bearers.lock().unwrap().iter().all(|b| *b == app.admin));
    let rows = app
        .data("/analytics/daily-revenue?from=2026-04-01&to=2026-04-03")
        .await;
    // 50 orders a day, 10 of them cancelled: 40 × 1.01.
    for row in rows.as_array().unwrap() {
        assert_eq!(row["orderCount"], 40, "{row}");
        assert_eq!(row["revenue"], 40.4, "{row}");
    }
    let metrics = app.data("/analytics/dashboard-metrics").await;
    assert_eq!(metrics["ordersByStatus"]["CANCELLED"], 30);

    // Running it again changes nothing.
    let (status, _) = app
        .send(Method::POST, "/analytics/rebuild", Some(&app.admin))
        .await;
    assert_eq!(status, 202);
    eventually("the second rebuild to finish", WAIT, || async {
        (app.data("/analytics/rebuild").await["state"] == "done").then_some(())
    })
    .await;
    assert_eq!(app.data("/analytics/dashboard-metrics").await, metrics);

    app.stop().await;
}

/// Orders through the checkout and one invoiced, with their events and how order-service
/// lists them afterwards.
fn checkout_orders() -> (Vec<shared::events::Envelope>, Vec<Value>) {
    use crate::helpers::checkout::{Order, quote};
    let at = "2026-09-01T10:00:00.000Z";
    let q = |coupon: f64, total: f64| quote([20.0, coupon, 0.1, 0.0, 0.0, 0.0, total]);
    let delivered = Order::card("a", at, q(2.0, 17.9), Some("WELCOME10"));
    let declined = Order::card("b", at, q(2.0, 17.9), Some("WELCOME10"));
    let cancelled = Order::card("c", at, q(0.0, 19.9), None);
    let invoiced = Order::invoiced("d", at, q(0.0, 19.9));
    let pending = Order::card("e", at, q(0.0, 19.9), None);
    let mut events = Vec::new();
    for order in [&delivered, &declined, &cancelled, &invoiced, &pending] {
        events.extend(order.placed());
    }
    for order in [&delivered, &cancelled, &invoiced] {
        events.extend(order.accepted());
    }
    events.extend(delivered.delivered());
    events.extend(declined.declined());
    events.extend(cancelled.cancelled());
    let listing = vec![
        delivered.view(
            &["PENDING", "PROCESSING", "SHIPPED", "DELIVERED"],
            Some("authorized"),
        ),
        declined.view(&["PENDING", "REJECTED"], Some("declined")),
        cancelled.view(&["PENDING", "PROCESSING", "CANCELLED"], Some("voided")),
        invoiced.view(&["PENDING", "PROCESSING"], None),
        pending.view(&["PENDING"], Some("pending")),
    ];
    (events, listing)
}

async fn rebuild(app: &crate::helpers::TestApp) {
    let (status, body) = app
        .send(Method::POST, "/analytics/rebuild", Some(&app.admin))
        .await;
    assert_eq!(status, 202, "{body}");
    let job = eventually("the rebuild to finish", WAIT, || async {
        let job = app.data("/analytics/rebuild").await;
        (job["state"] != "running").then_some(job)
    })
    .await;
    assert_eq!(job["state"], "done", "{job}");
}

async fn figures(app: &crate::helpers::TestApp) -> Value {
    let range = "from=2026-09-01&to=2026-09-01";
    json!({
        "daily": app.data(&format!("/analytics/daily-revenue?{range}")).await,
        "discounts": app.data(&format!("/analytics/discounts?{range}")).await,
        "funnel": app.data(&format!("/analytics/funnel?{range}")).await,
        "metrics": app.data("/analytics/dashboard-metrics").await,
        "top": app.data("/analytics/top-products").await,
    })
}

#[tokio::test]
async fn a_rebuild_from_the_listing_gives_the_revenue_discounts_and_funnel_the_events_gave() {
    let (events, listing) = checkout_orders();
    let fake = FakeOrders {
        orders: Arc::new(listing),
        bearers: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/orders", get(list))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let app = spawn_app_with(|config| config.order_service_url = url.clone()).await;
    app.publish_all(&events).await;
    let from_events = figures(&app).await;

    rebuild(&app).await;
    let over_events = figures(&app).await;
    crate::helpers::database(&app.app)
        .await
        .collection::<bson::Document>(analytics_service::store::orders::COLLECTION)
        .drop()
        .await
        .unwrap();
    assert_eq!(
        figures(&app).await["metrics"]["orders"],
        0,
        "the ledger is gone"
    );
    rebuild(&app).await;
    let mut from_listing = figures(&app).await;

    assert_eq!(from_events["daily"][0]["revenue"], 37.8, "{from_events}");
    assert_eq!(from_events["metrics"]["refunded"], 19.9);
    assert_eq!(
        over_events, from_events,
        "a rebuild over the events changes nothing"
    );
    // Which orders came from a cart is not in the listing: a lost ledger loses it.
    let day = &mut from_listing["funnel"]["days"][0];
    assert_eq!(day["checkedOut"], 0);
    day["checkedOut"] = from_events["funnel"]["days"][0]["checkedOut"].clone();
    day["ratios"]["checkoutShare"] =
        from_events["funnel"]["days"][0]["ratios"]["checkoutShare"].clone();
    from_listing["funnel"]["totals"] = from_events["funnel"]["totals"].clone();
    assert_eq!(from_listing, from_events);

    app.stop().await;
}
