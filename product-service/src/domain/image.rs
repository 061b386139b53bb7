//! An image a product holds (issue 19): what the product's document keeps of it, and its URL.
//! The bytes are kept apart, one document per image (`store::products::images`).

use serde::{Deserialize, Serialize};
use shared::api::images::{Image, ImageUpload};

/// What a product keeps of one of its images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductImage {
    /// 32 hex digits from the image's bytes (`shared::api::images::image_id`).
    pub id: String,
    /// Its alternative text (may be empty).
    #[serde(default)]
    pub alt: String,
    /// Its media type, read from its bytes.
    pub content_type: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size in bytes.
    pub bytes: u32,
}

impl ProductImage {
    /// What a checked upload adds to its product.
    pub fn of(upload: &ImageUpload) -> Self {
        Self {
            id: upload.id(),
            alt: upload.alt.clone(),
            content_type: upload.kind.content_type().to_owned(),
            width: upload.width,
            height: upload.height,
            bytes: u32::try_from(upload.data.len()).unwrap_or(u32::MAX),
        }
    }

    /// The image as the API shows it on the product `product_id` (hex).
    pub fn view(&self, product_id: &str) -> Image {
        Image {
            id: self.id.clone(),
            url: url(product_id, &self.id),
            alt: self.alt.clone(),
            content_type: self.content_type.clone(),
            width: self.width,
            height: self.height,
            bytes: u64::from(self.bytes),
        }
    }
}

/// Where the image `image_id` of `product_id` is served, through the gateway. Relative, so it
/// works on whatever origin serves the API (the web front end is on the same one).
pub fn url(product_id: &str, image_id: &str) -> String {
    format!("/api/products/{product_id}/images/{image_id}")
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use shared::api::images::{ImageKind, png};

    use super::*;

    #[test]
    fn an_upload_is_kept_by_its_id_and_shown_with_its_url() {
        let data = png(2, 3, [1, 2, 3]);
        let upload = ImageUpload {
            data: Bytes::from(data.clone()),
            kind: ImageKind::Png,
            alt: "Side view".to_owned(),
            width: 2,
            height: 3,
        };
        let kept = ProductImage::of(&upload);
        let shown = kept.view("665f1b2c3d4e5f6a7b8c9d0e");
        assert_eq!(shown.id, shared::api::images::image_id(&data));
        assert_eq!(
            shown.url,
            format!("/api/products/665f1b2c3d4e5f6a7b8c9d0e/images/{}", shown.id)
        );
        assert_eq!(
            (shown.width, shown.height, shown.bytes),
            (2, 3, data.len() as u64)
        );
        assert_eq!(shown.content_type, "image/png");
    }
}
