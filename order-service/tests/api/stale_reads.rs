//! A status change may start from the order as its caller already read it (the fulfilment
//! poll's find, the stock answer's handler) instead of reading it again. That copy may be
//! stale by the time it is written: the write is guarded by the status and version it was
//! read with, so a stale copy only costs a re-read, and the change is decided again on the
//! order as it is.

use bson::{Document, doc};
use order_service::{
    domain::{Change, Status},
    lifecycle::{Orders, Outcome},
    store::orders,
};
use shared::{outbox::Nudge, testing::TestNames};

use crate::{
    gaps::placed,
    helpers::{NOWHERE, database, order_config},
};

#[tokio::test]
async fn a_change_started_from_a_stale_read_is_decided_again_on_the_order_as_it_is() {
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
    let stale = orders::by_id_with_pending(&db, order.id)
        .await
        .unwrap()
        .expect("the order");
    assert_eq!((stale.0.status, stale.1), (Status::Pending, Some(0)));

    // Someone else reserves it after that read.
    let first = lifecycle
        .change(order.id, &Change::Reserve, "first")
        .await
        .unwrap();
    assert!(matches!(first, Outcome::Applied { .. }), "{first:?}");

    // The same change from the stale copy: written over it, it would reserve the order twice.
    let again = lifecycle
        .change_from(stale.clone(), &Change::Reserve, "stale")
        .await
        .unwrap();
    match again {
        Outcome::Illegal { current, .. } => {
            assert_eq!((current.status, current.version), (Status::Processing, 1));
        }
        other => panic!("a stale copy was written over the order: {other:?}"),
    }
    // A change that still applies is applied to the order as it is, not as it was read.
    let cancelled = lifecycle
        .change_from(
            stale,
            &Change::Cancel {
                reason: "changed my mind".to_owned(),
            },
            "cancel",
        )
        .await
        .unwrap();
    match cancelled {
        Outcome::Applied { before, after } => {
            assert_eq!(before.status, Status::Processing, "decided on the re-read");
            assert_eq!((after.status, after.version), (Status::Cancelled, 2));
        }
        other => panic!("{other:?}"),
    }
    let raw: Document = db
        .collection("orders")
        .find_one(doc! { "_id": order.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        raw.get_document("history").unwrap().len(),
        3,
        "PENDING, PROCESSING, CANCELLED"
    );
    assert_eq!(
        shared::outbox::pending_count(&raw),
        3,
        "one order.status_changed per change, and the cancel's order.cancelled"
    );
    db.drop().await.unwrap();
}
