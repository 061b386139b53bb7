//! Alerts, notifications, analytics, the assistant and the support desk.

use super::super::{
    answer::{file, list, one, page, upgrade},
    body::{body, optional_body, query},
};
use super::{RouteSpec, get, patch, post};
use crate::access::Access::{Admin, Authenticated, Public};
use shared::api::{
    alerts, analytics, assistant, clickstream, notifications, query as paging, reports, support,
};

pub(super) static ROUTES: &[RouteSpec] = &[
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
        "/api/analytics/reports/sales.csv",
        Admin,
        "analytics",
        "The sales report of a period to download as CSV: totals, revenue by day, best sellers, discounts, returns",
    )
    .with_query(query::<analytics::Period>())
    .answers(file("text/csv")),
    get(
        "/api/analytics/reports/sales.pdf",
        Admin,
        "analytics",
        "The same sales report as a printable PDF",
    )
    .with_query(query::<analytics::Period>())
    .answers(file("application/pdf")),
    post(
        "/api/analytics/reports/weekly",
        Admin,
        "analytics",
        "Mail a closed week's sales report to the staff (the last one without a body): 201, or \
         200 when it went out before (never twice)",
    )
    .with_body(optional_body::<analytics::WeeklyRequest>())
    .answers(one::<reports::WeeklyIssued>(201).or(200)),
    get(
        "/api/analytics/clickstream",
        Admin,
        "analytics",
        "Shoppers' funnel per day and per product (views, carts, checkouts, paid orders) and searches",
    )
    .with_query(query::<analytics::Period>())
    .answers(one::<clickstream::Clickstream>(200)),
    post(
        "/api/events",
        Public,
        "analytics",
        "Record the storefront's clickstream: up to 100 events, anonymous or signed in (its own rate limit)",
    )
    .with_body(body::<clickstream::ClickBatch>())
    .answers(one::<clickstream::ClickReceipt>(202)),
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
