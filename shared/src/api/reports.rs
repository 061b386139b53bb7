//! What analytics-service answers: the reports of `/analytics/*` and `/dashboard/*`, the
//! rebuild's progress and the dead-letter replay. Money is [`Money`]; a figure that cannot be
//! computed (a ratio or trend without a base, a latency without requests) is `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Money;

mod after_sales;
mod operations;

pub use after_sales::*;
pub use operations::*;

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

/// `report.weekly`: one ISO week's sales, for the staff's weekly mail (alert-service mails it
/// to every admin; the full report is the PDF and CSV it links to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeeklyReport {
    /// The ISO week, `YYYY-Www` (e.g. `2026-W49`).
    pub week: String,
    /// Its Monday and Sunday.
    pub period: Span,
    /// Orders placed.
    pub orders: i64,
    /// Revenue before refunds.
    pub gross: Money,
    /// Taken back by refunds.
    pub refunds: Money,
    /// What stayed.
    pub net: Money,
    /// Given away by coupons and tiers.
    pub discounts: Money,
    /// Returns asked for.
    pub returns: i64,
    /// The best sellers (at most five).
    pub top: Vec<TopProduct>,
    /// The full report as a PDF, through the gateway (an admin's token needed).
    pub pdf: String,
    /// The same as CSV.
    pub csv: String,
}

/// What `POST /analytics/reports/weekly` answers: the week's report, and whether this call
/// issued it (`false`: it had gone out before, and is not sent twice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeeklyIssued {
    /// The report.
    pub report: WeeklyReport,
    /// Whether this call issued it.
    pub issued: bool,
}
