//! The seeded demo orders on the fulfilment schedule: the demo customer's streams of its
//! unfinished orders end, as those of any order do.

use std::time::Duration;

use chrono::Utc;
use order_service::{
    config::FulfilmentConfig,
    domain::{Order, Status},
    seed::{self, Input},
};
use serde_json::{Value, json};
use shared::auth::Role;

use crate::{
    helpers::{Options, spawn_with},
    seed::customers,
    streams::{next_event, next_message, sse, subscribe, transition, ws},
};

/// Long enough for the streams to open before the first step, short enough for a test.
const SCHEDULE: FulfilmentConfig = FulfilmentConfig {
    enabled: true,
    min_delay: Duration::from_millis(500),
    max_delay: Duration::from_millis(700),
    poll: Duration::from_millis(20),
};

#[tokio::test]
async fn the_demo_customers_streams_of_seeded_orders_end_once_the_schedule_delivers_them() {
    // Arrange
    let t = spawn_with(Options {
        adjust: Box::new(|c| c.fulfilment = SCHEDULE),
        ..Options::default()
    })
    .await;
    let mut products = Vec::new();
    for (name, price) in [("Lamp", 12.5), ("Mug", 4.0), ("Desk", 99.99)] {
        let id = t.product(name, price, 50).await;
        products.push(json!({ "id": id, "name": name, "price": price, "stock": 50 }));
    }
    let (ids, customers) = customers();
    let input: Input =
        serde_json::from_value(json!({ "customers": customers, "products": products })).unwrap();
    let demo = (
        ids[0].to_hex(),
        t.names.bearer(&ids[0].to_hex(), Role::Customer),
    );

    // Act
    seed::run(&t.db, &input, Utc::now(), &SCHEDULE)
        .await
        .expect("seed");
    let mut unfinished: Vec<Order> = Vec::new();
    for status in [Status::Processing, Status::Shipped] {
        let filter = bson::doc! { "customerId": &demo.0, "status": status.as_str() };
        let found = t.db.collection::<Order>("orders").find_one(filter).await;
        unfinished.push(
            found
                .expect("read")
                .expect("a seeded order of the demo customer"),
        );
    }
    let mut socket = ws(&t.orders.app.base_url, Some(&demo.1)).await;
    let mut streams = Vec::new();
    for order in &unfinished {
        let id = order.id.to_hex();
        let url = t.orders.app.url(&format!("/orders/{id}/stream"));
        streams.push(sse(&url, &demo.1, None).await.1);
        subscribe(&mut socket, &id).await;
    }

    // Assert: each SSE stream runs, without a gap, to DELIVERED and ends there; the socket,
    // which followed both one by one, closes normally after the last.
    for mut events in streams {
        let snapshot: Value =
            serde_json::from_str(&next_event(&mut events).await.unwrap().data).expect("a snapshot");
        let mut status = snapshot["order"]["status"].as_str().unwrap().to_owned();
        while let Some(event) = next_event(&mut events).await {
            let change: Value = serde_json::from_str(&event.data).unwrap();
            let (old, new) = transition(&change);
            assert_eq!(old, status, "no gap");
            status = new;
        }
        assert_eq!(status, "DELIVERED", "the stream ended after delivery");
    }
    let close = loop {
        match next_message(&mut socket).await {
            Ok(_) => {}
            Err(code) => break code,
        }
    };
    assert_eq!(close, Some(1000));
    t.stop().await;
}
