//! The storefront's clickstream (issue 19): `POST /events` takes a batch of what a shopper did
//! (anonymous or signed in), and `GET /analytics/clickstream` reports it as a funnel per day
//! and per product (product views → carts → checkouts started → paid orders) with the top
//! searches and the searches that found nothing.
//!
//! Every event carries an `id` unique within its `sessionId`, so a batch sent again (a retry
//! after a lost answer) counts once. `at` is the shopper's clock, accepted from 7 days ago to
//! 5 minutes ahead, so a queue kept offline for a while still counts and a wrong clock cannot
//! place events in days no report has reached yet.

use chrono::{DateTime, Duration, Utc};
use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;
use crate::Money;

/// Events in one batch, at most.
pub const MAX_EVENTS: usize = 100;
/// How old an event may be when it arrives.
pub const MAX_AGE_DAYS: i64 = 7;
/// How far ahead of the server's clock an event may be.
pub const MAX_AHEAD_MINUTES: i64 = 5;

/// What a shopper did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClickKind {
    /// A page of the storefront shown.
    PageView,
    /// A product's page shown (`productId`).
    ViewProduct,
    /// A product put in the cart (`productId`).
    AddToCart,
    /// A catalog search (`query`, and `results`: how many products it found).
    Search,
    /// The checkout page opened.
    CheckoutStarted,
}

impl ClickKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PageView => "page_view",
            Self::ViewProduct => "view_product",
            Self::AddToCart => "add_to_cart",
            Self::Search => "search",
            Self::CheckoutStarted => "checkout_started",
        }
    }

    /// The kind named `name` on the wire.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::PageView,
            Self::ViewProduct,
            Self::AddToCart,
            Self::Search,
            Self::CheckoutStarted,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// One thing a shopper did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClickEvent {
    /// Unique within the session (e.g. a counter or a UUID): the same id again counts once.
    #[garde(custom(rules::session_id))]
    #[schema(min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_-]{8,64}$")]
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    #[garde(skip)]
    pub kind: ClickKind,
    /// When, on the shopper's clock (RFC 3339): from 7 days ago to 5 minutes ahead.
    #[garde(custom(recent))]
    #[schema(format = DateTime)]
    pub at: String,
    /// The storefront's browsing session (the same for every event of one visit).
    #[garde(custom(rules::session_id))]
    #[schema(min_length = 8, max_length = 64, pattern = "^[A-Za-z0-9_-]{8,64}$")]
    pub session_id: String,
    /// The product (required by `view_product` and `add_to_cart`, refused on the others).
    #[garde(inner(custom(rules::object_id)), custom(needed_by(self.kind, &[ClickKind::ViewProduct, ClickKind::AddToCart], "productId")))]
    pub product_id: Option<String>,
    /// The words searched (required by `search`, refused on the others).
    #[garde(inner(custom(rules::text(1, 200))), custom(needed_by(self.kind, &[ClickKind::Search], "query")))]
    #[schema(max_length = 200)]
    pub query: Option<String>,
    /// How many products the search found (`search` only).
    #[garde(custom(only_for(self.kind, ClickKind::Search)), inner(custom(rules::whole(0, 1_000_000))))]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub results: Option<i64>,
    /// The storefront path shown (`page_view` only), e.g. `/products`.
    #[garde(custom(only_for(self.kind, ClickKind::PageView)), inner(custom(rules::text(1, 300))))]
    #[schema(max_length = 300)]
    pub path: Option<String>,
}

/// `POST /events`'s body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClickBatch {
    /// 1 to 100 events, in any order.
    #[garde(custom(rules::items(1, MAX_EVENTS)), dive)]
    #[schema(min_items = 1, max_items = 100)]
    pub events: Vec<ClickEvent>,
}

/// `POST /events`'s answer (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClickReceipt {
    /// Events counted now.
    pub accepted: u64,
    /// Events that had come before (same session and id) and were not counted again.
    pub duplicates: u64,
}

/// `at` as milliseconds since the epoch, if it is RFC 3339.
pub fn millis(at: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc).timestamp_millis())
}

fn recent(value: &str, _: &()) -> garde::Result {
    let Some(at) = DateTime::parse_from_rfc3339(value).ok() else {
        return Err(garde::Error::new("must be an RFC 3339 time"));
    };
    let now = Utc::now();
    if at > now + Duration::minutes(MAX_AHEAD_MINUTES) {
        Err(garde::Error::new("must not be in the future"))
    } else if at < now - Duration::days(MAX_AGE_DAYS) {
        Err(garde::Error::new("must be within the last 7 days"))
    } else {
        Ok(())
    }
}

fn needed_by<T>(
    kind: ClickKind,
    kinds: &'static [ClickKind],
    name: &'static str,
) -> impl FnOnce(&Option<T>, &()) -> garde::Result {
    move |value, _| match (value.is_some(), kinds.contains(&kind)) {
        (false, true) => Err(garde::Error::new(format!(
            "is required by {}",
            kind.as_str()
        ))),
        (true, false) => Err(garde::Error::new(format!(
            "is not taken by {} ({name} goes with {})",
            kind.as_str(),
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        _ => Ok(()),
    }
}

fn only_for<T>(kind: ClickKind, only: ClickKind) -> impl FnOnce(&Option<T>, &()) -> garde::Result {
    move |value, _| {
        if value.is_some() && kind != only {
            Err(garde::Error::new(format!(
                "is taken by {} only",
                only.as_str()
            )))
        } else {
            Ok(())
        }
    }
}

/// One day of the shoppers' funnel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClickDay {
    /// The day (`YYYY-MM-DD`, UTC); absent on the totals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Browsing sessions with at least one event.
    pub sessions: u64,
    /// Pages shown.
    pub page_views: u64,
    /// Product pages shown.
    pub product_views: u64,
    /// Products put in a cart.
    pub add_to_cart: u64,
    /// Checkout pages opened.
    pub checkouts_started: u64,
    /// Orders placed that day that were paid (the ledger's figure, card or invoice).
    pub paid_orders: u64,
    /// Searches.
    pub searches: u64,
    /// Searches that found nothing.
    pub searches_without_result: u64,
    /// `addToCart / productViews`, `checkoutsStarted / addToCart`, `paidOrders /
    /// checkoutsStarted`, to four decimals; absent when the step before is 0.
    pub ratios: ClickRatios,
}

/// The funnel's ratios.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClickRatios {
    /// Carts per product view.
    pub cart_per_view: Option<f64>,
    /// Checkouts started per cart.
    pub checkout_per_cart: Option<f64>,
    /// Paid orders per checkout started.
    pub paid_per_checkout: Option<f64>,
}

/// One product's funnel over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClickProduct {
    /// The product.
    pub product_id: String,
    /// Its name in the latest order that holds it, if any did.
    pub name: Option<String>,
    /// Its page shown.
    pub views: u64,
    /// Put in a cart.
    pub carts: u64,
    /// Paid orders holding it.
    pub paid_orders: u64,
    /// Units in those orders.
    pub units: i64,
    /// What those lines brought.
    #[schema(value_type = f64)]
    pub revenue: Money,
    /// `carts / views`, to four decimals; absent without views.
    pub cart_per_view: Option<f64>,
}

/// A search and how often it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchCount {
    /// The words, lower-cased, spaces folded.
    pub query: String,
    /// How often.
    pub count: u64,
    /// How often it found nothing.
    pub without_result: u64,
}

/// `GET /analytics/clickstream`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Clickstream {
    /// `{from, to}` (`YYYY-MM-DD`).
    pub period: super::reports::Span,
    /// Every day of the period, empty days included.
    pub days: Vec<ClickDay>,
    /// The period's sums (sessions counted once however many days they span).
    pub totals: ClickDay,
    /// The 20 products shown most, then by carts.
    pub products: Vec<ClickProduct>,
    /// The 20 searches made most.
    pub top_searches: Vec<SearchCount>,
    /// The 20 searches that found nothing most often.
    pub searches_without_result: Vec<SearchCount>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut e = serde_json::json!({
            "id": "e-000001", "type": kind, "at": Utc::now().to_rfc3339(), "sessionId": "s-abcdefgh",
        });
        e.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        e
    }

    fn check(events: Vec<serde_json::Value>) -> Result<(), String> {
        let batch: ClickBatch = serde_json::from_value(serde_json::json!({ "events": events }))
            .map_err(|e| e.to_string())?;
        batch.validate().map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_takes_its_own_fields_and_refuses_the_others() {
        let id = "0123456789abcdef01234567";
        assert_eq!(
            check(vec![event("page_view", serde_json::json!({"path": "/"}))]),
            Ok(())
        );
        assert_eq!(
            check(vec![event(
                "view_product",
                serde_json::json!({"productId": id})
            )]),
            Ok(())
        );
        assert_eq!(
            check(vec![event(
                "search",
                serde_json::json!({"query": "lamp", "results": 0})
            )]),
            Ok(())
        );
        assert_eq!(
            check(vec![event("checkout_started", serde_json::json!({}))]),
            Ok(())
        );
        let refused = [
            event("view_product", serde_json::json!({})),
            event("add_to_cart", serde_json::json!({"productId": "nope"})),
            event("search", serde_json::json!({"results": 2})),
            event("page_view", serde_json::json!({"productId": id})),
            event("checkout_started", serde_json::json!({"results": 1})),
            event("page_view", serde_json::json!({"at": "yesterday"})),
            event(
                "page_view",
                serde_json::json!({"at": (Utc::now() - Duration::days(8)).to_rfc3339()}),
            ),
            event(
                "page_view",
                serde_json::json!({"at": (Utc::now() + Duration::hours(1)).to_rfc3339()}),
            ),
            event("page_view", serde_json::json!({"sessionId": "short"})),
            event("buy_now", serde_json::json!({})),
        ];
        for e in refused {
            assert!(check(vec![e.clone()]).is_err(), "{e}");
        }
        assert!(check(vec![]).is_err(), "an empty batch");
        let many = (0..=MAX_EVENTS)
            .map(|_| event("page_view", serde_json::json!({})))
            .collect();
        assert!(check(many).is_err(), "101 events");
    }
}
