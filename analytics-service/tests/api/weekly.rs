//! The weekly report (issue 19): a closed week's figures go out as one `report.weekly` event,
//! once per week whoever asks (an admin, the Monday schedule), and a week
//! that does not exist or has not closed is refused with nothing sent.

use bson::{Document, doc};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{events::keys, testing::eventually};

use crate::helpers::{
    TestApp, WAIT,
    checkout::{Order, quote},
    database, spawn_app, spawn_app_with,
};

async fn post(app: &TestApp, body: Option<Value>, bearer: &str) -> (u16, Value) {
    let mut request = app
        .app
        .client
        .request(Method::POST, app.app.url("/analytics/reports/weekly"))
        .header("authorization", bearer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// The `report.weekly` events analytics logged (it consumes its own events too), for `week`.
async fn sent(app: &TestApp, week: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    database(&app.app)
        .await
        .collection::<Document>(analytics_service::events::EVENT_LOG)
        .find(doc! { "type": keys::REPORT_WEEKLY, "data.week": week })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_sends_a_closed_weeks_report_once_with_its_figures() {
    let app = spawn_app().await;
    // One paid order on Wednesday of 2025-W10, worth 30.00, and one the week after.
    let q = quote([30.0, 0.0, 0.0, 0.0, 0.0, 0.0, 30.0]);
    let inside = Order::card("w1", "2025-03-05T10:00:00.000Z", q.clone(), None);
    let after = Order::card("w2", "2025-03-12T10:00:00.000Z", q, None);
    let mut paid = Vec::new();
    for order in [&inside, &after] {
        paid.extend(order.placed());
        paid.extend(order.accepted());
    }
    app.publish_all(&paid).await;

    let week = json!({ "week": "2025-W10" });
    let (status, body) = post(&app, Some(week.clone()), &app.admin).await;
    assert_eq!(status, 201, "{body}");
    let report = &body["data"]["report"];
    assert_eq!(body["data"]["issued"], true);
    assert_eq!(report["week"], "2025-W10");
    assert_eq!(
        report["period"],
        json!({"from": "2025-03-03", "to": "2025-03-09", "days": 7})
    );
    assert_eq!(report["orders"], 1);
    assert_eq!(report["gross"].to_string(), "30.0");
    assert_eq!(report["top"][0]["productId"], "p1");
    assert_eq!(report["top"][0]["units"], 1);
    assert_eq!(
        report["pdf"],
        "/api/analytics/reports/sales.pdf?from=2025-03-03&to=2025-03-09"
    );

    let event = eventually("the report.weekly event", WAIT, || async {
        sent(&app, "2025-W10").await.into_iter().next()
    })
    .await;
    let data: Value = serde_json::to_value(event.get_document("data").unwrap()).unwrap();
    assert_eq!(data["net"], report["net"]);

    // Asked again: the same report, nothing sent again.
    let (status, again) = post(&app, Some(week), &app.admin).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["data"]["issued"], false);
    assert_eq!(again["data"]["report"], *report);

    // Refused, each naming the week, nothing sent: no such week, not closed, not a week.
    for bad in ["2025-W53", "2999-W01", "2025-10", "W10"] {
        let (status, body) = post(&app, Some(json!({ "week": bad })), &app.admin).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"]["details"]["week"].is_string(),
            "{bad}: {body}"
        );
    }
    assert_eq!(post(&app, None, &app.customer).await.0, 403);
    // A later event proves the one above had its chance to be sent twice.
    app.publish_all(&[]).await;
    assert_eq!(sent(&app, "2025-W10").await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_monday_schedule_sends_last_week_once() {
    // From hour 0, the last closed week is due as soon as the service starts.
    let app = spawn_app_with(|config| config.weekly_report_hour = Some(0)).await;
    let today = chrono::Utc::now().date_naive();
    let week = analytics_service::reports::weekly::last_closed_week(
        analytics_service::domain::Day::parse(&today.format("%Y-%m-%d").to_string()).unwrap(),
    );
    let name = week.from.iso_week();
    eventually("the scheduled report", WAIT, || async {
        (!sent(&app, &name).await.is_empty()).then_some(())
    })
    .await;

    // Asked for the same week (no body: the last closed one), nothing goes out again.
    let (status, body) = post(&app, None, &app.admin).await;
    assert_eq!(
        (status, body["data"]["issued"].clone()),
        (200, json!(false)),
        "{body}"
    );
    app.publish_all(&[]).await;
    assert_eq!(sent(&app, &name).await.len(), 1);
    app.stop().await;
}
