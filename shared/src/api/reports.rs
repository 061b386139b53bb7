//! What analytics-service answers: the reports of `/analytics/*` and `/dashboard/*`, the
//! rebuild's progress and the dead-letter replay. Money is [`Money`]; a figure that cannot be
//! computed (a ratio or trend without a base, a latency without requests) is `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Money;

/// The days a report covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// How many days.
    pub days: i64,
}

/// `GET /analytics/daily-revenue`: one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DailyRevenue {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Money paid, net of refunds, for orders placed that day (the same as `net`).
    pub revenue: Money,
    /// Money paid for orders placed that day, before refunds.
    pub gross: Money,
    /// Money given back for orders placed that day.
    pub refunds: Money,
    /// `gross - refunds`.
    pub net: Money,
    /// Orders that count.
    pub order_count: i64,
    /// Customers registered that day.
    pub new_customers: i64,
}

/// `GET /analytics/dashboard-metrics`: headline figures over all time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DashboardMetrics {
    /// Money paid, net of refunds.
    pub total_revenue: Money,
    /// Orders that count.
    pub orders: i64,
    /// `totalRevenue / orders`, to the cent.
    pub average_order_value: Money,
    /// Money given back.
    pub refunded: Money,
    /// Customers registered.
    pub customers: i64,
    /// Customers with an order that counts.
    pub ordering_customers: i64,
    /// Orders per status.
    pub orders_by_status: BTreeMap<String, i64>,
    /// `stock.low` events seen.
    pub stock_low_events: i64,
    /// Alerts sent.
    pub alerts_sent: i64,
    /// Alerts sent per severity.
    pub alerts_by_severity: BTreeMap<String, i64>,
    /// Returns, reviews and notifications over all time.
    pub after_sales: AfterSales,
}

/// `GET /analytics/after-sales` (and the dashboard's `afterSales`): returns, reviews and
/// notifications, over a period or all time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AfterSales {
    /// The days counted; absent for all time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Span>,
    /// Returns asked for, received and refunded.
    pub returns: ReturnFigures,
    /// Reviews written.
    pub reviews: ReviewFigures,
    /// Notifications made.
    pub notifications: NotificationFigures,
}

/// The returns part of [`AfterSales`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnFigures {
    /// Returns asked for.
    pub requested: i64,
    /// Parcels received back.
    pub received: i64,
    /// Returns refunded.
    pub refunded: i64,
    /// Money refunded for returns.
    pub refunded_amount: Money,
    /// Returns asked for, per reason given.
    pub by_reason: BTreeMap<String, i64>,
}

/// The reviews part of [`AfterSales`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewFigures {
    /// Reviews written.
    pub count: i64,
    /// Their average rating, two decimals; `null` without reviews.
    pub average_rating: Option<f64>,
    /// Reviews per rating (`"1"` to `"5"`).
    pub by_rating: BTreeMap<String, i64>,
}

/// The notifications part of [`AfterSales`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationFigures {
    /// Notifications made.
    pub count: i64,
    /// Notifications per kind (`order.created`, `return.approved`, ...).
    pub by_kind: BTreeMap<String, i64>,
    /// How their mail was delivered.
    pub mail: MailFigures,
}

/// Mail delivery of notifications (from alert-service's `notification.mailed` and
/// `notification.mail_failed`): in all, per notification kind and per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailFigures {
    /// Mails the SMTP server accepted (each mail once, even if a crash made it go twice).
    pub sent: i64,
    /// Attempts that failed: the server down or refusing for now (tried again), or for good.
    pub failed_attempts: i64,
    /// Mails refused for good (a permanent 5xx, an address that cannot be used).
    pub failed: i64,
    /// Mails that had waited `delayedAfterMinutes` or more when an attempt was made.
    pub delayed: i64,
    /// The wait from which a mail counts as delayed.
    pub delayed_after_minutes: i64,
    /// The same counts per notification kind.
    pub by_kind: BTreeMap<String, MailCounts>,
    /// The same counts per day with any attempt, oldest first (a delayed mail counts on each
    /// day it was seen waiting).
    pub by_day: Vec<MailDay>,
}

/// Mail delivery counts of one kind of notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailCounts {
    /// Accepted by the SMTP server.
    pub sent: i64,
    /// Failed attempts.
    pub failed_attempts: i64,
    /// Refused for good.
    pub failed: i64,
    /// Delayed.
    pub delayed: i64,
}

/// Mail delivery counts of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailDay {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Accepted by the SMTP server.
    pub sent: i64,
    /// Failed attempts.
    pub failed_attempts: i64,
    /// Refused for good.
    pub failed: i64,
    /// Delayed.
    pub delayed: i64,
}

/// `GET /analytics/top-products`: one best seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopProduct {
    /// The product's id.
    pub product_id: String,
    /// Its name on the latest order, if known.
    pub name: Option<String>,
    /// Units sold.
    pub units: i64,
    /// Their price as ordered (before the order's discounts).
    pub revenue: Money,
}

/// `GET /analytics/discounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Discounts {
    /// The days covered.
    pub period: Span,
    /// Per coupon, by discount given, then code.
    pub coupons: Vec<CouponFigures>,
    /// Every day of the period, zero days included.
    pub days: Vec<DiscountFigures>,
    /// The whole period (no `date`).
    pub totals: DiscountFigures,
}

/// One coupon's use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponFigures {
    /// The code.
    pub code: String,
    /// Orders that used it.
    pub orders: i64,
    /// What it took off.
    pub discount: Money,
    /// Those orders' revenue.
    pub revenue: Money,
}

/// The discounts given on one day, or over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiscountFigures {
    /// The day, `YYYY-MM-DD`; absent in the totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Taken off by coupons (a free-shipping coupon's waived shipping included).
    pub coupon_discount: Money,
    /// The part of `couponDiscount` that was waived shipping.
    pub coupon_shipping: Money,
    /// Taken off by loyalty tiers.
    pub tier_discount: Money,
    /// Taken off by redeemed points.
    pub points_discount: Money,
}

/// `GET /analytics/funnel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Funnel {
    /// The days covered.
    pub period: Span,
    /// Every day of the period, zero days included.
    pub days: Vec<FunnelFigures>,
    /// The whole period (no `date`).
    pub totals: FunnelFigures,
}

/// How far orders got, on one day or over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FunnelFigures {
    /// The day, `YYYY-MM-DD`; absent in the totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Orders that came from a checkout.
    pub checked_out: i64,
    /// Orders created.
    pub created: i64,
    /// Orders paid.
    pub paid: i64,
    /// Payments declined.
    pub payment_failed: i64,
    /// Orders rejected (no stock).
    pub rejected: i64,
    /// Orders cancelled.
    pub cancelled: i64,
    /// Orders delivered.
    pub delivered: i64,
    /// Shares of those, four decimals.
    pub ratios: FunnelRatios,
}

/// Shares (0..1, four decimals); `null` when there is nothing to divide by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FunnelRatios {
    /// Checked out of created.
    pub checkout_share: Option<f64>,
    /// Paid of paid and declined.
    pub payment_success: Option<f64>,
    /// Paid of created.
    pub paid_of_created: Option<f64>,
    /// Rejected of created.
    pub rejected: Option<f64>,
    /// Cancelled of created.
    pub cancelled: Option<f64>,
    /// Delivered of created.
    pub delivered: Option<f64>,
}

/// Revenue, order count and average over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Totals {
    /// Money paid, net of refunds.
    pub revenue: Money,
    /// Orders that count.
    pub order_count: i64,
    /// `revenue / orderCount`, to the cent.
    pub average_order_value: Money,
}

/// `GET /dashboard/business-metrics`: the period against the one of the same length before
/// it, and the loyalty programme's figures of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BusinessMetrics {
    /// Money paid in the period, net of refunds.
    pub revenue: Money,
    /// Orders that count.
    pub order_count: i64,
    /// `revenue / orderCount`, to the cent.
    pub average_order_value: Money,
    /// The period.
    pub period: Span,
    /// The period before.
    pub previous_period: Span,
    /// The figures of the period before.
    pub previous: Totals,
    /// The change from the period before.
    pub trend: Trend,
    /// Points and tiers.
    pub loyalty: LoyaltyReport,
}

/// Change in percent, one decimal; `null` when the period before had none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Trend {
    /// Of revenue.
    pub revenue: Option<f64>,
    /// Of the order count.
    pub order_count: Option<f64>,
    /// Of the average order value.
    pub average_order_value: Option<f64>,
}

/// Points issued, redeemed, returned and taken back per day, and customers per tier now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoyaltyReport {
    /// Every day of the period, zero days included.
    pub days: Vec<PointsFigures>,
    /// The whole period (no `date`).
    pub totals: PointsFigures,
    /// Every tier with its customers (0 included).
    pub customers_by_tier: BTreeMap<String, i64>,
}

/// Points moved on one day, or over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PointsFigures {
    /// The day, `YYYY-MM-DD`; absent in the totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Earned.
    pub issued: i64,
    /// Spent at checkout.
    pub redeemed: i64,
    /// Given back (an order cancelled after redeeming).
    pub returned: i64,
    /// Taken back (a delivered order returned).
    pub taken_back: i64,
}

/// `GET /dashboard/performance`: every service's recent figures, from its `/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Performance {
    /// One per service.
    pub services: Vec<ServiceFigures>,
    /// The span the figures cover at most.
    pub window_seconds: u64,
    /// When (RFC 3339).
    pub generated_at: String,
}

/// One service: `up: false` with the `error`, or its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceFigures {
    /// Its name.
    pub service: String,
    /// Where it was scraped.
    pub url: String,
    /// Whether it answered.
    pub up: bool,
    /// Why not (only when down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The span the figures cover (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_seconds: Option<f64>,
    /// Requests in that span (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// Requests per second (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_second: Option<f64>,
    /// Per route, busiest first (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<RouteFigures>>,
    /// Streams open now (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_streams: Option<f64>,
    /// Streams open now, per gauge (only when up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<BTreeMap<String, f64>>,
}

/// Latency and errors of one route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteFigures {
    /// HTTP method.
    pub method: String,
    /// The route pattern.
    pub route: String,
    /// Requests counted.
    pub requests: u64,
    /// Requests per second.
    pub per_second: f64,
    /// Share of 5xx answers (0..1).
    pub error_rate: f64,
    /// Median latency in milliseconds.
    pub p50_ms: Option<f64>,
    /// 95th percentile in milliseconds.
    pub p95_ms: Option<f64>,
    /// 99th percentile in milliseconds.
    pub p99_ms: Option<f64>,
}

/// `GET /dashboard/assistant-stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssistantStats {
    /// Replies given.
    pub replies: i64,
    /// Replies per intent, with their share.
    pub intents: BTreeMap<String, IntentShare>,
    /// Calls per function.
    pub function_calls: BTreeMap<String, i64>,
    /// Every function call.
    pub total_function_calls: i64,
    /// Time to answer.
    pub response_time_ms: Latency,
}

/// Replies of one intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentShare {
    /// How many.
    pub count: i64,
    /// Of all replies (0..1, four decimals).
    pub share: f64,
}

/// Milliseconds; `null` without replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Mean.
    pub average: Option<i64>,
    /// Median.
    pub p50: Option<i64>,
    /// 95th percentile.
    pub p95: Option<i64>,
    /// 99th percentile.
    pub p99: Option<i64>,
    /// Slowest.
    pub max: Option<i64>,
}

/// `GET` and `POST /analytics/rebuild`: where the rebuild of the order read models stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RebuildStatus {
    /// `idle` (never run), `running`, `done` or `failed`.
    pub state: String,
    /// When it started (RFC 3339).
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    pub finished_at: Option<String>,
    /// Orders applied so far.
    pub processed: i64,
    /// Orders order-service listed, once known.
    pub total: Option<i64>,
    /// Pages read.
    pub pages: i64,
    /// Why it failed.
    pub error: Option<String>,
}

/// `POST /analytics/dead-letters/replay`: how many went back to their queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replayed {
    /// Messages sent back.
    pub replayed: u64,
}

pub use crate::events::DeadLetter;
