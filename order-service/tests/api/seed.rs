//! The demo orders of `order-service seed` ([`order_service::seed::run`]): 18 historical orders
//! with the events the live service would have published, written once; what owners read, what
//! the poller and the stock saga make of them. Their streams: `demo.rs`.

use std::{
    collections::BTreeMap,
    io::Write,
    process::{Command, Stdio},
    time::Duration,
};

use bson::{Document, doc, oid::ObjectId};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use order_service::{
    config::FulfilmentConfig,
    domain::{Order, Status, order::rfc3339},
    seed::{self, DEMO_EMAIL, Input},
};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    auth::Role,
    events::Envelope,
    outbox,
    testing::{TestNames, eventually, mongodb_uri},
};

use crate::{
    helpers::{NOWHERE, WAIT, database, order_config, spawn_replica, spawn_without_fulfilment},
    requests::call,
};

/// A customer of the input: id, e-mail, and whether it has an address.
fn customer(id: ObjectId, email: &str, address: bool) -> Value {
    let mut customer = json!({ "id": id.to_hex(), "email": email, "name": email });
    if address {
        customer["address"] = json!({ "street": "1 Main St", "city": "Springfield",
            "zipCode": "12345", "country": "US" });
    }
    customer
}

/// Three customers with an address (the demo one among them) and an admin without one.
pub fn customers() -> (Vec<ObjectId>, Value) {
    let ids: Vec<ObjectId> = (0..4).map(|_| ObjectId::new()).collect();
    let list = json!([
        customer(ids[0], DEMO_EMAIL, true),
        customer(ids[1], "ann@example.com", true),
        customer(ids[2], "bob@example.com", true),
        customer(ids[3], "admin@example.com", false),
    ]);
    (ids, list)
}

/// Every document of the `orders` collection, by id.
async fn documents(db: &mongodb::Database) -> Vec<Document> {
    db.collection::<Document>("orders")
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .expect("find")
        .try_collect()
        .await
        .expect("read")
}

/// The pending events of a stored order, in the order the relay publishes them.
fn staged(document: &Document) -> Vec<Envelope> {
    let pending = document.get_document(outbox::FIELD).expect("an outbox");
    let mut keys: Vec<&String> = pending.keys().collect();
    keys.sort();
    keys.iter()
        .map(|k| serde_json::from_str(pending.get_str(k.as_str()).unwrap()).unwrap())
        .collect()
}

/// Checks one stored order against the rules of the seed, run at `now` on `schedule`; returns it.
fn check_order(
    document: &Document,
    prices: &BTreeMap<String, i64>,
    now: DateTime<Utc>,
    schedule: &FulfilmentConfig,
) -> Order {
    let order: Order = bson::from_document(document.clone()).expect("an order");
    let id = order.id;
    let due = document.get_i64("nextDueAtMs").ok();
    if matches!(order.status, Status::Processing | Status::Shipped) {
        let from = |wait: Duration| (now + wait).timestamp_millis();
        let window = from(schedule.min_delay)..=from(schedule.max_delay);
        assert!(
            due.is_some_and(|d| window.contains(&d)),
            "{id}: due {due:?}"
        );
    } else {
        assert_eq!(due, None, "{id}: a final order has no next step");
    }
    assert!((1..=4).contains(&order.items.len()), "{id}: lines");
    for line in &order.items {
        assert_eq!(line.unit_price_cents, prices[&line.product_id], "{id}");
        assert_eq!(line.subtotal_cents, line.unit_price_cents * line.quantity);
    }
    let sum: i64 = order.items.iter().map(|l| l.subtotal_cents).sum();
    assert_eq!(order.total_cents, sum, "{id}: total");

    let history = order.history();
    assert_eq!(history[0].1.status, Status::Pending);
    assert_eq!(history[0].1.at, order.created_at);
    assert!(
        history.windows(2).all(|w| w[0].1.at < w[1].1.at),
        "{id}: times in order"
    );
    assert!(
        history
            .windows(2)
            .all(|w| w[0].1.status.can_become(w[1].1.status))
    );
    let (last_index, last) = *history.last().unwrap();
    assert_eq!(
        (last.status, last_index, last.at),
        (order.status, order.version, order.updated_at)
    );
    assert!(order.updated_at < now, "{id}: in the past");

    let events = staged(document);
    assert_eq!(outbox::pending_count(document), events.len() as i64);
    assert_eq!(events[0].kind, "order.created");
    assert_eq!(events[0].data["createdAt"], rfc3339(order.created_at));
    assert_eq!(events[0].data["total"], json!(order.view().total));
    let mut rest = events[1..].iter();
    for (index, entry) in &history[1..] {
        let changed = rest.next().expect("an order.status_changed per step");
        assert_eq!(changed.kind, "order.status_changed");
        assert_eq!(changed.data["at"], rfc3339(entry.at));
        assert_eq!(changed.data["index"], *index);
        assert_eq!(changed.data["newStatus"], entry.status.as_str());
        let before = order.status_before(*index).unwrap();
        assert_eq!(changed.data["oldStatus"], before.as_str());
        if entry.status == Status::Cancelled {
            assert_eq!(
                rest.next().expect("order.cancelled").kind,
                "order.cancelled"
            );
        }
    }
    assert!(rest.next().is_none(), "{id}: no other event");
    order
}

#[tokio::test]
async fn the_seed_writes_eighteen_historical_orders_with_their_events_once_and_owners_read_them() {
    // Arrange
    let names = TestNames::new();
    let config = order_config(&names, NOWHERE, NOWHERE);
    let db = database(&config).await;
    let (ids, customers) = customers();
    let products: Vec<Value> = [("Lamp", 19.99, 40), ("Mug", 0.1, 60), ("Desk", 250.0, 0)]
        .iter()
        .map(|(name, price, stock)| json!({ "id": ObjectId::new().to_hex(), "name": name, "price": price, "stock": stock }))
        .collect();
    let prices: BTreeMap<String, i64> = products
        .iter()
        .zip([1999, 10, 25_000])
        .map(|(p, cents)| (p["id"].as_str().unwrap().to_owned(), cents))
        .collect();
    let input: Input =
        serde_json::from_value(json!({ "customers": customers, "products": products })).unwrap();
    let now = Utc::now();
    let schedule = config.fulfilment;

    // Act
    let first = seed::run(&db, &input, now, &schedule)
        .await
        .expect("first run");
    let written = documents(&db).await;
    let second = seed::run(&db, &input, Utc::now(), &schedule)
        .await
        .expect("second run");

    // Assert
    assert_eq!((first.created, first.already_there), (18, 0));
    assert_eq!((second.created, second.already_there), (0, 18));
    let mix = BTreeMap::from([
        ("CANCELLED", 2),
        ("DELIVERED", 8),
        ("PROCESSING", 3),
        ("REJECTED", 2),
        ("SHIPPED", 3),
    ]);
    assert_eq!(first.by_status, mix);
    assert_eq!(
        documents(&db).await,
        written,
        "the second run changed nothing"
    );

    let orders: Vec<Order> = written
        .iter()
        .map(|d| check_order(d, &prices, now, &schedule))
        .collect();
    let count = |f: &dyn Fn(&Order) -> bool| orders.iter().filter(|o| f(o)).count();
    assert_eq!(count(&|o| o.customer_id == ids[0].to_hex()), 3);
    assert_eq!(
        count(&|o| o.customer_id == ids[3].to_hex()),
        0,
        "no address"
    );
    let days_ago = |days| now - chrono::Duration::days(days);
    assert!(
        orders.iter().all(|o| o.created_at > days_ago(29)),
        "the last four weeks"
    );
    assert!(orders.iter().any(|o| o.created_at < days_ago(21)));
    assert!(orders.iter().any(|o| o.created_at > days_ago(1)));
    for order in &orders {
        let shipped = order
            .history()
            .into_iter()
            .find(|(_, e)| e.status == Status::Shipped);
        if let Some((_, shipped)) = shipped {
            assert!(order.carrier.is_some() && order.tracking_number.is_some());
            assert_eq!(
                order.estimated_delivery,
                shipped.at + chrono::Duration::days(3)
            );
        }
        match order.status {
            Status::Rejected => assert!(order.rejection_reason.is_some()),
            Status::Cancelled => assert!(order.cancellation_reason.is_some()),
            _ => {}
        }
    }
    let cancelled_from: Vec<Status> = orders
        .iter()
        .filter(|o| o.status == Status::Cancelled)
        .map(|o| o.status_before(o.version).unwrap())
        .collect();
    assert_eq!(cancelled_from, [Status::Processing, Status::Pending]);

    // The service serves them to their owners, publishes their events, and its poller ships and
    // delivers those on their way.
    let replica = spawn_replica(config).await;
    let app = &replica.app;
    for order in &orders {
        let owner = names.bearer(&order.customer_id, Role::Customer);
        let path = format!("/orders/{}", order.id.to_hex());
        let (status, body) = call(
            &app.client,
            Method::GET,
            &app.url(&path),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // The unfinished ones may have moved on already: their first step was due at once.
        let history = body["data"]["statusHistory"].as_array().unwrap();
        let seeded = usize::try_from(order.version).unwrap();
        assert_eq!(history[seeded]["status"], order.status.as_str());
        assert_eq!(body["data"]["createdAt"], rfc3339(order.created_at));
    }
    let stranger = names.bearer(&ObjectId::new().to_hex(), Role::Customer);
    let path = format!("/orders/{}", orders[0].id.to_hex());
    let (status, _) = call(
        &app.client,
        Method::GET,
        &app.url(&path),
        Some(&stranger),
        None,
    )
    .await;
    assert_eq!(status, 404);
    eventually("the relay to publish every staged event", WAIT, || async {
        let pending: i64 = documents(&db).await.iter().map(outbox::pending_count).sum();
        (pending == 0).then_some(())
    })
    .await;
    let expected: Vec<_> = orders
        .iter()
        .map(|o| match o.status {
            Status::Processing => (o.id, Status::Delivered, o.version + 2),
            Status::Shipped => (o.id, Status::Delivered, o.version + 1),
            other => (o.id, other, o.version),
        })
        .collect();
    eventually("the unfinished orders to be delivered", WAIT, || async {
        let now: Vec<_> = documents(&db)
            .await
            .into_iter()
            .map(|d| bson::from_document::<Order>(d).unwrap())
            .map(|o| (o.id, o.status, o.version))
            .collect();
        (now == expected).then_some(())
    })
    .await;
    replica.app.stop_and_clean().await;
}

#[tokio::test]
async fn product_service_takes_the_stock_of_seeded_orders_except_cancelled_and_rejected_ones() {
    // Arrange: no fulfilment, so only the saga could change an order.
    let t = spawn_without_fulfilment().await;
    let stocks = [("Lamp", 12.5, 30), ("Mug", 4.0, 2), ("Desk", 99.99, 25)];
    let mut products = Vec::new();
    for (name, price, stock) in stocks {
        let id = t.product(name, price, stock).await;
        products.push(json!({ "id": id, "name": name, "price": price, "stock": stock }));
    }
    let (_, customers) = customers();
    let input: Input =
        serde_json::from_value(json!({ "customers": customers, "products": products })).unwrap();

    // Act
    let schedule = order_config(&t.names, NOWHERE, NOWHERE).fulfilment;
    let report = seed::run(&t.db, &input, Utc::now(), &schedule)
        .await
        .expect("seed");

    // Assert
    assert_eq!(report.created, 18);
    let orders: Vec<Order> = documents(&t.db)
        .await
        .into_iter()
        .map(|d| bson::from_document(d).unwrap())
        .collect();
    for (product, (_, _, stock)) in products.iter().zip(stocks) {
        let id = product["id"].as_str().unwrap();
        let held: i64 = orders
            .iter()
            .filter(|o| !matches!(o.status, Status::Cancelled | Status::Rejected))
            .flat_map(|o| &o.items)
            .filter(|l| l.product_id == id)
            .map(|l| l.quantity)
            .sum();
        t.wait_for_stock(id, stock - held).await;
    }
    eventually("stock.released for both cancelled orders", WAIT, || async {
        let released = t
            .db
            .collection::<Document>("orders")
            .count_documents(doc! { "status": "CANCELLED", "stockReleasedAt": { "$exists": true } })
            .await
            .ok()?;
        (released == 2).then_some(())
    })
    .await;
    let now: Vec<Order> = documents(&t.db)
        .await
        .into_iter()
        .map(|d| bson::from_document(d).unwrap())
        .collect();
    let statuses = |list: &[Order]| {
        list.iter()
            .map(|o| (o.id, o.status, o.version))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses(&now),
        statuses(&orders),
        "the saga's answers change no seeded order"
    );
    t.stop().await;
}

/// Runs `order-service seed` with `input` on stdin against `database`: exit code, stdout, stderr.
fn seed_binary(database: &str, input: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_order-service"))
        .arg("seed")
        .env("APP_ENV", "development")
        .env("MONGODB_URI", mongodb_uri())
        .env("MONGODB_DB", database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait for the binary");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
    (
        output.status.code(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[tokio::test]
async fn the_seed_subcommand_reads_stdin_reports_as_json_and_refuses_bad_input_with_code_2() {
    // Arrange
    let names = TestNames::new();
    let (_, customers) = customers();
    let product =
        json!({ "id": ObjectId::new().to_hex(), "name": "Lamp", "price": 19.99, "stock": 99 });
    let input = json!({ "customers": customers, "products": [product] }).to_string();

    // Act
    let first = seed_binary(&names.database, &input);
    let second = seed_binary(&names.database, &input);
    let bad = seed_binary(&names.database, r#"{"customers": []}"#);

    // Assert
    let report =
        |stdout: &str| serde_json::from_str::<Value>(stdout.trim()).expect("a JSON report");
    assert_eq!(first.0, Some(0), "{}", first.2);
    assert_eq!(report(&first.1)["created"], 18);
    assert_eq!(report(&second.1)["alreadyThere"], 18);
    assert_eq!(report(&second.1)["byStatus"]["DELIVERED"], 8);
    assert_eq!(bad.0, Some(2));
    assert!(bad.2.contains("products"), "{}", bad.2);
    let mongo = shared::config::MongoConfig {
        uri: mongodb_uri(),
        database: names.database.clone(),
    };
    let db = shared::store::mongo(&mongo, "test-cleanup").await.unwrap();
    db.drop().await.unwrap();
}
