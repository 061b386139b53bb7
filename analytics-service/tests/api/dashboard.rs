//! `/dashboard/business-metrics` compares the right periods; `/dashboard/performance` shows
//! what changed between scrapes of every service's `/metrics`.

use std::time::Duration;

use analytics_service::performance::ScrapeConfig;
use serde_json::{Value, json};
use shared::testing::eventually;

use crate::helpers::{
    WAIT,
    events::{changed, created},
    spawn_app, spawn_app_with,
};

/// An invoiced order placed at `at` and accepted (`PROCESSING`): its total counts.
fn accepted(id: &str, at: &str, lines: &[(&str, i64, f64)]) -> Vec<shared::events::Envelope> {
    vec![
        created(id, "c", at, lines),
        changed(id, "c", "PENDING", "PROCESSING", 1),
    ]
}

#[tokio::test]
async fn the_business_trend_compares_the_period_with_the_one_of_the_same_length_before_it() {
    let app = spawn_app().await;
    app.publish_all(
        &[
            // Before the previous period: never counted.
            accepted("x", "2026-02-21T12:00:00.000Z", &[("p", 1, 1000.0)]),
            // The previous period, 2026-02-22..28: 20.00 in two orders.
            accepted("a", "2026-02-22T00:00:00.000Z", &[("p", 1, 5.0)]),
            accepted("b", "2026-02-28T23:59:59.999Z", &[("p", 1, 15.0)]),
            // The period, 2026-03-01..07: 30.00 in three orders.
            accepted("c", "2026-03-01T00:00:00.000Z", &[("p", 1, 10.0)]),
            accepted("d", "2026-03-04T00:00:00.000Z", &[("p", 2, 5.0)]),
            accepted("e", "2026-03-07T23:59:59.999Z", &[("p", 1, 10.0)]),
            // After the period: never counted.
            accepted("y", "2026-03-08T00:00:00.000Z", &[("p", 1, 1000.0)]),
        ]
        .concat(),
    )
    .await;

    let body = app
        .data("/dashboard/business-metrics?from=2026-03-01&to=2026-03-07")
        .await;

    assert_eq!(
        body["period"],
        json!({"from": "2026-03-01", "to": "2026-03-07", "days": 7})
    );
    assert_eq!(
        body["previousPeriod"],
        json!({"from": "2026-02-22", "to": "2026-02-28", "days": 7})
    );
    assert_eq!(body["revenue"], 30.0);
    assert_eq!(body["orderCount"], 3);
    assert_eq!(body["averageOrderValue"], 10.0);
    assert_eq!(
        body["previous"],
        json!({"revenue": 20.0, "orderCount": 2, "averageOrderValue": 10.0})
    );
    assert_eq!(
        body["trend"],
        json!({"revenue": 50.0, "orderCount": 50.0, "averageOrderValue": 0.0})
    );
    let (status, body) = app
        .get("/dashboard/business-metrics?days=0", Some(&app.admin))
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["details"]["days"].is_string());

    app.stop().await;
}

/// Whether any number in `value` is negative zero (`-0.0` in JSON).
fn has_negative_zero(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()),
        Value::Array(items) => items.iter().any(has_negative_zero),
        Value::Object(map) => map.values().any(has_negative_zero),
        _ => false,
    }
}

/// `route`'s figures among `service`'s in a performance answer.
fn route<'a>(body: &'a Value, service: &str, route: &str) -> Option<&'a Value> {
    body["services"]
        .as_array()?
        .iter()
        .find(|s| s["service"] == service)?["routes"]
        .as_array()?
        .iter()
        .find(|r| r["route"] == route && r["method"] == "GET")
}

#[tokio::test]
async fn performance_shows_the_requests_of_the_last_minutes_not_totals_since_each_start() {
    // A real analytics-service whose /metrics the dashboard scrapes over HTTP.
    let scraped = spawn_app().await;
    let url = scraped.app.base_url.clone();
    let app = spawn_app_with(|config| {
        config.services = vec![
            ("analytics-service".to_owned(), url.clone()),
            (
                "product-service".to_owned(),
                "http://127.0.0.1:9".to_owned(),
            ),
        ];
        config.scrape = ScrapeConfig {
            every: Duration::from_millis(100),
            window: Duration::from_secs(5),
        };
    })
    .await;
    const ROUTE: &str = "/analytics/dashboard-metrics";
    let before = app.data("/dashboard/performance").await;

    for _ in 0..12 {
        scraped.data(ROUTE).await;
    }
    let recent = eventually("the 12 requests on the dashboard", WAIT, || async {
        let body = app.data("/dashboard/performance").await;
        let figures = route(&body, "analytics-service", ROUTE)?;
        (figures["requests"] == 12).then(|| (body.clone(), figures.clone()))
    })
    .await;
    // Nothing since: once the window has passed, the route has no recent requests...
    let quiet = eventually("the requests to leave the window", WAIT, || async {
        let body = app.data("/dashboard/performance").await;
        route(&body, "analytics-service", ROUTE)
            .is_none()
            .then_some(body)
    })
    .await;
    // ...although the scraped service still counts them since its start.
    let totals = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert!(
        route(&before, "analytics-service", ROUTE).is_none(),
        "{before}"
    );
    assert_eq!(before["services"][1]["up"], false);
    assert!(before["services"][1]["error"].is_string());
    let (body, figures) = recent;
    assert_eq!(body["services"][0]["up"], true);
    assert!(figures["perSecond"].as_f64().unwrap() > 0.0, "{figures}");
    assert!(figures["p50Ms"].as_f64().unwrap() > 0.0, "{figures}");
    assert_eq!(figures["errorRate"], 0.0);
    assert_eq!(quiet["services"][0]["up"], true);
    assert!(
        totals
            .lines()
            .any(|l| l.starts_with("http_request_duration_seconds_count")
                && l.contains(&format!("route=\"{ROUTE}\""))
                && l.ends_with(" 12")),
        "{totals}"
    );
    for body in [&before, &body, &quiet] {
        assert!(!has_negative_zero(body), "{body}");
    }

    app.stop().await;
    scraped.stop().await;
}
