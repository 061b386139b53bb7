//! Every public route: method, path, who may call it, its query and its body. Read it as the
//! API reference; the gateway enforces it and `/api/openapi.json` is generated from it.

use shared::api::{
    alerts, analytics, assistant, auth, cart, checkout, customers, orders, products,
};

use super::body::{BodySpec, QuerySpec, body, optional_body, query};
use crate::access::Access::{self, Admin, Authenticated, Public};

/// One route of the public API.
#[derive(Debug)]
pub struct RouteSpec {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path with `{param}` segments; params named `id` are ObjectIds.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The OpenAPI tag.
    pub tag: &'static str,
    /// One line for the reference.
    pub summary: &'static str,
    /// The query string, when the route takes one: its type in `shared::api`.
    pub query: Option<QuerySpec>,
    /// The JSON body, when the route takes one: its type in `shared::api`.
    pub body: Option<BodySpec>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
        tag,
        summary,
        query: None,
        body: None,
    }
}

/// The public API.
pub static ROUTES: &[RouteSpec] = &[
    RouteSpec {
        body: Some(body::<auth::Registration>()),
        ..route(
            "POST",
            "/api/auth/register",
            Public,
            "auth",
            "Create a customer account and sign in",
        )
    },
    RouteSpec {
        body: Some(body::<auth::Credentials>()),
        ..route(
            "POST",
            "/api/auth/login",
            Public,
            "auth",
            "Sign in: access and refresh tokens",
        )
    },
    RouteSpec {
        body: Some(body::<auth::Refresh>()),
        ..route(
            "POST",
            "/api/auth/refresh",
            Public,
            "auth",
            "Exchange a refresh token (once) for a new pair",
        )
    },
    RouteSpec {
        body: Some(optional_body::<auth::Logout>()),
        ..route(
            "POST",
            "/api/auth/logout",
            Authenticated,
            "auth",
            "Revoke the access token (and the refresh token's family)",
        )
    },
    route(
        "GET",
        "/api/auth/me",
        Authenticated,
        "auth",
        "The caller's record",
    ),
    RouteSpec {
        query: Some(query::<customers::CustomerQuery>()),
        ..route(
            "GET",
            "/api/customers",
            Authenticated,
            "customers",
            "A customer by email (own only for customers), or all (admins)",
        )
    },
    route(
        "GET",
        "/api/customers/{id}",
        Authenticated,
        "customers",
        "A customer record (own only for customers)",
    ),
    RouteSpec {
        body: Some(body::<customers::CustomerPatch>()),
        ..route(
            "PATCH",
            "/api/customers/{id}",
            Authenticated,
            "customers",
            "Change name, phone or address",
        )
    },
    route(
        "GET",
        "/api/customers/me/addresses",
        Authenticated,
        "customers",
        "The caller's saved addresses, oldest first (one is the default)",
    ),
    RouteSpec {
        body: Some(body::<customers::AddressInput>()),
        ..route(
            "POST",
            "/api/customers/me/addresses",
            Authenticated,
            "customers",
            "Save an address (at most 20; the first becomes the default)",
        )
    },
    RouteSpec {
        body: Some(body::<customers::AddressPatch>()),
        ..route(
            "PATCH",
            "/api/customers/me/addresses/{id}",
            Authenticated,
            "customers",
            "Change one of the caller's addresses, or make it the default",
        )
    },
    route(
        "DELETE",
        "/api/customers/me/addresses/{id}",
        Authenticated,
        "customers",
        "Delete one of the caller's addresses (the oldest left becomes the default)",
    ),
    route(
        "GET",
        "/api/loyalty",
        Authenticated,
        "loyalty",
        "The caller's points, tier, next tier and history",
    ),
    route(
        "GET",
        "/api/loyalty/tiers",
        Public,
        "loyalty",
        "The loyalty tiers: lifetime points needed and discount",
    ),
    RouteSpec {
        query: Some(query::<products::ProductQuery>()),
        ..route(
            "GET",
            "/api/products",
            Public,
            "products",
            "Search, filter, sort and page the catalog",
        )
    },
    route(
        "GET",
        "/api/products/{id}",
        Public,
        "products",
        "One product",
    ),
    RouteSpec {
        body: Some(body::<products::ProductInput>()),
        ..route("POST", "/api/products", Admin, "products", "Add a product")
    },
    RouteSpec {
        body: Some(body::<products::ProductInput>()),
        ..route(
            "PUT",
            "/api/products/{id}",
            Admin,
            "products",
            "Replace a product",
        )
    },
    route(
        "DELETE",
        "/api/products/{id}",
        Admin,
        "products",
        "Remove a product",
    ),
    RouteSpec {
        body: Some(body::<orders::OrderRequest>()),
        ..route(
            "POST",
            "/api/orders",
            Authenticated,
            "orders",
            "Place an order (honours Idempotency-Key)",
        )
    },
    RouteSpec {
        query: Some(query::<orders::OrderQuery>()),
        ..route(
            "GET",
            "/api/orders",
            Authenticated,
            "orders",
            "Orders, newest first (own only for customers)",
        )
    },
    route(
        "GET",
        "/api/orders/{id}",
        Authenticated,
        "orders",
        "One order with its status history",
    ),
    RouteSpec {
        body: Some(optional_body::<orders::Cancellation>()),
        ..route(
            "POST",
            "/api/orders/{id}/cancel",
            Authenticated,
            "orders",
            "Cancel a PENDING or PROCESSING order (body optional)",
        )
    },
    RouteSpec {
        body: Some(body::<orders::StatusChange>()),
        ..route(
            "PATCH",
            "/api/orders/{id}/status",
            Admin,
            "orders",
            "Move an order along (legal transitions only)",
        )
    },
    route(
        "GET",
        "/api/cart",
        Authenticated,
        "cart",
        "The caller's cart, priced now, with its quote",
    ),
    RouteSpec {
        body: Some(body::<cart::CartQuantity>()),
        ..route(
            "PUT",
            "/api/cart/items/{productId}",
            Authenticated,
            "cart",
            "Set how many of a product the cart holds (0 removes it)",
        )
    },
    route(
        "DELETE",
        "/api/cart/items/{productId}",
        Authenticated,
        "cart",
        "Remove a product from the cart",
    ),
    route(
        "DELETE",
        "/api/cart",
        Authenticated,
        "cart",
        "Empty the cart",
    ),
    RouteSpec {
        body: Some(optional_body::<checkout::Checkout>()),
        ..route(
            "POST",
            "/api/checkout",
            Authenticated,
            "cart",
            "Turn the cart into one order and empty it (honours Idempotency-Key; body optional)",
        )
    },
    route(
        "GET",
        "/api/orders/{id}/stream",
        Authenticated,
        "live",
        "Server-sent events: the order, then every change",
    ),
    route(
        "GET",
        "/api/ws/orders",
        Authenticated,
        "live",
        "WebSocket: subscribe to one order or all of yours",
    ),
    RouteSpec {
        query: Some(query::<alerts::AlertQuery>()),
        ..route(
            "GET",
            "/api/alerts",
            Authenticated,
            "alerts",
            "Alerts for the caller",
        )
    },
    route(
        "POST",
        "/api/alerts/{id}/ack",
        Authenticated,
        "alerts",
        "Acknowledge an alert",
    ),
    route(
        "GET",
        "/api/ws/alerts",
        Authenticated,
        "live",
        "WebSocket: alerts by topic, replay since an id",
    ),
    RouteSpec {
        query: Some(query::<analytics::Period>()),
        ..route(
            "GET",
            "/api/analytics/daily-revenue",
            Admin,
            "analytics",
            "Revenue per day",
        )
    },
    route(
        "GET",
        "/api/analytics/dashboard-metrics",
        Admin,
        "analytics",
        "Headline figures",
    ),
    RouteSpec {
        query: Some(query::<analytics::TopProducts>()),
        ..route(
            "GET",
            "/api/analytics/top-products",
            Admin,
            "analytics",
            "Best sellers",
        )
    },
    RouteSpec {
        query: Some(query::<analytics::Period>()),
        ..route(
            "GET",
            "/api/dashboard/business-metrics",
            Admin,
            "dashboard",
            "Business metrics against the period before",
        )
    },
    route(
        "POST",
        "/api/analytics/rebuild",
        Admin,
        "analytics",
        "Recompute the order read models from order-service",
    ),
    route(
        "GET",
        "/api/analytics/rebuild",
        Admin,
        "analytics",
        "Progress of the rebuild",
    ),
    RouteSpec {
        query: Some(query::<analytics::DeadLetterList>()),
        ..route(
            "GET",
            "/api/analytics/dead-letters",
            Admin,
            "analytics",
            "Dead-lettered events, oldest first, with the queue and reason each died of",
        )
    },
    RouteSpec {
        body: Some(optional_body::<analytics::Replay>()),
        ..route(
            "POST",
            "/api/analytics/dead-letters/replay",
            Admin,
            "analytics",
            "Send dead-lettered events back to the queue each died in (all, or by queue and ids; body optional)",
        )
    },
    route(
        "GET",
        "/api/ws/analytics",
        Admin,
        "live",
        "WebSocket: dashboard figures as they change",
    ),
    route(
        "GET",
        "/api/assistant/functions",
        Public,
        "assistant",
        "The assistant's function schemas",
    ),
    route(
        "GET",
        "/api/dashboard/performance",
        Admin,
        "dashboard",
        "Service performance",
    ),
    route(
        "GET",
        "/api/dashboard/assistant-stats",
        Admin,
        "dashboard",
        "Assistant statistics",
    ),
    RouteSpec {
        body: Some(body::<assistant::ChatRequest>()),
        ..route(
            "POST",
            "/api/assistant/chat",
            Public,
            "assistant",
            "One turn with the support assistant",
        )
    },
    route(
        "GET",
        "/api/ws/chat/{sessionId}",
        Public,
        "live",
        "WebSocket: assistant turns, streamed",
    ),
];
