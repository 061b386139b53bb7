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
