//! Where the MongoDB stand-in differs from MongoDB, and the form this service uses that is
//! right on both (DESIGN.md: "note it in a test named after the gap").

use bson::{Document, doc, oid::ObjectId};
use product_service::store::{
    flag, from_millis, int,
    stock::{TAKING, legacy_quantity, marker},
};
use shared::testing::eventually;

use crate::helpers::{WAIT, product, spawn_app};

#[tokio::test]
async fn a_dotted_projection_comes_back_flat_on_the_stand_in_so_markers_are_read_in_either_shape() {
    let app = spawn_app().await;
    let products = app.db.collection::<Document>("gap_projection");
    let id = ObjectId::new();
    products
        .insert_one(doc! {
            "_id": id, "stock": 3_i64, "taking": { "o-1": "token-1" },
            "reservations": { "o-1": 2_i64, "o-2": 0_i64 },
        })
        .await
        .unwrap();

    let projected = products
        .find_one(doc! { "_id": id })
        .projection(doc! { "stock": 1, "taking.o-1": 1, "reservations.o-1": 1 })
        .await
        .unwrap()
        .unwrap();

    // MongoDB nests it ({taking: {o-1: ...}}); the stand-in keeps the dotted key.
    assert_eq!(
        marker(&projected, TAKING, "o-1").as_deref(),
        Some("token-1")
    );
    assert_eq!(marker(&projected, TAKING, "o-3"), None);
    assert_eq!(legacy_quantity(&projected, "o-1"), Some(2));
    let whole = products
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(legacy_quantity(&whole, "o-2"), Some(0), "given back");
    assert_eq!(marker(&whole, TAKING, "o-1").as_deref(), Some("token-1"));
    app.stop().await;
}

#[tokio::test]
async fn the_stand_in_returns_small_int64s_as_int32s_so_integers_are_read_tolerantly() {
    let app = spawn_app().await;
    let things = app.db.collection::<Document>("gap_integers");
    things
        .insert_one(doc! { "_id": 1, "stock": 5_i64 })
        .await
        .unwrap();
    things
        .update_one(doc! { "_id": 1 }, doc! { "$inc": { "stock": -2_i64 } })
        .await
        .unwrap();

    let stored = things.find_one(doc! { "_id": 1 }).await.unwrap().unwrap();

    assert_eq!(int(&stored, "stock"), Some(3));
    app.stop().await;
}

#[tokio::test]
async fn a_set_boolean_becomes_an_integer_on_the_stand_in_so_flags_are_read_either_way() {
    let app = spawn_app().await;
    let flags = app.db.collection::<Document>("gap_flags");
    flags
        .insert_one(doc! { "_id": 1, "f": false })
        .await
        .unwrap();
    flags
        .update_one(doc! { "_id": 1 }, doc! { "$set": { "f": true } })
        .await
        .unwrap();

    let stored = flags.find_one(doc! { "_id": 1 }).await.unwrap().unwrap();

    // MongoDB keeps `true`; the stand-in keeps 1. Queries treat both alike on each server.
    assert!(flag(&stored, "f"));
    assert_eq!(flags.count_documents(doc! { "f": true }).await.unwrap(), 1);
    assert_eq!(
        flags
            .count_documents(doc! { "f": { "$ne": true } })
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn a_set_date_becomes_a_string_on_the_stand_in_so_product_timestamps_are_epoch_milliseconds()
{
    let app = spawn_app().await;
    let created = app.create_ok(&product("Timed", 1.0, 1)).await;
    let id = created["id"].as_str().unwrap();

    let (_, replaced) = app.replace(id, &product("Timed again", 2.0, 1)).await;

    let stored = app.product_doc(id).await;
    let updated = int(&stored, "updatedAt").expect("an integer timestamp");
    assert_eq!(
        from_millis(updated).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        replaced["data"]["updatedAt"].as_str().unwrap()
    );
    assert_eq!(app.get_product(id).await.1["data"], replaced["data"]);
    app.stop().await;
}

#[tokio::test]
async fn an_index_on_an_array_hides_documents_from_find_on_the_stand_in_so_tags_are_not_indexed() {
    let app = spawn_app().await;
    let mut body = product("Tagged", 1.0, 1);
    body["tags"] = serde_json::json!(["blue"]);
    app.create_ok(&body).await;
    let products = app.db.collection::<Document>("products");
    eventually("the service's indexes", WAIT, || async {
        let names = products.list_index_names().await.ok()?;
        names.iter().any(|n| n.contains("createdAt")).then_some(())
    })
    .await;

    assert_eq!(app.list_names("tag=blue").await, ["Tagged"]);
    assert_eq!(app.list_names("search=blue").await, ["Tagged"]);
    app.stop().await;
}

#[tokio::test]
async fn an_object_id_filter_on_a_field_other_than_id_matches_nothing_on_the_stand_in_so_reviews_keep_product_ids_as_text()
 {
    let app = spawn_app().await;
    let reviews = app.db.collection::<Document>("gap_object_id_field");
    let product = ObjectId::new();
    reviews
        .insert_one(
            doc! { "_id": ObjectId::new(), "productOid": product, "productId": product.to_hex() },
        )
        .await
        .unwrap();

    let by_oid = reviews
        .count_documents(doc! { "productOid": product })
        .await
        .unwrap();
    let by_text = reviews
        .count_documents(doc! { "productId": product.to_hex(), "hidden": { "$exists": false } })
        .await
        .unwrap();

    // MongoDB finds it both ways (1); the stand-in only by the text form (0), which reviews use.
    tracing::info!(by_oid, "an ObjectId filter on productOid");
    assert_eq!(by_text, 1);
    app.stop().await;
}

#[tokio::test]
async fn an_update_filtered_by_ne_on_a_missing_field_matches_nothing_on_the_stand_in_so_the_backfill_uses_nin()
 {
    let app = spawn_app().await;
    let products = app.db.collection::<Document>("gap_ne_update");
    let id = ObjectId::new();
    products
        .insert_one(doc! { "_id": id, "name": "Skillet" })
        .await
        .unwrap();
    let mut filter = product_service::store::products::embeddings::missing();
    filter.insert("_id", id);

    // MongoDB matches a missing field with `$ne` and `$nin` alike; the stand-in's updates only
    // with `$nin`, the form the backfill's filter uses.
    let matched = products
        .update_one(filter, doc! { "$set": { "embeddingModel": "m" } })
        .await
        .unwrap()
        .matched_count;

    assert_eq!(matched, 1);
    app.stop().await;
}

#[tokio::test]
async fn an_object_id_under_a_dotted_path_matches_no_equality_on_the_stand_in_so_variant_claims_hold_hex()
 {
    let app = spawn_app().await;
    let products = app.db.collection::<Document>("gap_dotted_object_id");
    let (id, variant) = (ObjectId::new(), ObjectId::new());
    products
        .insert_one(doc! {
            "_id": id,
            "variantKeys": { "s-A": variant, "s-B": variant.to_hex() },
        })
        .await
        .unwrap();

    // The form used: the variant's id in hex, matched by equality on both servers.
    let by_hex = products
        .find_one(doc! { "_id": id, "variantKeys.s-B": variant.to_hex() })
        .await
        .unwrap();
    assert!(by_hex.is_some());
    let unclaimed = products
        .update_one(
            doc! { "_id": id, "variantKeys.s-B": variant.to_hex() },
            doc! { "$unset": { "variantKeys.s-B": "" } },
        )
        .await
        .unwrap();
    assert_eq!(unclaimed.matched_count, 1);
    // The ObjectId itself: matched on MongoDB, not on the stand-in.
    let by_object_id = products
        .find_one(doc! { "_id": id, "variantKeys.s-A": variant })
        .await
        .unwrap();
    if std::env::var("MONGODB_URI").is_ok_and(|uri| !uri.contains("127.0.0.1:27017")) {
        assert!(by_object_id.is_some(), "MongoDB matches it");
    }
    app.app.stop_and_clean().await;
}
