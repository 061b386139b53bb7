//! Product images (issue 19). `POST /products/{id}/images` takes one image as
//! `multipart/form-data`: a `file` part and an optional `alt` part. The gateway and
//! product-service read the same bytes with [`parse_upload`], so they cannot disagree on what
//! is an image. [`Image`] is how a product shows one it holds.
//!
//! The type is read from the bytes, never from the file's name or its declared type (a part
//! declared `image/png` that holds a JPEG is refused), and the size from the image's own header
//! (`imagesize`), so a file that only starts like an image is refused too. SVG is not taken: it
//! can carry script.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::{ApiError, Problems};

/// Largest image, in bytes (4 MiB).
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest upload body: the image and the form's framing around it.
pub const MAX_UPLOAD_BYTES: usize = MAX_IMAGE_BYTES + 64 * 1024;
/// Most images a product holds.
pub const MAX_IMAGES: usize = 8;
/// Longest side of an image, in pixels.
pub const MAX_SIDE: usize = 8000;
/// Longest alternative text, in characters.
pub const MAX_ALT: usize = 200;

/// An image type the shop takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
    /// `image/webp`.
    Webp,
    /// `image/gif`.
    Gif,
}

impl ImageKind {
    /// Every kind, in the order error messages name them.
    pub const ALL: [Self; 4] = [Self::Png, Self::Jpeg, Self::Webp, Self::Gif];

    /// Its media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Webp => "WebP",
            Self::Gif => "GIF",
        }
    }

    /// The kind whose signature `bytes` start with.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else {
            None
        }
    }

    /// The kind a media type names (`image/jpg` read as JPEG), parameters ignored.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        match essence.to_ascii_lowercase().as_str() {
            "image/png" => Some(Self::Png),
            "image/jpeg" | "image/jpg" => Some(Self::Jpeg),
            "image/webp" => Some(Self::Webp),
            "image/gif" => Some(Self::Gif),
            _ => None,
        }
    }
}

/// One image taken from an upload, checked.
#[derive(Debug, Clone)]
pub struct ImageUpload {
    /// The image's bytes, as sent.
    pub data: Bytes,
    /// Its type, read from the bytes.
    pub kind: ImageKind,
    /// Its alternative text, trimmed (may be empty).
    pub alt: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl ImageUpload {
    /// The image's id: the first 32 hex digits of the SHA-256 of its bytes. The same bytes
    /// always get the same id, so an image's URL can be cached for good.
    pub fn id(&self) -> String {
        image_id(&self.data)
    }
}

/// The id of an image with these bytes (see [`ImageUpload::id`]).
pub fn image_id(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `value` has the form of an image id (32 lowercase hex digits).
pub fn is_image_id(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads an upload: `content_type` is the request's `Content-Type` header, `body` the whole
/// body. 413 for an image above [`MAX_IMAGE_BYTES`] (or a body above [`MAX_UPLOAD_BYTES`]);
/// otherwise a 400 naming every bad part: `content-type`, `body` (not a readable form),
/// `file` (missing, twice, empty, not an image the shop takes, declared as another type,
/// unreadable, too many pixels a side), `alt` (too long), or a part of another name.
pub async fn parse_upload(
    content_type: Option<&str>,
    body: Bytes,
) -> Result<ImageUpload, ApiError> {
    let boundary = content_type
        .filter(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
        })
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| {
            ApiError::field(
                "content-type",
                "expected multipart/form-data with a boundary",
            )
        })?;
    if body.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(MAX_UPLOAD_BYTES as u64)
            .per_field(MAX_IMAGE_BYTES as u64),
    );
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut problems = Problems::new();
    let mut file: Option<(Bytes, Option<String>)> = None;
    let mut alt = String::new();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let declared = field.content_type().map(ToString::to_string);
                let data = field.bytes().await.map_err(unreadable)?;
                if file.is_some() {
                    problems.add("file", "one image per upload");
                }
                file = Some((data, declared));
            }
            "alt" => {
                let text = field.text().await.map_err(unreadable)?;
                alt = text.trim().to_owned();
                problems.ensure(
                    alt.chars().count() <= MAX_ALT,
                    "alt",
                    format!("must be at most {MAX_ALT} characters"),
                );
            }
            _ => {
                let label = if name.is_empty() {
                    "body"
                } else {
                    name.as_str()
                };
                problems.add(label, "unknown part: the form takes file and alt");
            }
        }
    }
    let image = match file {
        Some((data, declared)) => checked_image(data, declared.as_deref(), &mut problems),
        None => {
            problems.add("file", "is required");
            None
        }
    };
    problems.into_result()?;
    let (data, kind, width, height) =
        image.ok_or_else(|| ApiError::field("file", "is required"))?;
    Ok(ImageUpload {
        data,
        kind,
        alt,
        width,
        height,
    })
}

/// The image's kind and size, or its problem recorded under `file`.
fn checked_image(
    data: Bytes,
    declared: Option<&str>,
    problems: &mut Problems,
) -> Option<(Bytes, ImageKind, u32, u32)> {
    if data.is_empty() {
        problems.add("file", "must not be empty");
        return None;
    }
    let Some(kind) = ImageKind::sniff(&data) else {
        problems.add(
            "file",
            "must be a PNG, JPEG, WebP or GIF image (read from its bytes, not its name)",
        );
        return None;
    };
    if let Some(other) = declared.and_then(ImageKind::from_content_type)
        && other != kind
    {
        problems.add(
            "file",
            format!(
                "is declared {} but is a {}",
                other.content_type(),
                kind.name()
            ),
        );
        return None;
    }
    let Ok(size) = imagesize::blob_size(&data) else {
        problems.add("file", format!("cannot be read as a {}", kind.name()));
        return None;
    };
    if size.width == 0 || size.height == 0 || size.width > MAX_SIDE || size.height > MAX_SIDE {
        problems.add(
            "file",
            format!(
                "must be 1 to {MAX_SIDE} pixels a side (this is {}×{})",
                size.width, size.height
            ),
        );
        return None;
    }
    Some((data, kind, size.width as u32, size.height as u32))
}

fn unreadable(error: multer::Error) -> ApiError {
    match error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            ApiError::PayloadTooLarge
        }
        other => ApiError::field("body", format!("not a readable multipart form: {other}")),
    }
}

/// An image a product holds, as the catalog shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// The image's id: 32 hex digits from its bytes.
    pub id: String,
    /// Where it is served (`/api/products/{productId}/images/{id}`): immutable, cached for
    /// a year.
    pub url: String,
    /// Its alternative text (may be empty).
    pub alt: String,
    /// `image/png`, `image/jpeg`, `image/webp` or `image/gif`.
    pub content_type: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The form `POST /products/{id}/images` takes (`multipart/form-data`), for the document.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImageUploadForm {
    /// The image: PNG, JPEG, WebP or GIF (read from its bytes), at most 4 MiB and 8000 pixels
    /// a side.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Text for readers who cannot see the image: up to 200 characters.
    #[schema(max_length = 200)]
    pub alt: Option<String>,
}

/// A `multipart/form-data` body of `parts` (name, declared type, bytes) and its
/// `Content-Type`, for tests.
#[cfg(any(test, feature = "test-support"))]
pub fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "shop-suite-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, declared, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match declared {
            Some(kind) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"upload\"\r\nContent-Type: {kind}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A real PNG of `width` × `height` pixels of one colour (stored, not compressed), for tests.
#[cfg(any(test, feature = "test-support"))]
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    // Each row: filter type 0, then its pixels.
    let mut row = vec![0u8];
    for _ in 0..width {
        row.extend_from_slice(&rgb);
    }
    let raw = row.repeat(height as usize);
    // zlib: stored blocks of at most 65,535 bytes, then the Adler-32 of the data.
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests;
