//! The fulfilment poller against orders it cannot advance: they are skipped, never a reason to
//! stop advancing the others.

use bson::{doc, oid::ObjectId};

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_unreadable_due_order_does_not_stop_the_others_from_shipping() {
    let t = spawn_app().await;
    // Due long ago, so it sorts first in every poll, and missing most of an order's fields.
    let broken = ObjectId::new();
    t.db.collection::<bson::Document>("orders")
        .insert_one(doc! {
            "_id": broken,
            "status": "PROCESSING",
            "nextDueAtMs": 0_i64,
            "version": 1_i64,
        })
        .await
        .unwrap();
    let lamp = t.product("Lamp", 10.0, 10).await;
    let buyer = t.customer();

    let id = t.place_id(&buyer, &[(&lamp, 1)]).await;

    t.wait_for_status(&id, "DELIVERED").await;
    let stored =
        t.db.collection::<bson::Document>("orders")
            .find_one(doc! { "_id": broken })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        stored.get_str("status").unwrap(),
        "PROCESSING",
        "left alone"
    );
    t.stop().await;
}
