//! One checkout, one trace (issue 18): the suite exports its spans over OTLP/HTTP to a receiver
//! in this test's process, and the spans of one checkout — the gateway, order-service, the
//! payment, the broker hop, product-service's reservation, the status change and the live
//! fan-out to a client that follows the order — all belong to the trace the storefront's
//! request started, linked parent to child.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, http::StatusCode, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::{AnyValue, any_value},
};
use prost::Message as _;
use reqwest::Method;
use serde_json::json;
use shared::{
    telemetry::trace::{Otlp, TRACEPARENT},
    testing::eventually,
};

use crate::suite_helpers::{Fulfilment, WAIT, expect_message, send, spawn_shop, transition};

/// One span as the receiver got it.
#[derive(Debug, Clone)]
struct Got {
    trace: String,
    id: String,
    parent: String,
    name: String,
    attributes: HashMap<String, String>,
}

impl Got {
    fn attribute(&self, key: &str) -> &str {
        self.attributes.get(key).map_or("", String::as_str)
    }
}

type Received = Arc<Mutex<Vec<Got>>>;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(n)) => n.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// An OTLP/HTTP trace receiver on a port of its own: its base URL, and what it received.
async fn receiver() -> (String, Received) {
    let received = Received::default();
    let store = received.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let store = store.clone();
            async move {
                let Ok(request) = ExportTraceServiceRequest::decode(body) else {
                    return StatusCode::BAD_REQUEST;
                };
                let spans = request
                    .resource_spans
                    .iter()
                    .flat_map(|r| &r.scope_spans)
                    .flat_map(|s| &s.spans);
                let mut store = store.lock().unwrap();
                for span in spans {
                    store.push(Got {
                        trace: hex(&span.trace_id),
                        id: hex(&span.span_id),
                        parent: hex(&span.parent_span_id),
                        name: span.name.clone(),
                        attributes: span
                            .attributes
                            .iter()
                            .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
                            .collect(),
                    });
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// The spans of `trace` received so far.
fn of_trace(received: &Received, trace: &str) -> Vec<Got> {
    let spans = received.lock().unwrap();
    spans.iter().filter(|s| s.trace == trace).cloned().collect()
}

/// The first span of `spans` that `matches`, or a failure listing them all.
fn find<'a>(spans: &'a [Got], what: &str, matches: impl Fn(&Got) -> bool) -> &'a Got {
    spans.iter().find(|s| matches(s)).unwrap_or_else(|| {
        let names: Vec<String> = spans
            .iter()
            .map(|s| format!("{} ({})", s.name, s.attribute("service")))
            .collect();
        panic!("no span of {what} in the trace: {names:#?}")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_checkout_is_one_trace_from_the_gateway_to_the_live_update_of_its_follower() {
    let (url, received) = receiver().await;
    let otlp = Otlp {
        endpoint: url,
        flush_every: Duration::from_millis(100),
    };
    let tracing = shared::telemetry::init_for_tests_traced("shop-suite", &otlp)
        .expect("this test's process exports its spans");
    let shop = spawn_shop(Fulfilment::Off).await;
    let ada = shop.register("Ada", "ada.traces@example.com").await;
    let lamp = shop.product("Traced Lamp", 12.5, 5, &[]).await;
    let line = format!("/api/cart/items/{}", lamp["id"].as_str().unwrap());
    shop.ok(
        Method::PUT,
        &line,
        Some(&json!({ "quantity": 2 })),
        Some(&ada.bearer),
    )
    .await;
    let mut follower = shop.ws_with_header(&ada.bearer).await;
    send(&mut follower, json!({ "type": "subscribe", "all": true })).await;
    assert_eq!(expect_message(&mut follower).await["type"], "subscribed");

    // The storefront starts the trace: its traceparent is continued by the gateway.
    let trace = "5e1f0c0a7d3b4c2e9a8b7c6d5e4f3a2b";
    let response = shop
        .gateway
        .client
        .request(Method::POST, shop.gateway.url("/api/checkout"))
        .header("authorization", &ada.bearer)
        .header("idempotency-key", "traced-checkout")
        .header(TRACEPARENT, format!("00-{trace}-1a2b3c4d5e6f7a8b-01"))
        .json(
            &json!({ "card": { "number": "4242 4242 4242 4242", "expMonth": 12,
            "expYear": 2030, "cvc": "123" } }),
        )
        .send()
        .await
        .expect("the gateway answers");
    assert_eq!(response.status(), 201);
    let order: serde_json::Value = response.json().await.unwrap();
    let order = order["data"]["id"].as_str().unwrap().to_owned();
    let change = loop {
        let message = expect_message(&mut follower).await;
        if message["type"] == "order.status_changed" && message["orderId"] == order.as_str() {
            break message;
        }
    };
    assert_eq!(
        transition(&change),
        ("PENDING".to_owned(), "PROCESSING".to_owned())
    );

    // Spans arrive in export batches, each when it ends: a publish span ends at its confirm,
    // which can come after the consumer's span. So wait for every span looked at below.
    let spans = eventually("the order's spans to arrive", WAIT, || async {
        let spans = of_trace(&received, trace);
        let fanned_out = spans.iter().any(|s| {
            s.name == "live fan-out" && s.attribute("reached").parse().is_ok_and(|n: i64| n > 0)
        });
        let all = [
            "POST /api/checkout",
            "POST /checkout",
            "publish order.created",
            "consume order.created",
            "consume stock.reserved",
            "publish order.status_changed",
            "GET /customers/{id}",
            "publish payment.authorized",
        ]
        .iter()
        .all(|name| spans.iter().any(|s| s.name == *name));
        (fanned_out && all).then_some(spans)
    })
    .await;

    let gateway = find(&spans, "the gateway", |s| {
        s.attribute("service") == "gateway" && s.name == "POST /api/checkout"
    });
    assert_eq!(gateway.parent, "1a2b3c4d5e6f7a8b", "the storefront's span");
    let order_service = find(&spans, "order-service", |s| {
        s.attribute("service") == "order-service" && s.name == "POST /checkout"
    });
    assert_eq!(order_service.parent, gateway.id);
    let published = find(&spans, "the broker hop", |s| {
        s.name == "publish order.created" && s.attribute("service") == "order-service"
    });
    let reserved = find(&spans, "product-service's reservation", |s| {
        s.name == "consume order.created" && s.attribute("service") == "product-service"
    });
    assert_eq!(reserved.parent, published.id);
    let stock = find(&spans, "the reservation's answer", |s| {
        s.name == "consume stock.reserved" && s.attribute("service") == "order-service"
    });
    let status = find(&spans, "the status change", |s| {
        s.name == "publish order.status_changed"
    });
    // What a checkout adds to an order: the address on file read from customer-service, and
    // the card authorised once the stock is held.
    let address = find(&spans, "customer-service's answer", |s| {
        s.attribute("service") == "customer-service" && s.name == "GET /customers/{id}"
    });
    let paid = find(&spans, "the payment", |s| {
        s.name == "publish payment.authorized" && s.attribute("service") == "order-service"
    });
    let fanned = find(&spans, "the live fan-out", |s| {
        s.name == "live fan-out" && s.attribute("reached") != "0"
    });
    let ids: HashMap<&str, &Got> = spans.iter().map(|s| (s.id.as_str(), s)).collect();
    // Every span hangs from the gateway's, through its parents.
    for span in [published, reserved, stock, status, address, paid, fanned] {
        let mut at = span;
        let mut hops = 0;
        while at.id != gateway.id {
            at = ids
                .get(at.parent.as_str())
                .unwrap_or_else(|| panic!("{}: parent {} is not in the trace", at.name, at.parent));
            hops += 1;
            assert!(hops < 32, "{} does not reach the gateway", span.name);
        }
    }

    drop(follower);
    shop.stop().await;
    tokio::task::spawn_blocking(move || tracing.shutdown())
        .await
        .unwrap();
}
