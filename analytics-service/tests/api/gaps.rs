//! Where the MongoDB stand-in differs from MongoDB, the form the read models use works on both.

use analytics_service::{
    domain::ledger::Payment,
    store::{
        orders::{self, FINAL, Facts},
        rows,
    },
};
use bson::{Document, doc};
use shared::testing::TestNames;

async fn database() -> mongodb::Database {
    let config = shared::config::MongoConfig {
        uri: shared::testing::mongodb_uri(),
        database: TestNames::new().database,
    };
    shared::store::mongo(&config, "gaps").await.unwrap()
}

async fn status(db: &mongodb::Database, id: &str) -> String {
    db.collection::<Document>(orders::COLLECTION)
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
        .get_str("status")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn status_guards_compare_one_always_present_field_because_the_stand_in_ignores_or_in_update_filters()
 {
    let db = database().await;
    for id in ["a", "b"] {
        let facts = Facts {
            order_id: id.to_owned(),
            day: Some("2026-01-01".to_owned()),
            total: Some(100),
            ..Facts::default()
        };
        orders::record(&db, &facts).await.unwrap();
        orders::set_status(&db, id, "PENDING", 0).await.unwrap();
    }

    orders::set_status(&db, "a", "SHIPPED", 2).await.unwrap();
    orders::set_status(&db, "a", "PROCESSING", 1).await.unwrap();
    orders::set_status(&db, "b", "CANCELLED", FINAL)
        .await
        .unwrap();
    orders::set_status(&db, "b", "PROCESSING", 1).await.unwrap();
    orders::set_status(&db, "b", "REJECTED", FINAL)
        .await
        .unwrap();

    assert_eq!(
        status(&db, "a").await,
        "SHIPPED",
        "a stale status is ignored"
    );
    assert_eq!(
        status(&db, "b").await,
        "CANCELLED",
        "the first final status stays"
    );
    db.drop().await.unwrap();
}

#[tokio::test]
async fn revenue_per_day_ranges_on_the_day_text_because_two_range_operators_on_a_date_return_nothing_on_the_stand_in()
 {
    let db = database().await;
    for (id, day, cents) in [
        ("a", "2026-01-01", 199),
        ("b", "2026-01-02", 1),
        ("c", "2026-01-03", 5),
    ] {
        let facts = Facts {
            order_id: id.to_owned(),
            day: Some(day.to_owned()),
            total: Some(cents),
            payment: Payment::Invoice,
            reached: true,
            ..Facts::default()
        };
        orders::record(&db, &facts).await.unwrap();
        orders::set_status(&db, id, "PROCESSING", 1).await.unwrap();
    }
    let range = analytics_service::domain::DayRange::new(
        analytics_service::domain::Day::parse("2026-01-01").unwrap(),
        analytics_service::domain::Day::parse("2026-01-02").unwrap(),
    )
    .unwrap();

    let mut rows: Vec<(String, i64)> = rows::rows(&db, Some(range), false)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.day.clone().unwrap(), r.revenue().unwrap()))
        .collect();
    rows.sort();

    assert_eq!(
        rows,
        [("2026-01-01".to_owned(), 199), ("2026-01-02".to_owned(), 1)]
    );
    db.drop().await.unwrap();
}

#[tokio::test]
async fn marks_read_as_true_or_1_because_the_stand_in_gives_a_boolean_set_by_an_upsert_back_as_1() {
    let db = database().await;
    let facts = Facts {
        order_id: "a".to_owned(),
        day: Some("2026-01-01".to_owned()),
        total: Some(100),
        payment: Payment::Invoice,
        reached: true,
        ..Facts::default()
    };
    orders::record(&db, &facts).await.unwrap();
    orders::mark(&db, "a", doc! { "fromCart": true, "refunds.e-1": 40i64 })
        .await
        .unwrap();

    let row = rows::rows(&db, None, false).await.unwrap().remove(0);

    assert!(row.reached, "{row:?}");
    assert!(row.from_cart, "{row:?}");
    assert_eq!(
        row.refunded, 40,
        "a refund under a dotted key lands in the map"
    );
    db.drop().await.unwrap();
}
