//! Forms chosen because the MongoDB stand-in differs from MongoDB (DESIGN.md: "note it in a
//! test named after the gap"); each is correct on both.

use std::{collections::BTreeMap, time::Duration};

use bson::{Bson, Document, doc, oid::ObjectId};
use order_service::{
    domain::{Address, Change, HistoryEntry, Order, Status, order::history_key, shipment},
    lifecycle::{Orders, Outcome},
    store::orders,
};
use shared::{outbox::Nudge, testing::TestNames};

use crate::helpers::{NOWHERE, database, order_config};

/// The statuses the fulfilment schedule moves on.
const SCHEDULED: [Status; 2] = [Status::Processing, Status::Shipped];

/// A `PENDING` order with no lines, written by no one yet.
pub fn placed() -> Order {
    let now = bson::DateTime::now().to_chrono();
    Order {
        id: ObjectId::new(),
        customer_id: ObjectId::new().to_hex(),
        items: vec![],
        total_cents: 0,
        quote: None,
        shipping_address: Address {
            street: "1 Main St".to_owned(),
            city: "Springfield".to_owned(),
            zip_code: "12345".to_owned(),
            country: "US".to_owned(),
        },
        status: Status::Pending,
        version: 0,
        history: BTreeMap::from([(
            history_key(0),
            HistoryEntry {
                status: Status::Pending,
                at: now,
                note: None,
            },
        )]),
        rejection_reason: None,
        cancellation_reason: None,
        carrier: None,
        tracking_number: None,
        estimated_delivery: shipment::estimate_from_order(now),
        next_due_at_ms: None,
        stock_released_at: None,
        payment: None,
        request_key: format!("order:{}", ObjectId::new().to_hex()),
        coupon: None,
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn history_is_a_keyed_map_and_due_times_are_numbers_because_the_stand_in_mangles_pushed_subdocuments_and_set_dates()
 {
    let names = TestNames::new();
    let config = order_config(&names, NOWHERE, NOWHERE);
    let db = database(&config).await;
    let lifecycle = Orders {
        db: db.clone(),
        outbox: Nudge::default(),
        fulfilment: config.fulfilment,
    };
    let order = placed();
    orders::insert(&db, &order, &[]).await.unwrap();

    for change in [
        Change::Reserve,
        Change::Ship {
            carrier: None,
            tracking_number: None,
        },
    ] {
        let outcome = lifecycle.change(order.id, &change, "test").await.unwrap();
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    }
    let stale = lifecycle
        .change(order.id, &Change::Reserve, "test")
        .await
        .unwrap();

    assert!(
        matches!(stale, Outcome::Illegal { .. }),
        "a replayed change is refused"
    );
    let raw: Document = db
        .collection("orders")
        .find_one(doc! { "_id": order.id })
        .await
        .unwrap()
        .unwrap();
    let history = raw.get_document("history").unwrap();
    assert_eq!(history.keys().collect::<Vec<_>>(), ["0000", "0001", "0002"]);
    assert!(matches!(history.get("0002"), Some(Bson::Document(_))));
    assert!(matches!(raw.get("nextDueAtMs"), Some(Bson::Int64(_))));
    assert_eq!(
        shared::outbox::pending_count(&raw),
        2,
        "each change staged its order.status_changed"
    );
    let stored = orders::by_id(&db, order.id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Shipped);
    assert_eq!(stored.version, 2);
    assert!(stored.updated_at >= order.updated_at);
    let later = stored.next_due_at_ms.unwrap()
        + i64::try_from(Duration::from_secs(60).as_millis()).unwrap();
    let due = orders::due(&db, &SCHEDULED, later, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), [order.id]);
    let (read, pending) = due[0].read.as_ref().expect("the due order is read whole");
    assert_eq!((read.status, read.version), (Status::Shipped, 2));
    assert_eq!(*pending, Some(2), "with its pending events");
    assert!(
        orders::due(&db, &SCHEDULED, stored.next_due_at_ms.unwrap() - 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    db.drop().await.unwrap();
}
