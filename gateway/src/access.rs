//! Who may call what, checked at the door (DESIGN.md, "Identity and access"). The rule of each
//! route lives in the route table (`api::table`); services check again with finer rules (a
//! customer's own records), the gateway refuses early what no customer may do at all.

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with or without a token.
    Public,
    /// Any signed-in caller.
    Authenticated,
    /// Staff only: admins and the super admin.
    Admin,
    /// The super admin only (the staff and the audit log).
    SuperAdmin,
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::Access;
    use crate::api::access;

    #[test]
    fn the_table_matches_the_design() {
        let cases = [
            (Method::POST, "/api/auth/login", Access::Public),
            (Method::GET, "/api/auth/me", Access::Authenticated),
            (
                Method::GET,
                "/api/products/65a1b2c3d4e5f60718293a4b",
                Access::Public,
            ),
            (
                Method::DELETE,
                "/api/products/65a1b2c3d4e5f60718293a4b",
                Access::Admin,
            ),
            (
                Method::PATCH,
                "/api/orders/65a1b2c3d4e5f60718293a4b/status",
                Access::Admin,
            ),
            (
                Method::POST,
                "/api/orders/65a1b2c3d4e5f60718293a4b/cancel",
                Access::Authenticated,
            ),
            (Method::GET, "/api/ws/orders", Access::Authenticated),
            (Method::GET, "/api/analytics/daily-revenue", Access::Admin),
            (Method::GET, "/api/dashboard/performance", Access::Admin),
            (Method::POST, "/api/assistant/chat", Access::Public),
            (Method::GET, "/api/loyalty/tiers", Access::Public),
            (Method::GET, "/api/loyalty", Access::Authenticated),
            (
                Method::POST,
                "/api/customers/65a1b2c3d4e5f60718293a4b/loyalty/adjustments",
                Access::Admin,
            ),
            (
                Method::DELETE,
                "/api/customers/me/addresses/65a1b2c3d4e5f60718293a4b",
                Access::Authenticated,
            ),
            (
                Method::POST,
                "/api/customers/me/payment-methods",
                Access::Authenticated,
            ),
            (Method::GET, "/api/wishlist", Access::Authenticated),
            (
                Method::PUT,
                "/api/wishlist/65a1b2c3d4e5f60718293a4b",
                Access::Authenticated,
            ),
            (
                Method::PATCH,
                "/api/customers/me/payment-methods/65a1b2c3d4e5f60718293a4b",
                Access::Authenticated,
            ),
        ];
        for (method, path, expected) in cases {
            assert_eq!(access(&method, path), expected, "{method} {path}");
        }
    }
}
