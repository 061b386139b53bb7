//! Product images through the gateway (issue 19): the upload form checked by the gateway with
//! the function product-service reads it with (the same verdict on every bad form), its own
//! size limit above the JSON one, and the image served back through either lane with its
//! caching headers.

use reqwest::Method;
use serde_json::Value;
use shared::api::images::{MAX_UPLOAD_BYTES, form, image_id, png};

use crate::suite_helpers::{Fulfilment, spawn_shop};

/// Status and body of a form `parts` posted to `url` as `bearer`.
async fn post_form(
    client: &reqwest::Client,
    url: String,
    bearer: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = client
        .post(url)
        .header("content-type", content_type)
        .body(body);
    if let Some(bearer) = bearer {
        request = request.header("authorization", bearer);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The status and the fields named by a refusal.
fn verdict(status: u16, answer: &Value) -> (u16, Vec<String>) {
    let fields = answer["error"]["details"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    (status, fields)
}

#[tokio::test]
async fn an_image_is_uploaded_served_and_removed_through_the_gateway_and_bad_forms_get_the_services_verdict()
 {
    let shop = spawn_shop(Fulfilment::Off).await;
    let buyer = shop.register("Ada", "ada.images@example.com").await;
    let lamp = shop.product("Image Lamp", 19.99, 10, &[]).await;
    let lamp = lamp["id"].as_str().unwrap();
    let gateway_path = format!("/api/products/{lamp}/images");
    let service_path = format!("/products/{lamp}/images");
    let admin = shop.admin.as_str();

    // Bad forms: the gateway refuses each as product-service does when sent it directly.
    let picture = png(3, 3, [9, 9, 9]);
    let long_alt = "a".repeat(201);
    let bad: Vec<(&str, String, Vec<u8>)> = vec![
        {
            let (t, b) = form(&[("file", Some("image/png"), b"plain text")]);
            ("text called a PNG", t, b)
        },
        {
            let (t, b) = form(&[("file", Some("image/jpeg"), &picture)]);
            ("a PNG declared a JPEG", t, b)
        },
        {
            let (t, b) = form(&[("alt", None, long_alt.as_bytes()), ("colour", None, b"red")]);
            ("no file, a long text and an unknown part", t, b)
        },
        (
            "JSON",
            "application/json".to_owned(),
            br#"{"url":"x"}"#.to_vec(),
        ),
        (
            "a form cut short",
            "multipart/form-data; boundary=zz".to_owned(),
            b"--zz\r\n".to_vec(),
        ),
    ];
    for (case, content_type, body) in &bad {
        let through = post_form(
            &shop.gateway.client,
            shop.gateway.url(&gateway_path),
            Some(admin),
            content_type,
            body.clone(),
        )
        .await;
        let direct = post_form(
            &shop.products.client,
            shop.products.url(&service_path),
            Some(admin),
            content_type,
            body.clone(),
        )
        .await;
        assert_eq!(through.0, 400, "{case}: {}", through.1);
        assert_eq!(
            verdict(through.0, &through.1),
            verdict(direct.0, &direct.1),
            "{case}"
        );
    }
    let (content_type, body) = form(&[("file", Some("image/png"), &picture)]);
    let customer = post_form(
        &shop.gateway.client,
        shop.gateway.url(&gateway_path),
        Some(&buyer.bearer),
        &content_type,
        body.clone(),
    )
    .await;
    assert_eq!(customer.0, 403, "{}", customer.1);
    let mut huge = png(1, 1, [0, 0, 0]);
    huge.resize(MAX_UPLOAD_BYTES, 0);
    let (huge_type, huge_body) = form(&[("file", Some("image/png"), &huge)]);
    let (status, answer) = post_form(
        &shop.gateway.client,
        shop.gateway.url(&gateway_path),
        Some(admin),
        &huge_type,
        huge_body,
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    let untouched = shop
        .ok(Method::GET, &format!("/api/products/{lamp}"), None, None)
        .await;
    assert_eq!(untouched["images"], serde_json::json!([]));

    // A picture larger than the gateway's 1 MiB JSON limit is still an image it takes.
    let side = 600;
    let large = png(side, side, [10, 120, 200]);
    assert!(large.len() > 1_048_576, "{} bytes", large.len());
    let (large_type, large_body) = form(&[
        ("file", Some("image/png"), &large),
        ("alt", None, b"Lamp, lit"),
    ]);
    let (status, answer) = post_form(
        &shop.gateway.client,
        shop.gateway.url(&gateway_path),
        Some(admin),
        &large_type,
        large_body,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let shown = &answer["data"]["images"][0];
    assert_eq!(shown["width"], side);
    assert_eq!(shown["alt"], "Lamp, lit");
    let url = shown["url"].as_str().unwrap();
    assert_eq!(url, format!("{gateway_path}/{}", image_id(&large)));

    // Served through the gateway, whichever lane, with the service's caching headers.
    let served = shop
        .gateway
        .client
        .get(shop.gateway.url(url))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(
        served.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = served.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(served.bytes().await.unwrap().as_ref(), large.as_slice());
    let revalidated = shop
        .gateway
        .client
        .get(shop.gateway.url(url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    let (status, _) = shop
        .call(
            Method::GET,
            &format!("{gateway_path}/{}", "f".repeat(32)),
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, _) = shop
        .call(Method::DELETE, url, None, Some(&buyer.bearer))
        .await;
    assert_eq!(status, 403);
    let removed = shop.ok(Method::DELETE, url, None, Some(admin)).await;
    assert_eq!(removed["images"], serde_json::json!([]));
    let gone = shop
        .gateway
        .client
        .get(shop.gateway.url(url))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    shop.stop().await;
}

#[test]
fn the_document_describes_the_upload_form_and_the_image_answer() {
    let doc = gateway::api::docs::openapi();
    let upload = &doc["paths"]["/api/products/{id}/images"]["post"];
    let form = &upload["requestBody"]["content"]["multipart/form-data"];
    assert_eq!(
        form["schema"]["$ref"],
        "#/components/schemas/ImageUploadForm"
    );
    let schema = &doc["components"]["schemas"]["ImageUploadForm"];
    assert_eq!(schema["properties"]["file"]["format"], "binary");
    assert_eq!(schema["required"], serde_json::json!(["file"]));
    let served = &doc["paths"]["/api/products/{id}/images/{imageId}"]["get"]["responses"];
    for kind in ["image/png", "image/jpeg", "image/webp", "image/gif"] {
        assert!(served["200"]["content"][kind].is_object(), "{kind}");
    }
    assert!(served["304"].is_object());
}
