//! Every public route: method, path, who may call it, its query, its body and what it answers.
//! Read it as the API reference; the gateway enforces it and `/api/openapi.json` is generated
//! from it.

use shared::api::{
    alerts, analytics, assistant, auth, cart, categories, checkout, coupons, customers, health,
    loyalty, notifications, orders, payments, products, query as paging, reports, returns, reviews,
    subscriptions, support, wishlist,
};

use super::{
    answer::{ResponseSpec, events, list, nothing, one, one_or_page, page, upgrade},
    body::{BodySpec, QuerySpec, body, optional_body, query},
};
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
    /// What it answers on success, when declared: the status and the `shared::api` type.
    pub answer: Option<ResponseSpec>,
}

impl RouteSpec {
    const fn new(
        method: &'static str,
        path: &'static str,
        access: Access,
        tag: &'static str,
        summary: &'static str,
    ) -> Self {
        Self {
            method,
            path,
            access,
            tag,
            summary,
            query: None,
            body: None,
            answer: None,
        }
    }

    /// The same route taking a JSON body of this type.
    const fn with_body(mut self, body: BodySpec) -> Self {
        self.body = Some(body);
        self
    }

    /// The same route answering this on success.
    const fn answers(mut self, answer: ResponseSpec) -> Self {
        self.answer = Some(answer);
        self
    }

    /// The same route taking a query string of this type.
    const fn with_query(mut self, query: QuerySpec) -> Self {
        self.query = Some(query);
        self
    }
}

const fn get(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("GET", path, access, tag, summary)
}

const fn post(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("POST", path, access, tag, summary)
}

const fn put(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("PUT", path, access, tag, summary)
}

const fn patch(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("PATCH", path, access, tag, summary)
}

const fn delete(
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec::new("DELETE", path, access, tag, summary)
}

/// The public API.
pub static ROUTES: &[RouteSpec] = &[
    get(
        "/api/health",
        Public,
        "health",
        "The gateway's and every service's health, replica by replica (200 when degraded too)",
    )
    .answers(one::<health::SuiteHealth>(200)),
    post("/api/auth/register", Public, "auth", "Create a customer account and sign in")
        .with_body(body::<auth::Registration>())
        .answers(one::<auth::Session>(201)),
    post("/api/auth/login", Public, "auth", "Sign in: access and refresh tokens")
        .with_body(body::<auth::Credentials>())
        .answers(one::<auth::Session>(200)),
    post("/api/auth/refresh", Public, "auth", "Exchange a refresh token (once) for a new pair")
        .with_body(body::<auth::Refresh>())
        .answers(one::<auth::Session>(200)),
    post(
        "/api/auth/logout",
        Authenticated,
        "auth",
        "Revoke the access token (and the refresh token's family)",
    )
    .with_body(optional_body::<auth::Logout>())
    .answers(nothing()),
    get("/api/auth/me", Authenticated, "auth", "The caller's record")
        .answers(one::<customers::Customer>(200)),
    get(
        "/api/customers",
        Authenticated,
        "customers",
        "A customer by email (own only for customers), or all (admins)",
    )
    .with_query(query::<customers::CustomerQuery>())
    .answers(one_or_page::<customers::Customer>()),
    get(
        "/api/customers/{id}",
        Authenticated,
        "customers",
        "A customer record (own only for customers)",
    )
    .answers(one::<customers::Customer>(200)),
    patch("/api/customers/{id}", Authenticated, "customers", "Change name, phone or address")
        .with_body(body::<customers::CustomerPatch>())
        .answers(one::<customers::Customer>(200)),
    get(
        "/api/customers/me/export",
        Authenticated,
        "customers",
        "Everything kept about the caller (account, addresses, cards as listed, loyalty, \
         wishlist), as a JSON file to keep",
    )
    .answers(one::<customers::CustomerExport>(200)),
    delete(
        "/api/customers/me",
        Authenticated,
        "customers",
        "Erase the caller's account (password asked again; 403 for a wrong one or an admin): \
         personal data goes everywhere, every session ends, orders stay without the street",
    )
    .with_body(body::<customers::Erasure>())
    .answers(nothing()),
    get(
        "/api/customers/me/addresses",
        Authenticated,
        "customers",
        "The caller's saved addresses, oldest first (one is the default)",
    )
    .answers(list::<customers::SavedAddress>()),
    post(
        "/api/customers/me/addresses",
        Authenticated,
        "customers",
        "Save an address (at most 20; the first becomes the default)",
    )
    .with_body(body::<customers::AddressInput>())
    .answers(one::<customers::SavedAddress>(201)),
    patch(
        "/api/customers/me/addresses/{id}",
        Authenticated,
        "customers",
        "Change one of the caller's addresses, or make it the default",
    )
    .with_body(body::<customers::AddressPatch>())
    .answers(one::<customers::SavedAddress>(200)),
    delete(
        "/api/customers/me/addresses/{id}",
        Authenticated,
        "customers",
        "Delete one of the caller's addresses (the oldest left becomes the default)",
    )
    .answers(list::<customers::SavedAddress>()),
    get(
        "/api/customers/me/payment-methods",
        Authenticated,
        "customers",
        "The caller's saved cards (brand, last four, expiry; one is the default)",
    )
    .answers(list::<payments::PaymentMethod>()),
    post(
        "/api/customers/me/payment-methods",
        Authenticated,
        "customers",
        "Save a card, tokenised by the payment provider (at most 10; the first is the default)",
    )
    .with_body(body::<payments::NewPaymentMethod>())
    .answers(one::<payments::PaymentMethod>(201)),
    patch(
        "/api/customers/me/payment-methods/{id}",
        Authenticated,
        "customers",
        "Make one of the caller's cards the default",
    )
    .with_body(body::<payments::PaymentMethodPatch>())
    .answers(one::<payments::PaymentMethod>(200)),
    delete(
        "/api/customers/me/payment-methods/{id}",
        Authenticated,
        "customers",
        "Delete one of the caller's cards (the newest left becomes the default)",
    )
    .answers(list::<payments::PaymentMethod>()),
    get(
        "/api/loyalty",
        Authenticated,
        "loyalty",
        "The caller's points, tier, next tier and history",
    )
    .answers(one::<loyalty::LoyaltyAccount>(200)),
    get(
        "/api/loyalty/tiers",
        Public,
        "loyalty",
        "The loyalty tiers: lifetime points needed and discount",
    )
    .answers(list::<loyalty::Tier>()),
    post(
        "/api/customers/{id}/loyalty/adjustments",
        Admin,
        "loyalty",
        "Add or take a customer's points, once per Idempotency-Key or id",
    )
    .with_body(body::<loyalty::Adjustment>())
    .answers(one::<loyalty::LoyaltyAccount>(201).or(200)),
    get("/api/products", Public, "products", "Search, filter, sort and page the catalog")
        .with_query(query::<products::ProductQuery>())
        .answers(page::<products::Product>()),
    get("/api/products/{id}", Public, "products", "One product")
        .answers(one::<products::Product>(200)),
    post("/api/products", Admin, "products", "Add a product")
        .with_body(body::<products::ProductInput>())
        .answers(one::<products::Product>(201)),
    put("/api/products/{id}", Admin, "products", "Replace a product")
        .with_body(body::<products::ProductInput>())
        .answers(one::<products::Product>(200)),
    delete("/api/products/{id}", Admin, "products", "Remove a product")
        .answers(one::<products::Deleted>(200)),
    get(
        "/api/products/{id}/stock/stream",
        Public,
        "live",
        "Server-sent events: the product's stock and stockStatus, then every change",
    )
    .answers(events()),
    get("/api/categories", Public, "categories", "The category tree: top level first, children nested")
        .answers(list::<categories::CategoryNode>()),
    get("/api/categories/{id}", Public, "categories", "One category with its path from the top")
        .answers(one::<categories::CategoryDetail>(200)),
    post(
        "/api/categories",
        Admin,
        "categories",
        "Add a category, at the top or under a parent (422 unknown parent, 409 slug taken)",
    )
    .with_body(body::<categories::CategoryInput>())
    .answers(one::<categories::CategoryDetail>(201)),
    patch(
        "/api/categories/{id}",
        Admin,
        "categories",
        "Rename or move a category (422 for a move under itself or a category under it)",
    )
    .with_body(body::<categories::CategoryPatch>())
    .answers(one::<categories::CategoryDetail>(200)),
    delete(
        "/api/categories/{id}",
        Admin,
        "categories",
        "Delete an empty category (409 while categories or products are in it)",
    )
    .answers(one::<products::Deleted>(200)),
    get("/api/products/{id}/reviews", Public, "reviews", "A product's visible reviews, paged")
        .with_query(query::<reviews::ReviewQuery>())
        .answers(page::<reviews::Review>()),
    post(
        "/api/products/{id}/reviews",
        Authenticated,
        "reviews",
        "Review a product the caller received (403 otherwise, 409 for a second review)",
    )
    .with_body(body::<reviews::ReviewInput>())
    .answers(one::<reviews::Review>(201)),
    put("/api/products/{id}/reviews/mine", Authenticated, "reviews", "Edit the caller's review")
        .with_body(body::<reviews::ReviewInput>())
        .answers(one::<reviews::Review>(200)),
    patch(
        "/api/products/{id}/reviews/{reviewId}",
        Admin,
        "reviews",
        "Hide a review (or show it again)",
    )
    .with_body(body::<reviews::ReviewVisibility>())
    .answers(one::<reviews::Review>(200)),
    post("/api/orders", Authenticated, "orders", "Place an order (honours Idempotency-Key)")
        .with_body(body::<orders::OrderRequest>())
        .answers(one::<orders::Order>(201)),
    get("/api/orders", Authenticated, "orders", "Orders, newest first (own only for customers)")
        .with_query(query::<orders::OrderQuery>())
        .answers(page::<orders::Order>()),
    get("/api/orders/{id}", Authenticated, "orders", "One order with its status history")
        .answers(one::<orders::Order>(200)),
    post(
        "/api/orders/{id}/cancel",
        Authenticated,
        "orders",
        "Cancel a PENDING or PROCESSING order (body optional)",
    )
    .with_body(optional_body::<orders::Cancellation>())
    .answers(one::<orders::Order>(200)),
    patch(
        "/api/orders/{id}/status",
        Admin,
        "orders",
        "Move an order along (legal transitions only)",
    )
    .with_body(body::<orders::StatusChange>())
    .answers(one::<orders::Order>(200)),
    post(
        "/api/orders/{id}/returns",
        Authenticated,
        "returns",
        "Return part of a delivered order within 30 days (422 naming why not)",
    )
    .with_body(body::<returns::ReturnRequest>())
    .answers(one::<returns::Return>(201)),
    get("/api/returns", Authenticated, "returns", "Returns, newest first (own only for customers)")
        .with_query(query::<returns::ReturnQuery>())
        .answers(page::<returns::Return>()),
    get("/api/returns/{id}", Authenticated, "returns", "One return with its history")
        .answers(one::<returns::Return>(200)),
    post("/api/returns/{id}/approve", Admin, "returns", "Approve a requested return")
        .with_body(optional_body::<returns::ReturnNote>())
        .answers(one::<returns::Return>(200)),
    post("/api/returns/{id}/reject", Admin, "returns", "Reject a requested or approved return")
        .with_body(optional_body::<returns::ReturnNote>())
        .answers(one::<returns::Return>(200)),
    post(
        "/api/returns/{id}/receive",
        Admin,
        "returns",
        "Mark an approved return's parcel received: stock goes back, the refund follows",
    )
    .with_body(optional_body::<returns::ReturnNote>())
    .answers(one::<returns::Return>(200)),
    post(
        "/api/subscriptions",
        Authenticated,
        "subscriptions",
        "Order the same products every intervalDays with a saved card and address (422 naming why not)",
    )
    .with_body(body::<subscriptions::SubscriptionRequest>())
    .answers(one::<subscriptions::Subscription>(201)),
    get(
        "/api/subscriptions",
        Authenticated,
        "subscriptions",
        "Subscriptions, newest first (own only for customers)",
    )
    .with_query(query::<subscriptions::SubscriptionQuery>())
    .answers(page::<subscriptions::Subscription>()),
    get("/api/subscriptions/{id}", Authenticated, "subscriptions", "One subscription with its runs")
        .answers(one::<subscriptions::Subscription>(200)),
    post("/api/subscriptions/{id}/pause", Authenticated, "subscriptions", "Pause an active subscription")
        .answers(one::<subscriptions::Subscription>(200)),
    post("/api/subscriptions/{id}/resume", Authenticated, "subscriptions", "Resume a paused subscription")
        .answers(one::<subscriptions::Subscription>(200)),
    post(
        "/api/subscriptions/{id}/cancel",
        Authenticated,
        "subscriptions",
        "Cancel a subscription for good",
    )
    .answers(one::<subscriptions::Subscription>(200)),
    get("/api/cart", Authenticated, "cart", "The caller's cart, priced now, with its quote")
        .answers(one::<cart::Cart>(200)),
    put(
        "/api/cart/items/{productId}",
        Authenticated,
        "cart",
        "Set how many of a product the cart holds (0 removes it)",
    )
    .with_body(body::<cart::CartQuantity>())
    .answers(one::<cart::Cart>(200)),
    delete("/api/cart/items/{productId}", Authenticated, "cart", "Remove a product from the cart")
        .answers(one::<cart::Cart>(200)),
    delete("/api/cart", Authenticated, "cart", "Empty the cart")
        .answers(one::<cart::Cart>(200)),
    post("/api/cart/coupon", Authenticated, "cart", "Apply a coupon to the cart (422 naming why not)")
        .with_body(body::<coupons::CartCoupon>())
        .answers(one::<cart::Cart>(200)),
    delete("/api/cart/coupon", Authenticated, "cart", "Take the coupon off the cart")
        .answers(one::<cart::Cart>(200)),
    get("/api/wishlist", Authenticated, "wishlist", "The caller's wished products, newest first")
        .answers(list::<wishlist::WishlistItem>()),
    put(
        "/api/wishlist/{productId}",
        Authenticated,
        "wishlist",
        "Wish a product (201; 200 when already wished; 404 unknown product; at most 100; body optional)",
    )
    .with_body(optional_body::<wishlist::WishlistAdd>())
    .answers(one::<wishlist::WishlistItem>(201).or(200)),
    delete(
        "/api/wishlist/{productId}",
        Authenticated,
        "wishlist",
        "Stop wishing a product: the list left",
    )
    .answers(list::<wishlist::WishlistItem>()),
    post("/api/coupons", Admin, "coupons", "Create a coupon (a code is unique in any case)")
        .with_body(body::<coupons::CouponInput>())
        .answers(one::<coupons::Coupon>(201)),
    get("/api/coupons", Admin, "coupons", "Every coupon with how often it was used")
        .answers(list::<coupons::Coupon>()),
    get("/api/coupons/{code}", Admin, "coupons", "One coupon with how often it was used")
        .answers(one::<coupons::Coupon>(200)),
    patch("/api/coupons/{code}", Admin, "coupons", "Change, pause or resume a coupon")
        .with_body(body::<coupons::CouponPatch>())
        .answers(one::<coupons::Coupon>(200)),
    delete("/api/coupons/{code}", Admin, "coupons", "Delete a coupon")
        .answers(nothing()),
    post(
        "/api/checkout",
        Authenticated,
        "cart",
        "Turn the cart into one order and empty it (honours Idempotency-Key; body optional)",
    )
    .with_body(optional_body::<checkout::Checkout>())
    .answers(one::<orders::Order>(201)),
    get(
        "/api/orders/{id}/stream",
        Authenticated,
        "live",
        "Server-sent events: the order, then every change",
    )
    .answers(events()),
    get(
        "/api/ws/orders",
        Authenticated,
        "live",
        "WebSocket: subscribe to one order or all of yours",
    )
    .answers(upgrade()),
    get("/api/alerts", Authenticated, "alerts", "Alerts for the caller")
        .with_query(query::<alerts::AlertQuery>())
        .answers(page::<alerts::Alert>()),
    post("/api/alerts/{id}/ack", Authenticated, "alerts", "Acknowledge an alert")
        .answers(one::<alerts::Alert>(200)),
    get("/api/ws/alerts", Authenticated, "live", "WebSocket: alerts by topic, replay since an id")
        .answers(upgrade()),
    get("/api/notifications", Authenticated, "notifications", "The caller's notifications, unread count in meta")
        .with_query(query::<notifications::NotificationQuery>())
        .answers(page::<notifications::Notification>().with_meta(&["unread"])),
    post("/api/notifications/{id}/read", Authenticated, "notifications", "Mark one of the caller's notifications read")
        .answers(one::<notifications::Notification>(200)),
    post("/api/notifications/read-all", Authenticated, "notifications", "Mark all of the caller's notifications read")
        .answers(one::<notifications::Marked>(200)),
    get("/api/notifications/preferences", Authenticated, "notifications", "What the caller wants by mail")
        .answers(one::<notifications::Preferences>(200)),
    patch(
        "/api/notifications/preferences",
        Authenticated,
        "notifications",
        "Choose which kinds of notification are also mailed",
    )
    .with_body(body::<notifications::PreferencesPatch>())
    .answers(one::<notifications::Preferences>(200)),
    get("/api/analytics/daily-revenue", Admin, "analytics", "Revenue per day")
        .with_query(query::<analytics::Period>())
        .answers(list::<reports::DailyRevenue>()),
    get("/api/analytics/dashboard-metrics", Admin, "analytics", "Headline figures")
        .answers(one::<reports::DashboardMetrics>(200)),
    get("/api/analytics/top-products", Admin, "analytics", "Best sellers")
        .with_query(query::<analytics::TopProducts>())
        .answers(list::<reports::TopProduct>()),
    get(
        "/api/analytics/discounts",
        Admin,
        "analytics",
        "Coupon, tier and points discounts per code and per day",
    )
    .with_query(query::<analytics::Period>())
    .answers(one::<reports::Discounts>(200)),
    get(
        "/api/analytics/funnel",
        Admin,
        "analytics",
        "Order funnel per day: checked out, created, paid, failed, rejected, cancelled, delivered",
    )
    .with_query(query::<analytics::Period>())
    .answers(one::<reports::Funnel>(200)),
    get(
        "/api/analytics/after-sales",
        Admin,
        "analytics",
        "Returns by reason, refunds, review volume and rating, notifications per kind",
    )
    .with_query(query::<analytics::Period>())
    .answers(one::<reports::AfterSales>(200)),
    get(
        "/api/dashboard/business-metrics",
        Admin,
        "dashboard",
        "Business metrics against the period before",
    )
    .with_query(query::<analytics::Period>())
    .answers(one::<reports::BusinessMetrics>(200)),
    post(
        "/api/analytics/rebuild",
        Admin,
        "analytics",
        "Recompute the order read models from order-service",
    )
    .answers(one::<reports::RebuildStatus>(202)),
    get("/api/analytics/rebuild", Admin, "analytics", "Progress of the rebuild")
        .answers(one::<reports::RebuildStatus>(200)),
    get(
        "/api/analytics/dead-letters",
        Admin,
        "analytics",
        "Dead-lettered events, oldest first, with the queue and reason each died of",
    )
    .with_query(query::<analytics::DeadLetterList>())
    .answers(list::<reports::DeadLetter>()),
    post(
        "/api/analytics/dead-letters/replay",
        Admin,
        "analytics",
        "Send dead-lettered events back to the queue each died in (all, or by queue and ids; body optional)",
    )
    .with_body(optional_body::<analytics::Replay>())
    .answers(one::<reports::Replayed>(200)),
    get("/api/ws/analytics", Admin, "live", "WebSocket: dashboard figures as they change")
        .answers(upgrade()),
    get("/api/assistant/functions", Public, "assistant", "The assistant's function schemas")
        .answers(list::<assistant::FunctionSchema>()),
    get("/api/dashboard/performance", Admin, "dashboard", "Service performance")
        .answers(one::<reports::Performance>(200)),
    get("/api/dashboard/assistant-stats", Admin, "dashboard", "Assistant statistics")
        .answers(one::<reports::AssistantStats>(200)),
    post("/api/assistant/chat", Public, "assistant", "One turn with the support assistant")
        .with_body(body::<assistant::ChatRequest>())
        .answers(one::<assistant::ChatReply>(200)),
    get("/api/ws/chat/{sessionId}", Public, "live", "WebSocket: assistant turns, streamed")
        .answers(upgrade()),
    get(
        "/api/support/queue",
        Admin,
        "support",
        "Escalated conversations waiting for or held by a person, oldest first",
    )
    .with_query(query::<paging::Paging>())
    .answers(page::<support::QueueEntry>()),
    get(
        "/api/support/conversations/{sessionId}",
        Admin,
        "support",
        "One escalated conversation with its whole transcript",
    )
    .answers(one::<support::Conversation>(200)),
    get(
        "/api/ws/support/{sessionId}",
        Admin,
        "live",
        "WebSocket: a person takes over a chat (messages both ways; close hands it back)",
    )
    .answers(upgrade()),
];
