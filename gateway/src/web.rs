//! The web front end, served from the files Vite built into `WEB_ROOT` (`web/dist`): the
//! storefront at `/` and every client-side path under it, the ops console at `/console` and
//! under it, hashed assets under `/assets/`.
//!
//! Why these headers: an asset's name carries the hash of its content, so a browser may keep it
//! for a year (`immutable`); an HTML page names the assets of one build, so it is revalidated on
//! every load (`no-cache`, with ServeDir's `Last-Modified`), and a new build shows at the next
//! reload. The pages get a CSP of their own (scripts and styles only from this origin, no
//! inline code, no eval; fetches and WebSockets only to this origin); the API's answers keep
//! their `default-src 'none'`. Precompressed `.br`/`.gz` files, written by the build beside
//! each asset, are sent to clients that accept them.
//!
//! The web never shadows the API: `/api`, `/api/...`, `/health`, `/metrics` and `/ws/...` are
//! answered as before (the 404 envelope for what no route takes), and only `GET`/`HEAD` reach
//! the files.

use std::{
    convert::Infallible,
    path::{Path, PathBuf},
};

use axum::{
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use shared::ApiError;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// `Cache-Control` of a hashed asset.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of a page and of any file whose name carries no hash.
pub const REVALIDATE: &str = "no-cache";

/// The built front end: where it is and the file services over it.
#[derive(Clone)]
pub struct Web {
    root: PathBuf,
}

impl Web {
    /// The front end in `root`; says in the log when it is not built there (the pages then
    /// answer 404 and the API works as ever).
    pub fn new(root: &Path) -> Self {
        let storefront = root.join("index.html");
        if storefront.is_file() {
            tracing::info!(root = %root.display(), "serving the web front end");
        } else {
            tracing::warn!(
                root = %root.display(),
                "WEB_ROOT holds no index.html: the storefront and the console answer 404 \
                 (build them with `npm ci && npm run build` in web/, or `cargo xtask up`)"
            );
        }
        Self {
            root: root.to_path_buf(),
        }
    }

    /// Answers a request no API route took: a page, an asset, or the 404 envelope.
    pub async fn answer(&self, request: Request) -> Response {
        let path = request.uri().path().to_owned();
        if !matches!(*request.method(), Method::GET | Method::HEAD) || reserved(&path) {
            return ApiError::NotFound("no such route".to_owned()).into_response();
        }
        let host = request.headers().get(header::HOST).cloned();
        let response = if path == "/console" || path.starts_with("/console/") {
            // Every console path is the console's one page; its router reads the rest.
            serve(self.file("console/index.html"), request).await
        } else if path.starts_with("/assets/") {
            // A missing asset is a 404, never a page in its place.
            serve(self.dir(), request).await
        } else {
            // A file at the top (a favicon), else the storefront's page for its router.
            let page = self.file("index.html");
            serve(self.dir().fallback(page), request).await
        };
        finish(response, &path, host.as_ref())
    }

    fn file(&self, name: &str) -> ServeFile {
        ServeFile::new(self.root.join(name))
            .precompressed_br()
            .precompressed_gzip()
    }

    fn dir(&self) -> ServeDir {
        ServeDir::new(&self.root)
            .precompressed_br()
            .precompressed_gzip()
    }
}

/// Paths that belong to the API and the probes, whatever the files hold.
fn reserved(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    under("/api") || under("/ws") || under("/health") || under("/metrics")
}

async fn serve<S>(service: S, request: Request) -> Response
where
    S: tower::Service<Request, Error = Infallible>,
    S::Response: IntoResponse,
{
    match service.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Caching and CSP by what the answer is; a missing file becomes the 404 envelope.
fn finish(mut response: Response, path: &str, host: Option<&HeaderValue>) -> Response {
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        tracing::debug!(path, "no such file in WEB_ROOT");
        return ApiError::NotFound("no such page".to_owned()).into_response();
    }
    let headers = response.headers_mut();
    let html = is_html(headers);
    let cache = if path.starts_with("/assets/") && !html && status.is_success() {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // The same URL answers brotli, gzip or plain bytes: a shared cache must keep them apart.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // A revalidated page answers 304 with no `Content-Type`, and the browser keeps the 304's
    // headers over the cached ones: without the page CSP here, the reloaded page would run
    // under the API's `default-src 'none'` and load nothing.
    let page = html || (status == StatusCode::NOT_MODIFIED && is_page_path(path));
    if page && let Ok(csp) = HeaderValue::from_str(&page_policy(host)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// A page's path rather than a file's: a client-side route (no `.` in its last segment) or an
/// `.html` file.
fn is_page_path(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !last.contains('.') || last.ends_with(".html")
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The pages' CSP: everything from this origin only, no inline script or style, no eval;
/// WebSockets to this host (`ws:`/`wss:`, which older browsers do not count as `'self'`).
/// A `Host` that is not a plain host name and port is left out rather than echoed.
pub fn page_policy(host: Option<&HeaderValue>) -> String {
    let plain = |h: &&str| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
    };
    let sockets = host
        .and_then(|h| h.to_str().ok())
        .filter(plain)
        .map(|h| format!(" ws://{h} wss://{h}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'{sockets}; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_and_the_probes_are_reserved_and_pages_are_not() {
        for path in ["/api", "/api/products", "/health", "/metrics", "/ws/orders"] {
            assert!(reserved(path), "{path}");
        }
        for path in ["/", "/apiary", "/products/1", "/console", "/healthy-food"] {
            assert!(!reserved(path), "{path}");
        }
    }

    #[test]
    fn client_side_routes_and_html_files_are_pages_and_other_files_are_not() {
        for path in [
            "/",
            "/orders/65a1b2c3d4e5f60718293a4b",
            "/console/alerts",
            "/index.html",
        ] {
            assert!(is_page_path(path), "{path}");
        }
        for path in ["/favicon.svg", "/assets/app-1a2b3c.js", "/robots.txt"] {
            assert!(!is_page_path(path), "{path}");
        }
    }

    #[test]
    fn the_page_policy_names_this_host_for_websockets_and_refuses_odd_hosts() {
        let host = HeaderValue::from_static("127.0.0.1:5000");
        let policy = page_policy(Some(&host));
        assert!(policy.contains("connect-src 'self' ws://127.0.0.1:5000 wss://127.0.0.1:5000;"));
        assert!(policy.contains("script-src 'self';"));
        assert!(!policy.contains("unsafe"));
        let odd = HeaderValue::from_static("evil; script-src *");
        assert!(page_policy(Some(&odd)).contains("connect-src 'self';"));
    }
}
