//! A product's images (issue 19): uploaded as a form by an admin, kept apart from the product's
//! document, served back cached for good, removed; what is not an image changes nothing.

use bson::doc;
use futures::{TryStreamExt, future::join_all};
use serde_json::{Value, json};
use shared::{
    api::images::{MAX_IMAGE_BYTES, MAX_IMAGES, form, png},
    events::keys,
};

use crate::{
    helpers::{TestApp, WAIT, product, spawn_app},
    order_service::OrderService,
};

/// `POST /products/{id}/images` with a form of `parts`, as `who` (an `authorization` value).
async fn upload_as(
    app: &TestApp,
    id: &str,
    who: Option<&str>,
    parts: &[(&str, Option<&str>, &[u8])],
) -> (u16, Value) {
    let (content_type, body) = form(parts);
    let mut request = app
        .app
        .client
        .post(app.app.url(&format!("/products/{id}/images")))
        .header("content-type", content_type)
        .body(body);
    if let Some(who) = who {
        request = request.header("authorization", who);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn upload(app: &TestApp, id: &str, image: &[u8], alt: &str) -> (u16, Value) {
    let admin = app.names.bearer("admin-1", shared::auth::Role::Admin);
    upload_as(
        app,
        id,
        Some(&admin),
        &[
            ("file", Some("image/png"), image),
            ("alt", None, alt.as_bytes()),
        ],
    )
    .await
}

async fn remove(app: &TestApp, id: &str, image: &str) -> (u16, Value) {
    app.request(
        reqwest::Method::DELETE,
        &format!("/products/{id}/images/{image}"),
        crate::helpers::As::Admin,
        None,
    )
    .await
}

/// The service's path of an image's URL (the URL is the gateway's, under `/api`).
fn path_of(image: &Value) -> String {
    image["url"]
        .as_str()
        .unwrap()
        .strip_prefix("/api")
        .unwrap()
        .to_owned()
}

async fn blobs(app: &TestApp) -> u64 {
    app.db
        .collection::<bson::Document>("product_images")
        .count_documents(doc! {})
        .await
        .unwrap()
}

#[tokio::test]
async fn an_uploaded_image_is_listed_served_back_cached_for_good_and_announced() {
    let app = spawn_app().await;
    let watcher = OrderService::start(&app.names, &["product.*"]).await;
    let created = app.create_ok(&product("Pictured Mug", 12.5, 3)).await;
    let id = created["id"].as_str().unwrap();
    let image = png(5, 4, [200, 30, 30]);

    let (status, body) = upload(&app, id, &image, "  The red mug  ").await;
    assert_eq!(status, 201, "{body}");
    let shown = &body["data"]["images"][0];
    assert_eq!(body["data"]["images"].as_array().unwrap().len(), 1);
    assert_eq!(shown["alt"], "The red mug");
    assert_eq!(shown["contentType"], "image/png");
    assert_eq!(
        (shown["width"].clone(), shown["height"].clone()),
        (json!(5), json!(4))
    );
    assert_eq!(shown["bytes"], image.len());
    let image_id = shown["id"].as_str().unwrap();
    assert_eq!(
        shown["url"],
        format!("/api/products/{id}/images/{image_id}")
    );
    let (_, read) = app.get_product(id).await;
    assert_eq!(
        read["data"]["images"], body["data"]["images"],
        "the cached product moved on"
    );

    let served = app
        .app
        .client
        .get(app.app.url(&path_of(shown)))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let header = |name: &str| served.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(
        header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    let etag = header("etag");
    assert_eq!(etag, format!("\"{image_id}\""));
    assert_eq!(served.bytes().await.unwrap().as_ref(), image.as_slice());
    let again = app
        .app
        .client
        .get(app.app.url(&path_of(shown)))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    let event = watcher
        .wait_for(keys::PRODUCT_UPDATED, |d| d["images"][0]["id"] == image_id)
        .await;
    assert_eq!(event.data["images"], body["data"]["images"]);
    let stored = app.product_doc(id).await;
    let listed = stored.get_array("images").unwrap()[0]
        .as_document()
        .unwrap();
    assert!(
        !listed.contains_key("data"),
        "the bytes are kept apart: {listed}"
    );

    // The same bytes again are the same image; replacing the product keeps its images.
    let (status, body) = upload(&app, id, &image, "another text").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["images"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"]["images"][0]["alt"], "The red mug");
    let (status, replaced) = app.replace(id, &product("Pictured Mug II", 13.0, 3)).await;
    assert_eq!(status, 200);
    assert_eq!(replaced["data"]["images"], read["data"]["images"]);
    assert_eq!(blobs(&app).await, 1);

    watcher.stop().await;
    app.stop().await;
}

/// A refused upload: what it is, who sends it, its parts, the status and the field named.
type Case<'a> = (
    &'a str,
    Option<&'a str>,
    Vec<(&'a str, Option<&'a str>, &'a [u8])>,
    u16,
    &'a str,
);

#[tokio::test]
async fn what_is_not_an_acceptable_image_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let created = app.create_ok(&product("Plain Mug", 12.5, 3)).await;
    let id = created["id"].as_str().unwrap();
    let admin = app.names.bearer("admin-1", shared::auth::Role::Admin);
    let customer = app.names.bearer("customer-1", shared::auth::Role::Customer);
    let image = png(2, 2, [0, 0, 0]);
    let mut too_large = image.clone();
    too_large.resize(MAX_IMAGE_BYTES + 1, 0);

    let cases: [Case; 6] = [
        (
            "a text file called a PNG",
            Some(&admin),
            vec![("file", Some("image/png"), b"not a picture")],
            400,
            "file",
        ),
        (
            "an SVG",
            Some(&admin),
            vec![(
                "file",
                Some("image/svg+xml"),
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            )],
            400,
            "file",
        ),
        (
            "no file",
            Some(&admin),
            vec![("alt", None, b"nothing")],
            400,
            "file",
        ),
        (
            "an image above the limit",
            Some(&admin),
            vec![("file", Some("image/png"), &too_large)],
            413,
            "",
        ),
        (
            "a customer",
            Some(&customer),
            vec![("file", Some("image/png"), &image)],
            403,
            "",
        ),
        (
            "no token",
            None,
            vec![("file", Some("image/png"), &image)],
            401,
            "",
        ),
    ];
    for (case, who, parts, expected, field) in &cases {
        let (status, body) = upload_as(&app, id, *who, parts).await;
        assert_eq!(status, *expected, "{case}: {body}");
        assert_eq!(body["success"], false, "{case}: the envelope");
        if !field.is_empty() {
            assert!(
                body["error"]["details"][field].is_string(),
                "{case}: {body}"
            );
        }
    }
    let response = app
        .app
        .client
        .post(app.app.url(&format!("/products/{id}/images")))
        .header("authorization", &admin)
        .json(&json!({ "url": "https://example.com/a.png" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["details"]["content-type"].is_string(),
        "{body}"
    );
    let missing = bson::oid::ObjectId::new().to_hex();
    assert_eq!(upload(&app, &missing, &image, "").await.0, 404);
    assert_eq!(upload(&app, "42", &image, "").await.0, 400);

    let (_, read) = app.get_product(id).await;
    assert_eq!(read["data"]["images"], json!([]));
    assert_eq!(read["data"]["updatedAt"], created["updatedAt"]);
    assert_eq!(blobs(&app).await, 0, "nothing refused was kept");
    let unknown = format!("/products/{id}/images/{}", "0".repeat(32));
    assert_eq!(app.app.get(&unknown).await.0, 404);
    assert_eq!(
        app.app.get(&format!("/products/{id}/images/../x")).await.0,
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn a_product_holds_at_most_eight_images_and_a_removed_one_is_gone() {
    let app = spawn_app().await;
    let created = app.create_ok(&product("Gallery Lamp", 40.0, 3)).await;
    let id = created["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for n in 0..MAX_IMAGES {
        let (status, body) = upload(&app, id, &png(1, 1, [n as u8, 0, 0]), "").await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["data"]["images"][n]["id"].as_str().unwrap().to_owned());
    }
    let (status, body) = upload(&app, id, &png(1, 1, [0, 0, 99]), "").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(blobs(&app).await, MAX_IMAGES as u64);

    let (status, body) = remove(&app, id, &ids[3]).await;
    assert_eq!(status, 200, "{body}");
    let left: Vec<&str> = body["data"]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = ids
        .iter()
        .filter(|i| **i != ids[3])
        .map(String::as_str)
        .collect();
    assert_eq!(left, expected, "the others keep their order");
    assert_eq!(
        app.app
            .get(&format!("/products/{id}/images/{}", ids[3]))
            .await
            .0,
        404
    );
    assert_eq!(blobs(&app).await, MAX_IMAGES as u64 - 1);
    assert_eq!(remove(&app, id, &ids[3]).await.0, 404);
    assert_eq!(
        remove(&app, &bson::oid::ObjectId::new().to_hex(), &ids[0])
            .await
            .0,
        404
    );
    let (status, _) = upload(&app, id, &png(1, 1, [0, 0, 99]), "").await;
    assert_eq!(status, 201, "room again");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_uploads_and_a_replace_each_land_once() {
    let app = spawn_app().await;
    let watcher = OrderService::start(&app.names, &["product.updated"]).await;
    let created = app.create_ok(&product("Busy Chair", 80.0, 3)).await;
    let id = created["id"].as_str().unwrap();
    let images: Vec<Vec<u8>> = (0..6).map(|n| png(2, 1, [0, n as u8, 0])).collect();

    let uploads = join_all(images.iter().map(|image| upload(&app, id, image, "")));
    let renamed = product("Busy Chair, renamed", 81.0, 3);
    let (answers, (replaced, _)) = tokio::join!(uploads, app.replace(id, &renamed));
    assert_eq!(replaced, 200);
    for (status, body) in &answers {
        assert_eq!(*status, 201, "{body}");
    }

    let (_, read) = app.get_product(id).await;
    assert_eq!(read["data"]["name"], "Busy Chair, renamed");
    assert_eq!(read["data"]["images"].as_array().unwrap().len(), 6);
    let stored = app.product_doc(id).await;
    assert_eq!(
        product_service::store::int(&stored, "imagesVersion"),
        Some(6)
    );
    // Each change staged the product as it then was, so one of the seven events is the
    // product as it is now, whichever order the writes took.
    watcher
        .wait_for(keys::PRODUCT_UPDATED, |d| {
            d["name"] == "Busy Chair, renamed" && d["images"].as_array().map(Vec::len) == Some(6)
        })
        .await;
    shared::testing::eventually("seven updates", WAIT, || async {
        (watcher.seen(keys::PRODUCT_UPDATED).len() >= 7).then_some(())
    })
    .await;
    watcher.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn bytes_no_product_lists_are_swept_once_quiet_and_listed_or_recent_ones_are_kept() {
    let app = spawn_app().await;
    let created = app.create_ok(&product("Swept Vase", 10.0, 1)).await;
    let id = created["id"].as_str().unwrap();
    let product_id = bson::oid::ObjectId::parse_str(id).unwrap();
    let (status, body) = upload(&app, id, &png(1, 1, [1, 1, 1]), "kept").await;
    assert_eq!(status, 201, "{body}");
    let listed = body["data"]["images"][0]["id"].as_str().unwrap().to_owned();
    let blobs_of = || app.db.collection::<bson::Document>("product_images");
    let hour_ago = chrono::Utc::now().timestamp_millis() - 3_600_000;
    // The listed image's bytes, untouched for an hour: still listed, so kept.
    blobs_of()
        .update_one(
            doc! { "_id": format!("{id}/{listed}") },
            doc! { "$set": { "touchedAt": hour_ago } },
        )
        .await
        .unwrap();
    let orphan = |image: &str, touched: Option<i64>| {
        let mut blob = doc! {
            "_id": format!("{id}/{image}"), "productId": product_id, "imageId": image,
            "contentType": "image/png", "data": bson::Binary { subtype: bson::spec::BinarySubtype::Generic, bytes: vec![1, 2, 3] },
            "createdAt": hour_ago,
        };
        if let Some(at) = touched {
            blob.insert("touchedAt", at);
        }
        blob
    };
    let (quiet, recent, older) = ("a".repeat(32), "b".repeat(32), "c".repeat(32));
    blobs_of()
        .insert_many([
            orphan(&quiet, Some(hour_ago)),
            orphan(&recent, Some(chrono::Utc::now().timestamp_millis())),
            // Written before uploads touched their bytes: its creation counts.
            orphan(&older, None),
        ])
        .await
        .unwrap();

    let products = product_service::store::products::Products::new(&app.db);
    let swept = products
        .sweep_orphan_images(std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(swept, 2);
    let mut left: Vec<String> = blobs_of()
        .find(doc! {})
        .await
        .unwrap()
        .try_collect::<Vec<bson::Document>>()
        .await
        .unwrap()
        .iter()
        .map(|d| d.get_str("imageId").unwrap().to_owned())
        .collect();
    left.sort();
    let mut expected = vec![listed.clone(), recent];
    expected.sort();
    assert_eq!(left, expected);
    let served = app
        .app
        .client
        .get(app.app.url(&format!("/products/{id}/images/{listed}")))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200, "the listed image is still served");
    assert_eq!(
        products
            .sweep_orphan_images(std::time::Duration::from_secs(60))
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}
