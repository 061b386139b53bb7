//! Where the MongoDB stand-in differs from MongoDB, the form this service uses works on both.

use bson::{Document, doc};
use futures::TryStreamExt;
use shared::testing::TestNames;

async fn database() -> mongodb::Database {
    let names = TestNames::new();
    let config = shared::config::MongoConfig {
        uri: shared::testing::mongodb_uri(),
        database: names.database,
    };
    shared::store::mongo(&config, "gaps").await.unwrap()
}

#[tokio::test]
async fn acknowledged_alerts_are_found_by_exists_because_ne_null_matches_missing_fields_on_the_stand_in()
 {
    let db = database().await;
    let c = db.collection::<Document>("alerts");
    c.insert_one(doc! { "_id": 1, "acknowledged": false })
        .await
        .unwrap();
    c.insert_one(doc! { "_id": 2, "acknowledged": false })
        .await
        .unwrap();
    c.update_one(
        doc! { "_id": 2, "acknowledgedAt": null },
        doc! { "$set": { "acknowledged": true, "acknowledgedAt": bson::DateTime::now() } },
    )
    .await
    .unwrap();

    let ids = |docs: Vec<Document>| {
        docs.iter()
            .map(|d| d.get_i32("_id").unwrap())
            .collect::<Vec<_>>()
    };
    let acked: Vec<Document> = c
        .find(doc! { "acknowledgedAt": { "$exists": true } })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let open: Vec<Document> = c
        .find(doc! { "acknowledgedAt": null })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(acked), [2]);
    assert_eq!(ids(open), [1]);

    db.drop().await.unwrap();
}

#[tokio::test]
async fn the_sequence_counter_is_read_tolerantly_because_the_stand_in_returns_int64_as_int32() {
    let db = database().await;

    let first = alert_service::store::alerts::next_sequence(&db)
        .await
        .unwrap();
    let second = alert_service::store::alerts::next_sequence(&db)
        .await
        .unwrap();

    assert_eq!((first, second), (1, 2));
    db.drop().await.unwrap();
}
