//! Who may call what, checked at the door (DESIGN.md, "Identity and access"). Services check
//! again with finer rules (a customer's own records); the gateway refuses early what no
//! customer may do at all.

use axum::http::Method;

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with or without a token.
    Public,
    /// Any signed-in caller.
    Authenticated,
    /// Admins only.
    Admin,
}

/// The rule for `method` on `path` (the full path, `/api/...`).
pub fn required(method: &Method, path: &str) -> Access {
    let area = path
        .strip_prefix("/api/")
        .unwrap_or(path)
        .trim_end_matches('/');
    let segments: Vec<&str> = area.split('/').collect();
    match segments.as_slice() {
        ["auth", "register" | "login" | "refresh"] => Access::Public,
        ["auth", ..] => Access::Authenticated,
        ["products", ..] if *method == Method::GET => Access::Public,
        ["products", ..] => Access::Admin,
        ["orders", _, "status"] => Access::Admin,
        ["orders" | "customers" | "alerts" | "ws", ..] => Access::Authenticated,
        ["analytics" | "dashboard", ..] => Access::Admin,
        _ => Access::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_design() {
        let cases = [
            (Method::POST, "/api/auth/login", Access::Public),
            (Method::GET, "/api/auth/me", Access::Authenticated),
            (Method::GET, "/api/products/abc", Access::Public),
            (Method::DELETE, "/api/products/abc", Access::Admin),
            (Method::PATCH, "/api/orders/abc/status", Access::Admin),
            (
                Method::POST,
                "/api/orders/abc/cancel",
                Access::Authenticated,
            ),
            (Method::GET, "/api/ws/orders", Access::Authenticated),
            (Method::GET, "/api/analytics/daily-revenue", Access::Admin),
            (Method::GET, "/api/dashboard/performance", Access::Admin),
            (Method::POST, "/api/assistant/chat", Access::Public),
        ];
        for (method, path, expected) in cases {
            assert_eq!(required(&method, path), expected, "{method} {path}");
        }
    }
}
