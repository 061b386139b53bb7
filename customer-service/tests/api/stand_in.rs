//! Gaps of the local MongoDB stand-in that shaped customer-service's storage, each pinned by a
//! test that passes on real MongoDB too (DESIGN.md: "note it in a test named after the gap").

use bson::{Bson, Document, doc};
use shared::{config::MongoConfig, testing::TestNames};

/// The default-address switch written with `arrayFilters` (unset the old, set the new in one
/// update) is what real MongoDB offers; the stand-in answers "matched 1, modified 0" and changes
/// nothing. So `store::addresses` keeps the default as one id beside the list and rewrites the
/// book whole with `$set`, which both apply alike.
#[tokio::test]
async fn stand_in_gap_array_filters_change_nothing_so_the_address_book_is_rewritten_whole() {
    let names = TestNames::new();
    let mongo = MongoConfig {
        uri: shared::testing::mongodb_uri(),
        database: names.database.clone(),
    };
    let db = shared::store::mongo(&mongo, "stand-in-gap").await.unwrap();
    let books = db.collection::<Document>("books");
    let book = |a: bool, b: bool| {
        Bson::Array(vec![
            doc! { "id": "a", "isDefault": a }.into(),
            doc! { "id": "b", "isDefault": b }.into(),
        ])
    };
    books
        .insert_one(doc! { "_id": 1, "list": book(true, false) })
        .await
        .unwrap();

    let filtered = books
        .update_one(
            doc! { "_id": 1 },
            doc! { "$set": { "list.$[old].isDefault": false, "list.$[new].isDefault": true } },
        )
        .array_filters(vec![
            doc! { "old.id": { "$ne": "b" } },
            doc! { "new.id": "b" },
        ])
        .await
        .unwrap();
    let after = books.find_one(doc! { "_id": 1 }).await.unwrap().unwrap();
    let list = after.get("list").cloned();
    if filtered.modified_count == 0 {
        // The stand-in: nothing changed, not even half of the switch.
        assert_eq!(list, Some(book(true, false)));
    } else {
        assert_eq!(list, Some(book(false, true)));
    }

    // The form the service uses: the whole list with `$set`, the same on both.
    books
        .update_one(
            doc! { "_id": 1 },
            doc! { "$set": { "list": book(false, true) } },
        )
        .await
        .unwrap();
    let after = books.find_one(doc! { "_id": 1 }).await.unwrap().unwrap();
    assert_eq!(after.get("list").cloned(), Some(book(false, true)));
    db.drop().await.unwrap();
}

/// An ObjectId field other than `_id` compared by equality: the stand-in's find returns no
/// document (its count finds them), so an erased or disabled account's sessions were not
/// found and stayed alive there. `store::refresh_tokens::families_of` asks with `$in` of one,
/// which means the same on MongoDB and is found by both.
#[tokio::test]
async fn stand_in_gap_an_object_id_field_is_found_with_in_so_an_accounts_sessions_are_found() {
    let names = TestNames::new();
    let mongo = MongoConfig {
        uri: shared::testing::mongodb_uri(),
        database: names.database.clone(),
    };
    let db = shared::store::mongo(&mongo, "stand-in-gap").await.unwrap();
    let customer = bson::oid::ObjectId::new();
    let tokens = db.collection::<Document>(customer_service::store::refresh_tokens::COLLECTION);
    for (hash, family) in [("h1", "f1"), ("h2", "f1"), ("h3", "f2")] {
        tokens
            .insert_one(doc! {
                "_id": hash, "customerId": customer, "family": family,
                "expiresAt": bson::DateTime::now(), "used": false, "revoked": false,
            })
            .await
            .unwrap();
    }
    tokens
        .insert_one(doc! {
            "_id": "other", "customerId": bson::oid::ObjectId::new(), "family": "f3",
            "expiresAt": bson::DateTime::now(), "used": false, "revoked": false,
        })
        .await
        .unwrap();
    let families = customer_service::store::refresh_tokens::families_of(&db, customer)
        .await
        .unwrap();
    assert_eq!(families, ["f1", "f2"]);
    db.drop().await.unwrap();
}
