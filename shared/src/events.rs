//! Events over RabbitMQ (DESIGN.md, "Events"): the versioned envelope, the routing keys, and a
//! bus that publishes with confirms and consumes with manual acks, retries and dead-lettering,
//! reconnecting by itself when the broker comes back.
//!
//! Topology, declared by whoever connects first and re-declared after every reconnect:
//! - `<exchange>`: durable topic exchange every event is published to;
//! - `<exchange>.dlx`: durable fanout exchange for messages that failed too often, with the
//!   durable queue `<exchange>.dead-letter` bound to it, so nothing dead-lettered is lost;
//! - per consumer, a durable queue `<queue>` bound to its routing keys (dead-lettering to the
//!   DLX) and, declared when first needed, `<queue>.retry.<ms>` per backoff step, where a
//!   failed message waits out its delay (a queue TTL) before RabbitMQ dead-letters it back
//!   into `<queue>` through the default exchange (see `retry`).

mod bus;
mod consumer;
mod dead_letters;
mod envelope;
mod retry;
pub mod topology;

pub use bus::{Bus, BusConfig, BusError, ConnectionState, QueueType};
pub use consumer::{ConsumerSpec, Consuming, HandlerError};
pub use dead_letters::{DeadLetter, Selection};
pub use envelope::Envelope;
pub use topology::QueueDef;

/// The default name of the events exchange.
pub const DEFAULT_EXCHANGE: &str = "shop.events";

/// Routing keys: the one place their spelling lives.
pub mod keys {
    /// A customer signed up.
    pub const CUSTOMER_REGISTERED: &str = "customer.registered";
    /// A customer deleted their account: every service erases what it keeps about them that is
    /// personal (orders are kept, without their names and addresses).
    pub const CUSTOMER_ERASED: &str = "customer.erased";
    /// The super admin made an account an admin or a customer again.
    pub const CUSTOMER_ROLE_CHANGED: &str = "customer.role_changed";
    /// The super admin disabled an account: no sign-in until it is enabled.
    pub const CUSTOMER_DISABLED: &str = "customer.disabled";
    /// The super admin enabled a disabled account again.
    pub const CUSTOMER_ENABLED: &str = "customer.enabled";
    /// An admin created a coupon (the coupon as admins see it).
    pub const COUPON_CREATED: &str = "coupon.created";
    /// An admin changed a coupon's rules, or paused or resumed it.
    pub const COUPON_UPDATED: &str = "coupon.updated";
    /// An admin deleted a coupon.
    pub const COUPON_DELETED: &str = "coupon.deleted";
    /// A product was added to the catalog.
    pub const PRODUCT_CREATED: &str = "product.created";
    /// A product changed.
    pub const PRODUCT_UPDATED: &str = "product.updated";
    /// A product was removed.
    pub const PRODUCT_DELETED: &str = "product.deleted";
    /// Stock was reserved for an order.
    pub const STOCK_RESERVED: &str = "stock.reserved";
    /// Stock could not be reserved for an order.
    pub const STOCK_REJECTED: &str = "stock.rejected";
    /// Reserved stock was given back.
    pub const STOCK_RELEASED: &str = "stock.released";
    /// A received return's units are back in stock (`{returnId, productId, quantity}`).
    pub const STOCK_RESTOCKED: &str = "stock.restocked";
    /// A product's stock fell below its threshold.
    pub const PRODUCT_STOCK_LOW: &str = "product.stock_low";
    /// An order was placed.
    pub const ORDER_CREATED: &str = "order.created";
    /// An order moved from one status to another.
    pub const ORDER_STATUS_CHANGED: &str = "order.status_changed";
    /// An order was cancelled.
    pub const ORDER_CANCELLED: &str = "order.cancelled";
    /// An order's saga ran past its deadline: the order was rejected, and whatever stock it
    /// holds now, or comes to hold later, goes back.
    pub const ORDER_EXPIRED: &str = "order.expired";
    /// A customer's cart became an order (`POST /checkout`): `{customerId, orderId, total}`.
    pub const CART_CHECKED_OUT: &str = "cart.checked_out";
    /// An alert went out to subscribers.
    pub const ALERT_SENT: &str = "alert.sent";
    /// The assistant answered a message.
    pub const ASSISTANT_REPLIED: &str = "assistant.replied";
    /// The assistant handed a conversation to a human.
    pub const SUPPORT_ESCALATED: &str = "support.escalated";
    /// The assistant refused a request for other customers' personal data or for breaking
    /// into or damaging the shop's systems (issue 21): `{incidentId, sessionId, customerId,
    /// customerName, kind: "data"|"intrusion", message, at}`; a security alert for admins.
    pub const ASSISTANT_WRONGDOING: &str = "assistant.wrongdoing";
    /// Failed sign-ins of one account from anywhere reached the alarm threshold.
    pub const LOGIN_BURST: &str = "auth.login_burst";
    /// An event could never be published and was parked, with the reason, in its service's
    /// `outbox_parked` collection (`{collection, documentId, eventType, eventId, reason}`).
    pub const OUTBOX_PARKED: &str = "outbox.parked";
    /// A customer's loyalty points or tier changed.
    pub const LOYALTY_CHANGED: &str = "loyalty.changed";
    /// An order's payment was authorised (its stock is reserved; it is now `PROCESSING`):
    /// `{orderId, customerId, amount, providerRef}`.
    pub const PAYMENT_AUTHORIZED: &str = "payment.authorized";
    /// An order's payment was declined (it is `REJECTED`, its stock goes back):
    /// `{orderId, customerId, amount, providerRef, reason}`.
    pub const PAYMENT_FAILED: &str = "payment.failed";
    /// A paid order's authorisation was voided or its charge refunded:
    /// `{orderId, customerId, amount, providerRef}`.
    pub const PAYMENT_REFUNDED: &str = "payment.refunded";
    /// alert-service made an in-app notification for a customer (`{id, customerId, kind,
    /// title, message, ...}`); its replicas fan it out live on topic `me`.
    pub const NOTIFICATION_CREATED: &str = "notification.created";
    /// alert-service's SMTP server accepted a notification's mail (issue 17, delivery figures):
    /// `shared::api::notifications::MailDelivery` with `outcome: "sent"`. Staged in the same
    /// write that marks the mail sent, so a mail sent once is announced once.
    pub const NOTIFICATION_MAILED: &str = "notification.mailed";
    /// One attempt to mail a notification failed: `MailDelivery` with `outcome: "retry"` (it
    /// will be tried again) or `"failed"` (refused for good), the attempt's number and reason.
    pub const NOTIFICATION_MAIL_FAILED: &str = "notification.mail_failed";
    /// A customer asked to return part of a delivered order (issue 17): `{returnId, orderId,
    /// customerId, items: [{productId, quantity}], amount, status}`.
    pub const RETURN_REQUESTED: &str = "return.requested";
    /// An admin approved a return: the customer may send the parcel (same payload, with the
    /// admin's `note` when one was given).
    pub const RETURN_APPROVED: &str = "return.approved";
    /// An admin refused a return (same payload, with the admin's `note` when one was given).
    pub const RETURN_REJECTED: &str = "return.rejected";
    /// An admin marked a return's parcel received: its stock goes back (same payload).
    pub const RETURN_RECEIVED: &str = "return.received";
    /// A return's refund went through the provider (same payload, with `providerRef`).
    pub const RETURN_REFUNDED: &str = "return.refunded";
    /// A customer reviewed a product they received:
    /// `{reviewId, productId, customerId, rating}`.
    pub const REVIEW_CREATED: &str = "review.created";
    /// A wished product came back in stock, told once per wishing customer (issue 17):
    /// `{customerId, productId, name, newPrice, stock}` (`shared::api::wishlist::WishlistNews`).
    pub const WISHLIST_BACK_IN_STOCK: &str = "wishlist.back_in_stock";
    /// A wished product got cheaper, told once per wishing customer:
    /// `{customerId, productId, name, oldPrice, newPrice}`.
    pub const WISHLIST_PRICE_DROPPED: &str = "wishlist.price_dropped";
    /// A customer subscribed to a replenishment (issue 17): `{subscriptionId, customerId,
    /// intervalDays, items: [{productId, quantity}]}`.
    pub const SUBSCRIPTION_CREATED: &str = "subscription.created";
    /// order-service paused a subscription by itself (a run's payment was declined, or a run
    /// could not be placed): `{subscriptionId, customerId, reason}`. A customer's own pause is
    /// not announced.
    pub const SUBSCRIPTION_PAUSED: &str = "subscription.paused";
    /// A customer cancelled a subscription: `{subscriptionId, customerId}`.
    pub const SUBSCRIPTION_CANCELLED: &str = "subscription.cancelled";
    /// analytics-service closed a week (issue 19): its sales figures for the staff's weekly
    /// mail, once per ISO week (`shared::api::reports::WeeklyReport`).
    pub const REPORT_WEEKLY: &str = "report.weekly";
}
