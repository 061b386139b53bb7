//! Look-alike registrations: an address that looks like an existing one (other scripts,
//! invisible characters, fullwidth forms) cannot sign up beside it.

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn an_address_that_looks_like_an_existing_one_is_refused() {
    let t = spawn_app().await;
    t.register("ada@example.com").await;

    for lookalike in [
        "\u{430}da@example.com",             // Cyrillic а
        "\u{430}d\u{430}@ex\u{430}mple.com", // Cyrillic а, three times
        "ＡＤＡ@example.com",                // fullwidth
    ] {
        let (status, body) = t
            .post(
                "/auth/register",
                json!({ "name": "Mallory", "email": lookalike, "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, 409, "{lookalike:?}: {body}");
        assert_eq!(body["error"]["code"], "CONFLICT");
    }
    assert_eq!(t.customer_count().await, 1);
    // The admin account, ensured at start, is guarded the same way.
    t.admin_token().await;
    let (status, _) = t
        .post(
            "/auth/register",
            json!({ "name": "Mallory", "email": "\u{430}dmin@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 409);
    t.stop().await;
}

#[tokio::test]
async fn an_address_with_invisible_or_direction_characters_is_refused() {
    let t = spawn_app().await;

    for hidden in [
        "ada\u{200b}@example.com", // zero-width space
        "ada\u{202e}@example.com", // right-to-left override
        "ada\u{2066}@example.com", // left-to-right isolate
    ] {
        let (status, body) = t
            .post(
                "/auth/register",
                json!({ "name": "Mallory", "email": hidden, "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, 400, "{hidden:?}: {body}");
        assert!(body["error"]["details"]["email"].is_string(), "{body}");
    }
    assert_eq!(t.customer_count().await, 0);
    t.stop().await;
}

#[tokio::test]
async fn a_fullwidth_address_signs_in_as_the_address_it_shows() {
    let t = spawn_app().await;
    t.register("grace@example.com").await;

    let (status, body) = t.login("ｇｒａｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ", PASSWORD).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["customer"]["email"], "grace@example.com");
    t.stop().await;
}

/// Accounts stored before skeletons existed get theirs when the indexes are made; of two such
/// accounts that look alike, the first keeps the skeleton and the second is left without one
/// (it keeps working), and from then on a new look-alike of either is refused.
#[tokio::test]
async fn accounts_stored_before_skeletons_are_given_theirs_and_old_look_alikes_keep_working() {
    use bson::{Document, doc, oid::ObjectId};
    use customer_service::store::customers::{COLLECTION, ensure_indexes};

    let names = shared::testing::TestNames::new();
    let config = shared::config::MongoConfig {
        uri: shared::testing::mongodb_uri(),
        database: names.database.clone(),
    };
    let db = shared::store::mongo(&config, "skeleton-test")
        .await
        .unwrap();
    let customers = db.collection::<Document>(COLLECTION);
    let (ada, mallory, bob) = (ObjectId::new(), ObjectId::new(), ObjectId::new());
    for (id, email) in [
        (ada, "ada@example.com"),
        (mallory, "\u{430}da@example.com"),
        (bob, "bob@example.com"),
    ] {
        customers
            .insert_one(doc! { "_id": id, "email": email, "name": "Old" })
            .await
            .unwrap();
    }

    ensure_indexes(&db).await.unwrap();
    ensure_indexes(&db)
        .await
        .expect("a second start changes nothing");

    let skeleton_of = |id: ObjectId| {
        let customers = customers.clone();
        async move {
            customers
                .find_one(doc! { "_id": id })
                .await
                .unwrap()
                .unwrap()
                .get_str("emailSkeleton")
                .ok()
                .map(str::to_owned)
        }
    };
    let ada_skeleton = skeleton_of(ada)
        .await
        .expect("the first account has its skeleton");
    assert_eq!(
        skeleton_of(mallory).await,
        None,
        "its older look-alike is left without one"
    );
    assert!(skeleton_of(bob).await.is_some());
    let duplicate = customers
        .insert_one(doc! { "_id": ObjectId::new(), "email": "ada@example.net", "emailSkeleton": ada_skeleton })
        .await;
    assert!(
        duplicate.is_err(),
        "a new account with ada's skeleton is refused"
    );
    assert_eq!(customers.count_documents(doc! {}).await.unwrap(), 3);
    db.drop().await.unwrap();
}
