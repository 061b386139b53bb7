//! A customer's in-app notification: its kind (which decides whether it may be mailed and
//! under which preference), what it says, and the customer's mail preferences.

use serde::{Deserialize, Serialize};

/// The preference a kind of notification falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Orders placed, shipped, delivered, rejected, cancelled.
    Orders,
    /// Payments declined, refunds issued.
    Payments,
    /// Loyalty tiers reached.
    Loyalty,
    /// Wished products back in stock or cheaper.
    Wishlist,
    /// The staff's reports (the weekly sales report): mailed to every admin whatever their
    /// preferences, as part of the job.
    Reports,
}

impl Category {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Payments => "payments",
            Self::Loyalty => "loyalty",
            Self::Wishlist => "wishlist",
            Self::Reports => "reports",
        }
    }
}

/// What a notification tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// `order.created`.
    #[serde(rename = "order.placed")]
    OrderPlaced,
    /// `SHIPPED`, with carrier and tracking number.
    #[serde(rename = "order.shipped")]
    OrderShipped,
    /// `DELIVERED`.
    #[serde(rename = "order.delivered")]
    OrderDelivered,
    /// `REJECTED` (stock refused, payment declined, the saga's deadline).
    #[serde(rename = "order.rejected")]
    OrderRejected,
    /// `CANCELLED`.
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// `payment.failed`.
    #[serde(rename = "payment.declined")]
    PaymentDeclined,
    /// `payment.refunded`.
    #[serde(rename = "refund.issued")]
    RefundIssued,
    /// `loyalty.changed` into a new tier.
    #[serde(rename = "loyalty.tier")]
    TierReached,
    /// `return.requested`.
    #[serde(rename = "return.requested")]
    ReturnRequested,
    /// `return.received`: the parcel is back, the refund follows.
    #[serde(rename = "return.received")]
    ReturnReceived,
    /// `return.approved`: the parcel may be sent.
    #[serde(rename = "return.approved")]
    ReturnApproved,
    /// `return.rejected`: the shop refused the return, with its note.
    #[serde(rename = "return.rejected")]
    ReturnRejected,
    /// `wishlist.back_in_stock`: a wished product can be bought again.
    #[serde(rename = "wishlist.back_in_stock")]
    WishlistBackInStock,
    /// `wishlist.price_dropped`: a wished product got cheaper.
    #[serde(rename = "wishlist.price_dropped")]
    WishlistPriceDropped,
    /// `subscription.paused`: order-service paused a subscription (a declined payment, an
    /// order it could not place).
    #[serde(rename = "subscription.paused")]
    SubscriptionPaused,
    /// `report.weekly`: last week's sales, for each admin.
    #[serde(rename = "report.weekly")]
    WeeklyReport,
}

impl Kind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderPlaced => "order.placed",
            Self::OrderShipped => "order.shipped",
            Self::OrderDelivered => "order.delivered",
            Self::OrderRejected => "order.rejected",
            Self::OrderCancelled => "order.cancelled",
            Self::PaymentDeclined => "payment.declined",
            Self::RefundIssued => "refund.issued",
            Self::TierReached => "loyalty.tier",
            Self::ReturnRequested => "return.requested",
            Self::ReturnReceived => "return.received",
            Self::ReturnApproved => "return.approved",
            Self::ReturnRejected => "return.rejected",
            Self::WishlistBackInStock => "wishlist.back_in_stock",
            Self::WishlistPriceDropped => "wishlist.price_dropped",
            Self::SubscriptionPaused => "subscription.paused",
            Self::WeeklyReport => "report.weekly",
        }
    }

    /// The preference it falls under.
    pub fn category(self) -> Category {
        match self {
            Self::PaymentDeclined | Self::RefundIssued => Category::Payments,
            Self::TierReached => Category::Loyalty,
            Self::WishlistBackInStock | Self::WishlistPriceDropped => Category::Wishlist,
            Self::WeeklyReport => Category::Reports,
            _ => Category::Orders,
        }
    }

    /// Whether it is also mailed (when the customer wants that category by mail). A rejected
    /// or cancelled order is in-app only: a decline is mailed once, as `payment.declined`, and
    /// a cancellation is something the customer (or an admin, on the phone) just did.
    pub fn mailed(self) -> bool {
        !matches!(self, Self::OrderRejected | Self::OrderCancelled)
    }
}

/// A notification as a rule makes it from an event, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// Whose.
    pub customer_id: String,
    /// What it tells.
    pub kind: Kind,
    /// One line (also the mail's subject).
    pub title: String,
    /// A sentence or two.
    pub message: String,
    /// The order it is about, if any.
    pub order_id: Option<String>,
    /// Details a client may show: `carrier`, `trackingNumber`, `amount`, `tier`, `reason`.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// A stored notification, as `GET /notifications`, `notification.created` and the `me` topic
/// show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Its id (an ObjectId in hex).
    pub id: String,
    /// Whose.
    pub customer_id: String,
    /// What it tells (`order.placed`, `order.shipped`, ...).
    pub kind: Kind,
    /// Its preference: `orders`, `payments`, `loyalty`, `wishlist` or `reports`.
    pub category: Category,
    /// One line.
    pub title: String,
    /// A sentence or two.
    pub message: String,
    /// The order it is about.
    pub order_id: Option<String>,
    /// Details (carrier, tracking number, amount, tier, reason).
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Whether the customer read it.
    pub read: bool,
    /// When (RFC 3339).
    pub read_at: Option<String>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// The event it was made from.
    pub event_id: String,
}

/// Which categories a customer wants by mail; everything until they say otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailPreferences {
    /// Order mail.
    pub orders: bool,
    /// Payment mail.
    pub payments: bool,
    /// Loyalty mail.
    pub loyalty: bool,
    /// Wishlist mail (a wished product back in stock or cheaper).
    pub wishlist: bool,
}

/// A customer's preferences, as `GET /notifications/preferences` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    /// Mail per category (in-app notifications are always made).
    pub email: EmailPreferences,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            email: EmailPreferences {
                orders: true,
                payments: true,
                loyalty: true,
                wishlist: true,
            },
        }
    }
}

impl Preferences {
    /// Whether a notification of `kind` is mailed.
    pub fn mails(&self, kind: Kind) -> bool {
        kind.mailed()
            && match kind.category() {
                Category::Orders => self.email.orders,
                Category::Payments => self.email.payments,
                Category::Loyalty => self.email.loyalty,
                Category::Wishlist => self.email.wishlist,
                Category::Reports => true,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opted_out_category_is_not_mailed_and_rejections_never_are() {
        let prefs = Preferences {
            email: EmailPreferences {
                orders: false,
                ..Preferences::default().email
            },
        };
        assert!(!prefs.mails(Kind::OrderShipped));
        assert!(prefs.mails(Kind::RefundIssued));
        assert!(prefs.mails(Kind::TierReached));
        assert!(prefs.mails(Kind::WishlistPriceDropped));
        let no_wishlist = Preferences {
            email: EmailPreferences {
                wishlist: false,
                ..Preferences::default().email
            },
        };
        assert!(!no_wishlist.mails(Kind::WishlistBackInStock));
        assert!(no_wishlist.mails(Kind::OrderShipped));
        assert!(!Preferences::default().mails(Kind::OrderRejected));
        assert_eq!(
            serde_json::to_value(Kind::RefundIssued).unwrap(),
            Kind::RefundIssued.as_str()
        );
    }
}
