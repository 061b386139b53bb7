use super::*;

async fn parse(parts: &[(&str, Option<&str>, &[u8])]) -> Result<ImageUpload, ApiError> {
    let (content_type, body) = form(parts);
    parse_upload(Some(&content_type), Bytes::from(body)).await
}

fn fields(error: ApiError) -> Vec<String> {
    match error {
        ApiError::Validation { details, .. } => {
            details.as_object().unwrap().keys().cloned().collect()
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_png_with_its_text_is_read_with_its_size() {
    let image = png(3, 2, [200, 10, 10]);
    let upload = parse(&[
        ("file", Some("image/png"), &image),
        ("alt", None, b" Red mug "),
    ])
    .await
    .unwrap();
    assert_eq!(upload.kind, ImageKind::Png);
    assert_eq!((upload.width, upload.height), (3, 2));
    assert_eq!(upload.alt, "Red mug");
    assert_eq!(upload.id(), image_id(&image));
    assert!(is_image_id(&upload.id()));
    let other = png(3, 2, [10, 10, 200]);
    assert_ne!(image_id(&other), upload.id(), "the id follows the bytes");
}

#[tokio::test]
async fn what_is_not_an_image_is_refused_whatever_it_is_called() {
    let text = b"hello, not an image";
    let err = parse(&[("file", Some("image/png"), text)])
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["file"]);
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let err = parse(&[("file", Some("image/svg+xml"), svg)])
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["file"]);
    let truncated = &png(4, 4, [0, 0, 0])[..12];
    let err = parse(&[("file", None, truncated)]).await.unwrap_err();
    assert_eq!(fields(err), ["file"], "a signature alone is not an image");
    let err = parse(&[("file", Some("image/jpeg"), &png(1, 1, [0, 0, 0]))])
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("declared image/jpeg but is a PNG"),
        "{err:?}"
    );
}

#[tokio::test]
async fn every_bad_part_is_named_at_once() {
    let long = "x".repeat(MAX_ALT + 1);
    let err = parse(&[("alt", None, long.as_bytes()), ("colour", None, b"red")])
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["alt", "colour", "file"]);
    let image = png(1, 1, [0, 0, 0]);
    let err = parse(&[("file", None, &image), ("file", None, &image)])
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["file"]);
    let err = parse(&[("file", None, b"")]).await.unwrap_err();
    assert_eq!(fields(err), ["file"]);
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_refused() {
    let image = Bytes::from(png(1, 1, [0, 0, 0]));
    let err = parse_upload(Some("image/png"), image.clone())
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["content-type"]);
    let err = parse_upload(None, image.clone()).await.unwrap_err();
    assert_eq!(fields(err), ["content-type"]);
    let err = parse_upload(Some("multipart/form-data; boundary=x"), image)
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["body"]);
}

#[tokio::test]
async fn an_image_above_the_limit_is_too_large() {
    let mut big = png(1, 1, [0, 0, 0]);
    big.resize(MAX_IMAGE_BYTES + 1, 0);
    let err = parse(&[("file", None, &big)]).await.unwrap_err();
    assert!(matches!(err, ApiError::PayloadTooLarge), "{err:?}");
    let huge = png(MAX_SIDE as u32 + 1, 1, [0, 0, 0]);
    let err = parse(&[("file", None, &huge)]).await.unwrap_err();
    assert_eq!(fields(err), ["file"]);
}

#[test]
fn each_kind_is_known_by_its_signature() {
    assert_eq!(
        ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
        Some(ImageKind::Jpeg)
    );
    assert_eq!(
        ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
        Some(ImageKind::Webp)
    );
    assert_eq!(ImageKind::sniff(b"GIF89a.."), Some(ImageKind::Gif));
    assert_eq!(ImageKind::sniff(b"<svg"), None);
    for kind in ImageKind::ALL {
        assert_eq!(
            ImageKind::from_content_type(kind.content_type()),
            Some(kind)
        );
    }
    assert_eq!(
        ImageKind::from_content_type("IMAGE/JPG; q=1"),
        Some(ImageKind::Jpeg)
    );
}
