//! The staff's weekly report goes to every member customer-service lists, once each, and waits
//! while it cannot list them.
//!
//! A customer whose `customer.registered` alert-service never saw is mailed all the same: the
//! address is asked of customer-service (`GET /internal/customers/{id}/contact` with a
//! service token minted from the suite's service key), once; while customer-service cannot
//! answer, the event waits and nothing is lost; a customer it does not know gets the
//! notification in-app only.
//!
//! customer-service is played by a small server that checks the service token as the real one
//! does (`shared::auth::service`) and answers its real answer type
//! (`shared::api::customers::Contact` in the envelope), so that it can be taken down and its
//! calls counted. customer-service's own tests hold the real route to the same rules.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use alert_service::config::{CustomerLookup, MailConfig};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::get,
};
use serde_json::{Value, json};
use shared::{
    api::customers::Contact,
    auth::service::{CUSTOMER_CONTACT, STAFF_RECIPIENTS, ServiceSigner, ServiceVerifier},
    events::{Envelope, keys},
    http::Trust,
    testing::eventually,
};
use tokio::net::TcpListener;

use crate::{
    helpers::{WAIT, spawn_adjusted},
    smtp::{self, Sink},
};

#[derive(Clone)]
struct Customers {
    up: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    known: Arc<HashMap<String, (String, String)>>,
    /// Checks service tokens, as customer-service does with `SERVICE_TOKEN_KEY`.
    verifier: ServiceVerifier,
    /// The services that called with a valid token.
    callers: Arc<std::sync::Mutex<Vec<String>>>,
}

type Answer = (StatusCode, Json<Value>);

fn failure(status: StatusCode, code: &str) -> Answer {
    let body = json!({"success": false, "error": {"code": code, "message": code}});
    (status, Json(body))
}

/// Counts the call, then lets it through as customer-service would: a service token for
/// `audience` (401 otherwise), and only while it is up (503 otherwise).
fn admit(c: &Customers, headers: &HeaderMap, audience: &str) -> Result<(), Answer> {
    c.calls.fetch_add(1, Ordering::SeqCst);
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    match c.verifier.verify(token, audience) {
        Ok(claims) => c.callers.lock().unwrap().push(claims.sub),
        Err(_) => return Err(failure(StatusCode::UNAUTHORIZED, "UNAUTHORIZED")),
    }
    if !c.up.load(Ordering::SeqCst) {
        return Err(failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "UPSTREAM_UNAVAILABLE",
        ));
    }
    Ok(())
}

async fn customer(
    State(c): State<Customers>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    if let Err(refused) = admit(&c, &headers, CUSTOMER_CONTACT) {
        return refused;
    }
    let Some((name, email)) = c.known.get(&id) else {
        return failure(StatusCode::NOT_FOUND, "NOT_FOUND");
    };
    let data = Contact {
        id,
        name: name.clone(),
        email: email.clone(),
    };
    (StatusCode::OK, Json(json!({"success": true, "data": data})))
}

/// `GET /internal/staff`: everyone it knows, as the staff.
async fn staff(State(c): State<Customers>, headers: HeaderMap) -> Answer {
    if let Err(refused) = admit(&c, &headers, STAFF_RECIPIENTS) {
        return refused;
    }
    let mut listed: Vec<Contact> = c
        .known
        .iter()
        .map(|(id, (name, email))| Contact {
            id: id.clone(),
            name: name.clone(),
            email: email.clone(),
        })
        .collect();
    listed.sort_by(|a, b| a.email.cmp(&b.email));
    (
        StatusCode::OK,
        Json(json!({"success": true, "data": listed})),
    )
}

/// A stand-in customer-service knowing `known` (id, name, email), down until told otherwise,
/// checking tokens with `verifier`.
fn customers(known: &[(&str, &str, &str)], verifier: ServiceVerifier) -> Customers {
    Customers {
        known: Arc::new(
            known
                .iter()
                .map(|(id, name, email)| {
                    ((*id).to_owned(), ((*name).to_owned(), (*email).to_owned()))
                })
                .collect(),
        ),
        up: Arc::default(),
        calls: Arc::default(),
        verifier,
        callers: Arc::default(),
    }
}

/// alert-service mailing to `sink` and asking `customers` (served here) with `identity`.
async fn mailing(
    sink: &Sink,
    customers: &Customers,
    identity: ServiceSigner,
) -> crate::helpers::TestApp {
    let url = serve(customers.clone()).await;
    let smtp_url = sink.url();
    spawn_adjusted(None, Trust::system(), None, move |config| {
        config.mail = Some(MailConfig::local(smtp_url, Duration::from_millis(50)));
        config.customers = Some(CustomerLookup {
            url,
            identity,
            timeout: Duration::from_secs(2),
        });
    })
    .await
}

/// Starts the stand-in customer-service; its base URL.
async fn serve(customers: Customers) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/internal/customers/{id}/contact", get(customer))
        .route("/internal/staff", get(staff))
        .with_state(customers);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn placed(order: &str, customer: &str) -> Envelope {
    Envelope::new(
        keys::ORDER_CREATED,
        "order-service",
        format!("req-{order}"),
        json!({"orderId": order, "customerId": customer,
               "items": [{"productId": "p1", "quantity": 1, "name": "Mug", "price": 9.5}],
               "total": 9.5, "createdAt": "2026-01-01T10:00:00.000Z"}),
    )
}

#[tokio::test]
async fn a_customer_never_announced_is_mailed_after_asking_customer_service_once_and_an_outage_only_delays_it()
 {
    let sink = Sink::start().await;
    let early = bson::oid::ObjectId::new().to_hex();
    let identity = ServiceSigner::generate("alert-service");
    let customers = customers(
        &[(&early, "Early Bird", "early@example.com")],
        identity.verifier(),
    );
    let app = mailing(&sink, &customers, identity).await;

    // customer-service is down: the event waits, asked again and again, nothing stored yet.
    app.publish(&placed("65a1b2c3d4e5f60718293c01", &early))
        .await;
    eventually("customer-service asked twice", WAIT, || async {
        (customers.calls.load(Ordering::SeqCst) >= 2).then_some(())
    })
    .await;
    assert!(app.notification_documents().await.is_empty());
    assert!(sink.received().is_empty());

    customers.up.store(true, Ordering::SeqCst);
    let first = eventually("the first mail", WAIT, || async {
        let got = sink.received();
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0].to, ["early@example.com"]);
    let text = smtp::parse(&first[0].data).text;
    assert!(text.contains("Hello Early Bird,"), "{text}");
    let asked = customers.calls.load(Ordering::SeqCst);

    // The address is remembered: the next mail asks nobody.
    app.publish(&placed("65a1b2c3d4e5f60718293c02", &early))
        .await;
    eventually("the second mail", WAIT, || async {
        (sink.received().len() == 2).then_some(())
    })
    .await;
    assert_eq!(customers.calls.load(Ordering::SeqCst), asked);

    // A customer customer-service does not know: in-app only, asked once.
    let stranger = bson::oid::ObjectId::new().to_hex();
    app.publish(&placed("65a1b2c3d4e5f60718293c03", &stranger))
        .await;
    eventually("the stranger's notification", WAIT, || async {
        let docs = app.notification_documents().await;
        docs.iter()
            .any(|d| d.get_str("customerId") == Ok(stranger.as_str()))
            .then_some(())
    })
    .await;
    assert_eq!(customers.calls.load(Ordering::SeqCst), asked + 1);
    assert_eq!(sink.received().len(), 2, "no mail to an unknown customer");
    assert_eq!(app.notification_documents().await.len(), 3);
    let callers = customers.callers.lock().unwrap().clone();
    assert!(
        !callers.is_empty() && callers.iter().all(|c| c == "alert-service"),
        "every call carried alert-service's service token: {callers:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_look_up_signed_with_another_key_is_refused_and_the_mail_waits() {
    let sink = Sink::start().await;
    let known = bson::oid::ObjectId::new().to_hex();
    // customer-service holds the suite's key; alert-service was given another one.
    let customers = customers(
        &[(&known, "Kay", "kay@example.com")],
        ServiceSigner::generate("alert-service").verifier(),
    );
    customers.up.store(true, Ordering::SeqCst);
    let app = mailing(&sink, &customers, ServiceSigner::generate("alert-service")).await;

    app.publish(&placed("65a1b2c3d4e5f60718293c04", &known))
        .await;
    eventually("customer-service asked twice", WAIT, || async {
        (customers.calls.load(Ordering::SeqCst) >= 2).then_some(())
    })
    .await;

    assert!(customers.callers.lock().unwrap().is_empty());
    assert!(
        app.notification_documents().await.is_empty(),
        "the event waits"
    );
    assert!(sink.received().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_weekly_report_is_mailed_once_to_every_member_of_the_staff_and_waits_for_the_list() {
    let sink = Sink::start().await;
    let (ada, bo) = (
        bson::oid::ObjectId::new().to_hex(),
        bson::oid::ObjectId::new().to_hex(),
    );
    let identity = ServiceSigner::generate("alert-service");
    let customers = customers(
        &[
            (&ada, "Ada Admin", "ada.staff@example.com"),
            (&bo, "Bo Owner", "bo.owner@example.com"),
        ],
        identity.verifier(),
    );
    let app = mailing(&sink, &customers, identity).await;
    let report = Envelope::new(
        keys::REPORT_WEEKLY,
        "analytics-service",
        "req-weekly",
        json!({
            "week": "2025-W10",
            "period": {"from": "2025-03-03", "to": "2025-03-09", "days": 7},
            "orders": 3, "gross": 90.0, "refunds": 10.0, "net": 80.0, "discounts": 4.5,
            "returns": 1,
            "top": [{"productId": "p1", "name": "Lamp", "units": 3, "revenue": 90.0}],
            "pdf": "/api/analytics/reports/sales.pdf?from=2025-03-03&to=2025-03-09",
            "csv": "/api/analytics/reports/sales.csv?from=2025-03-03&to=2025-03-09",
        }),
    );

    // customer-service cannot list the staff: the report waits, nothing made.
    app.publish(&report).await;
    eventually("the staff asked for twice", WAIT, || async {
        (customers.calls.load(Ordering::SeqCst) >= 2).then_some(())
    })
    .await;
    assert!(app.notification_documents().await.is_empty());

    customers.up.store(true, Ordering::SeqCst);
    let mails = eventually("a mail to each", WAIT, || async {
        let got = sink.received();
        (got.len() >= 2).then_some(got)
    })
    .await;
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["ada.staff@example.com", "bo.owner@example.com"]);
    let text = smtp::parse(&mails[0].data).text;
    for part in [
        "Week 2025-W10 (2025-03-03 to 2025-03-09): 3 orders",
        "$80.00 revenue after $10.00 refunded",
        "Lamp (3 sold, $90.00)",
        "sales.pdf?from=2025-03-03&to=2025-03-09",
        "as a member of the shop's staff",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    let docs = app.notification_documents().await;
    assert_eq!(docs.len(), 2);
    assert!(
        docs.iter()
            .all(|d| d.get_str("kind") == Ok("report.weekly"))
    );

    // The same event again makes nothing; a later mail proves it had its chance.
    app.publish(&report).await;
    let later = placed("65a1b2c3d4e5f60718293c05", &ada);
    app.publish(&later).await;
    eventually("the later mail", WAIT, || async {
        (sink.received().len() == 3).then_some(())
    })
    .await;
    assert_eq!(app.notification_documents().await.len(), 3);
    app.stop().await;
}
