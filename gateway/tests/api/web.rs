//! The web front end over real HTTP, from a temporary `WEB_ROOT` laid out as Vite builds it:
//! caching by kind of file, precompressed answers, the pages' client-side paths, their CSP, and
//! the API never shadowed by a file of the same name.

use std::path::{Path, PathBuf};

use reqwest::{StatusCode, header};
use serde_json::Value;

use crate::helpers::{TestGateway, spawn_echo, spawn_gateway_with};

const STOREFRONT: &str = "<!doctype html><title>storefront</title>";
const CONSOLE: &str = "<!doctype html><title>console</title>";
const SCRIPT: &str = "console.log('the shop');";

/// A built front end in a folder of its own (removed on drop), with decoys named like the
/// API's routes to prove they are never served.
struct WebRoot(PathBuf);

impl WebRoot {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("web-root-{}", uuid::Uuid::new_v4()));
        let write = |name: &str, body: &[u8]| {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        };
        write("index.html", STOREFRONT.as_bytes());
        write("console/index.html", CONSOLE.as_bytes());
        write("assets/app-1a2b3c.js", SCRIPT.as_bytes());
        write("assets/app-1a2b3c.js.br", b"brotli bytes");
        write("assets/app-1a2b3c.js.gz", b"gzip bytes");
        write("favicon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>");
        write("api/products/65a1b2c3d4e5f60718293a4b", b"decoy");
        write("health", b"decoy");
        write("metrics", b"decoy");
        Self(root)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WebRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn gateway_over(root: &Path, upstreams: &[(&str, String)]) -> TestGateway {
    let root = root.to_str().unwrap().to_owned();
    spawn_gateway_with(upstreams, &[("WEB_ROOT", root.as_str())]).await
}

async fn get(url: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if let Some(encodings) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encodings);
    }
    request.send().await.unwrap()
}

fn header_of<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map_or("", |v| v.to_str().unwrap_or(""))
}

#[tokio::test]
async fn pages_are_revalidated_and_hashed_assets_are_cached_for_a_year() {
    let root = WebRoot::new();
    let gateway = gateway_over(root.path(), &[]).await;

    let page = get(&gateway.app.url("/"), None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header_of(&page, "cache-control"), "no-cache");
    assert!(header_of(&page, "content-type").starts_with("text/html"));
    assert_eq!(page.text().await.unwrap(), STOREFRONT);

    let asset = get(&gateway.app.url("/assets/app-1a2b3c.js"), None).await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        header_of(&asset, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.text().await.unwrap(), SCRIPT);

    // A file without a hash in its name is revalidated like a page.
    let icon = get(&gateway.app.url("/favicon.svg"), None).await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(header_of(&icon, "cache-control"), "no-cache");
    gateway.stop().await;
}

#[tokio::test]
async fn a_precompressed_file_is_sent_to_a_client_that_accepts_it_and_only_then() {
    let root = WebRoot::new();
    let gateway = gateway_over(root.path(), &[]).await;
    let url = gateway.app.url("/assets/app-1a2b3c.js");

    let brotli = get(&url, Some("gzip, deflate, br")).await;
    assert_eq!(header_of(&brotli, "content-encoding"), "br");
    assert!(header_of(&brotli, "vary").contains("accept-encoding"));
    assert!(header_of(&brotli, "content-type").contains("javascript"));
    assert_eq!(brotli.text().await.unwrap(), "brotli bytes");

    let gzip = get(&url, Some("gzip")).await;
    assert_eq!(header_of(&gzip, "content-encoding"), "gzip");
    assert_eq!(gzip.text().await.unwrap(), "gzip bytes");

    let plain = get(&url, None).await;
    assert_eq!(header_of(&plain, "content-encoding"), "");
    assert_eq!(plain.text().await.unwrap(), SCRIPT);
    gateway.stop().await;
}

#[tokio::test]
async fn client_side_paths_get_their_page_and_a_missing_asset_is_a_404() {
    let root = WebRoot::new();
    let gateway = gateway_over(root.path(), &[]).await;

    for path in [
        "/products/65a1b2c3d4e5f60718293a4b",
        "/orders",
        "/signin?next=%2F",
    ] {
        let page = get(&gateway.app.url(path), None).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert_eq!(page.text().await.unwrap(), STOREFRONT, "{path}");
    }
    for path in [
        "/console",
        "/console/",
        "/console/alerts",
        "/console/orders/1",
    ] {
        let page = get(&gateway.app.url(path), None).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert_eq!(header_of(&page, "cache-control"), "no-cache", "{path}");
        assert_eq!(page.text().await.unwrap(), CONSOLE, "{path}");
    }
    let missing = get(&gateway.app.url("/assets/gone-000000.js"), None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    gateway.stop().await;
}

#[tokio::test]
async fn pages_carry_a_csp_without_inline_code_and_the_api_keeps_its_own() {
    let root = WebRoot::new();
    let echo = spawn_echo().await;
    let gateway = gateway_over(root.path(), &[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    let page = get(&gateway.app.url("/console"), None).await;
    let csp = header_of(&page, "content-security-policy").to_owned();
    let host = gateway.app.url("/").replace("http://", "");
    let host = host.trim_end_matches('/');
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        csp.contains(&format!("connect-src 'self' ws://{host} wss://{host};")),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header_of(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header_of(&page, "x-frame-options"), "DENY");

    let api = get(
        &gateway.app.url("/api/products/65a1b2c3d4e5f60718293a4b"),
        None,
    )
    .await;
    assert_eq!(
        header_of(&api, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn the_api_and_the_probes_are_never_shadowed_by_files_of_the_same_name() {
    let root = WebRoot::new();
    let echo = spawn_echo().await;
    let gateway = gateway_over(root.path(), &[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    let (status, body) = gateway
        .app
        .get("/api/products/65a1b2c3d4e5f60718293a4b")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["path"], "/products/65a1b2c3d4e5f60718293a4b");
    assert_eq!(echo.hits(), 1);

    let (status, body) = gateway.app.get("/health").await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["status"].is_string(), "{body}");

    for path in ["/metrics", "/api", "/api/no-such-area/1", "/ws/orders"] {
        let (status, body) = gateway.app.get(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{path}");
    }

    // Only GET and HEAD reach the files: a POST to a page path is the API's 404.
    let post = reqwest::Client::new()
        .post(gateway.app.url("/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    let body: Value = post.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    gateway.stop().await;
}

#[tokio::test]
async fn without_a_built_front_end_the_pages_answer_404_and_the_api_still_works() {
    let missing = std::env::temp_dir().join(format!("no-web-{}", uuid::Uuid::new_v4()));
    let echo = spawn_echo().await;
    let gateway = gateway_over(&missing, &[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    for path in ["/", "/console", "/assets/app.js"] {
        let (status, body) = gateway.app.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "NOT_FOUND", "{path}");
    }
    let (status, _) = gateway
        .app
        .get("/api/products/65a1b2c3d4e5f60718293a4b")
        .await;
    assert_eq!(status, 200);
    gateway.stop().await;
}

#[tokio::test]
async fn a_revalidated_page_keeps_the_page_csp_in_its_304() {
    let root = WebRoot::new();
    let gateway = gateway_over(root.path(), &[]).await;
    let client = reqwest::Client::new();
    for path in ["/orders/65a1b2c3d4e5f60718293a4b", "/console/alerts"] {
        let first = get(&gateway.app.url(path), None).await;
        let modified = header_of(&first, "last-modified").to_owned();
        assert!(!modified.is_empty(), "{path}");
        let again = client
            .get(gateway.app.url(path))
            .header(header::IF_MODIFIED_SINCE, &modified)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        // The browser takes these headers over the cached page's: the page CSP, not the API's.
        let csp = header_of(&again, "content-security-policy");
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
    }
    gateway.stop().await;
}
