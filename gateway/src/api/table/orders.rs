//! Orders, returns and subscriptions.

use super::super::{
    answer::{one, page},
    body::{body, optional_body, query},
};
use super::{RouteSpec, get, patch, post};
use crate::access::Access::{Admin, Authenticated};
use shared::api::{orders, returns, subscriptions};

pub(super) static ROUTES: &[RouteSpec] = &[
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
];
