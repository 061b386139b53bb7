//! Subscription bodies (issue 17, replenishment): a customer's `POST /subscriptions`, the
//! listing's query, and the subscription as every route answers it. What needs stored or
//! upstream data (the saved card and address are the caller's, the products exist, the
//! status allows a pause, resume or cancel) stays in order-service.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    customers::Address,
    orders::{MAX_LINES, OrderLine, distinct_products},
    rules,
};

/// Longest interval between two runs, in days.
pub const MAX_INTERVAL_DAYS: i64 = 365;

/// Every subscription status, as the wire spells it.
pub const STATUSES: &[&str] = &["ACTIVE", "PAUSED", "CANCELLED"];

/// `POST /subscriptions`: which products to order again and again, every how many days, paid
/// with one of the caller's saved cards and shipped to one of the caller's saved addresses.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// 1 to 100 lines, one per product.
    #[garde(custom(rules::items(1, MAX_LINES)), custom(distinct_products), dive)]
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<OrderLine>,
    /// Days between two orders, 1 to 365.
    #[garde(custom(rules::whole(1, MAX_INTERVAL_DAYS)))]
    #[schema(minimum = 1, maximum = 365)]
    pub interval_days: i64,
    /// One of the caller's saved cards (`/customers/me/payment-methods`), an ObjectId.
    #[garde(custom(rules::object_id))]
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    pub payment_method_id: String,
    /// One of the caller's saved addresses (`/customers/me/addresses`), an ObjectId.
    #[garde(custom(rules::object_id))]
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    pub shipping_address_id: String,
}

/// `GET /subscriptions`: newest first; customers see only their own.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SubscriptionFilter {
    /// Only subscriptions in this status.
    #[garde(inner(custom(rules::one_of(STATUSES))))]
    #[param(value_type = Option<String>)]
    pub status: Option<String>,
}

/// The query of that list: its filters and its [`Paging`](super::query::Paging).
pub type SubscriptionQuery = super::query::Paged<SubscriptionFilter>;

/// One run of a subscription: the order it placed (once placed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionRun {
    /// 1 for the first run.
    pub n: i64,
    /// When it was claimed (RFC 3339).
    pub at: String,
    /// The order placed, or `null` while it is being placed or when it was refused.
    pub order_id: Option<String>,
    /// Why no order was placed, or `null`.
    pub error: Option<String>,
}

/// A subscription as every route answers it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subscription {
    /// Its id.
    pub id: String,
    /// Whose it is.
    pub customer_id: String,
    /// What each run orders.
    pub items: Vec<OrderLine>,
    /// Days between two runs.
    pub interval_days: i64,
    /// `ACTIVE`, `PAUSED` or `CANCELLED`.
    pub status: String,
    /// Why it was paused (`PAYMENT_DECLINED: card_declined`, `CUSTOMER`, ...), or `null`.
    pub pause_reason: Option<String>,
    /// The saved card each run is paid with.
    pub payment_method_id: String,
    /// Its brand and last four digits.
    pub card: SubscriptionCard,
    /// The saved address each run ships to.
    pub shipping_address_id: String,
    /// That address as it was when the subscription was made.
    pub shipping_address: Address,
    /// When the next run is due (RFC 3339); runs only while `ACTIVE`.
    pub next_run_at: String,
    /// Every run so far, oldest first.
    pub runs: Vec<SubscriptionRun>,
    /// Bumped by every change.
    pub version: i64,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// The card of a subscription, as shown (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionCard {
    /// `visa`, ...
    pub brand: String,
    /// Last four digits.
    pub last4: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parse;

    #[test]
    fn a_subscription_names_every_bad_field() {
        let bad = br#"{"items": [], "intervalDays": 0, "paymentMethodId": "x", "shippingAddressId": "y"}"#;
        let Err(crate::ApiError::Validation { details, .. }) = parse::<SubscriptionRequest>(bad)
        else {
            panic!("refused");
        };
        let mut fields: Vec<&String> = details.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "intervalDays",
                "items",
                "paymentMethodId",
                "shippingAddressId"
            ],
            "{details}"
        );
    }

    #[test]
    fn an_interval_beyond_a_year_is_refused_and_a_year_is_not() {
        let id = "0123456789abcdef01234567";
        let body = |days: i64| {
            format!(
                r#"{{"items": [{{"productId": "{id}", "quantity": 1}}], "intervalDays": {days}, "paymentMethodId": "{id}", "shippingAddressId": "{id}"}}"#
            )
        };
        assert!(parse::<SubscriptionRequest>(body(366).as_bytes()).is_err());
        assert!(parse::<SubscriptionRequest>(body(365).as_bytes()).is_ok());
    }
}
