//! What a session does over HTTP: each request timed and noted, the look around the
//! catalog every visit starts with, the direct path's order, and following the order's SSE
//! stream until it is final.

use std::time::{Duration, Instant};

use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use reqwest::Method;
use serde_json::{Value, json};

use super::{PASSWORD, Shared, Shop, WORDS, note, pool::Customer};
use crate::{
    api::order_body,
    clock::{now_ms, parse_rfc3339_ms},
};

/// One request of a session, noted under `kind`.
pub(super) struct Call<'a> {
    pub(super) kind: &'static str,
    pub(super) method: Method,
    pub(super) path: &'a str,
    pub(super) body: Option<&'a Value>,
    pub(super) bearer: Option<&'a str>,
    pub(super) headers: &'a [(&'a str, &'a str)],
}

impl<'a> Call<'a> {
    pub(super) fn get(kind: &'static str, path: &'a str) -> Self {
        Self {
            kind,
            method: Method::GET,
            path,
            body: None,
            bearer: None,
            headers: &[],
        }
    }

    pub(super) fn post(kind: &'static str, path: &'a str, body: &'a Value) -> Self {
        Self {
            method: Method::POST,
            body: Some(body),
            ..Self::get(kind, path)
        }
    }
}

/// One request, timed and noted; the JSON answer when it succeeded.
pub(super) async fn timed(shop: &Shop, notes: &Shared, call: Call<'_>) -> Option<Value> {
    let kind = call.kind;
    let begun = Instant::now();
    let answer = shop
        .api
        .call(call.method, call.path, call.body, call.bearer, call.headers)
        .await;
    let ms = begun.elapsed().as_secs_f64() * 1000.0;
    let failure = match &answer {
        Ok((status, _)) if (200..300).contains(status) => None,
        Ok((status, body)) => Some(format!("{kind}: {status} {body}")),
        Err(e) => Some(format!("{kind}: {e:#}")),
    };
    note(notes, |n| {
        n.requests += 1;
        n.latencies.entry(kind).or_default().push(ms);
        if let Some(failure) = failure.clone() {
            *n.errors.entry(kind).or_default() += 1;
            n.first_error.get_or_insert(failure);
        }
    });
    match answer {
        Ok((_, body)) if failure.is_none() => Some(body),
        _ => None,
    }
}

/// The catalog, a search and one product, as any visit starts.
pub(super) async fn look_around(shop: &Shop, notes: &Shared, i: usize) {
    let word = WORDS[i % WORDS.len()];
    let product = &shop.products[i % shop.products.len()];
    timed(
        shop,
        notes,
        Call::get("browse", "/products?page=1&limit=20"),
    )
    .await;
    let search = format!("/products?search={word}&limit=10");
    timed(shop, notes, Call::get("search", &search)).await;
    let one = format!("/products/{product}");
    timed(shop, notes, Call::get("product", &one)).await;
}

/// Signs `customer` in again in one session of `login_every`, keeping the new token.
pub(super) async fn sign_in_now_and_then(
    shop: &Shop,
    notes: &Shared,
    customer: &Customer,
    i: usize,
) {
    if !i.is_multiple_of(shop.params.login_every) {
        return;
    }
    let body = json!({ "email": customer.email, "password": PASSWORD });
    if let Some(answer) = timed(shop, notes, Call::post("login", "/auth/login", &body)).await
        && let Some(token) = answer["data"]["accessToken"].as_str()
    {
        customer.set_token(token);
    }
}

/// One customer's visit: browse, search, a product, maybe sign in, order, follow.
pub(super) async fn session(shop: &Shop, notes: &Shared, stage: usize, i: usize) {
    let p = &shop.params;
    let customer = &shop.customers[i % shop.customers.len()];
    let product = &shop.products[i % shop.products.len()];
    look_around(shop, notes, i).await;
    sign_in_now_and_then(shop, notes, customer, i).await;
    let token = customer.token();
    let key = format!("{}-{stage}-{i}", p.run);
    let body = order_body(product, 1);
    let headers = [("idempotency-key", key.as_str())];
    let order = Call {
        bearer: Some(&token),
        headers: &headers,
        ..Call::post("order", "/orders", &body)
    };
    let Some(answer) = timed(shop, notes, order).await else {
        return;
    };
    note(notes, |n| {
        n.orders_ok += 1;
        n.last_order = Some(Instant::now());
    });
    if let Some(order) = answer["data"]["id"].as_str() {
        follow(shop, notes, order, &token).await;
    }
}

/// Follows the order's SSE stream until it is final, noting each change's delay.
pub(super) async fn follow(shop: &Shop, notes: &Shared, order: &str, token: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(shop.params.follow_secs);
    let opened = shop
        .streaming
        .get(shop.api.url(&format!("/orders/{order}/stream")))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .send()
        .await;
    let response = match opened {
        Ok(r) if r.status() == 200 => r,
        other => {
            let why = match other {
                Ok(r) => format!("stream: {}", r.status()),
                Err(e) => format!("stream: {e:#}"),
            };
            note(notes, |n| {
                n.requests += 1;
                *n.errors.entry("stream").or_default() += 1;
                n.first_error.get_or_insert(why);
            });
            return;
        }
    };
    note(notes, |n| {
        n.requests += 1;
        n.streams_opened += 1;
    });
    let mut events = response.bytes_stream().eventsource();
    let mut finished = false;
    while let Ok(Some(Ok(event))) = tokio::time::timeout_at(deadline, events.next()).await {
        let wall = now_ms();
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
            continue;
        };
        match event.event.as_str() {
            "snapshot" => finished = is_final(&data["order"]["status"]),
            "order.status_changed" => {
                if let Some(at) = data["at"].as_str().and_then(parse_rfc3339_ms) {
                    note(notes, |n| n.events.push(wall - at));
                }
                finished = is_final(&data["newStatus"]);
            }
            _ => {}
        }
        if finished {
            break;
        }
    }
    if finished {
        note(notes, |n| n.streams_finished += 1);
    }
}

pub(super) fn is_final(status: &Value) -> bool {
    matches!(
        status.as_str(),
        Some("DELIVERED" | "CANCELLED" | "REJECTED")
    )
}
