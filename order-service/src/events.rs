//! What order-service publishes and consumes (DESIGN.md, "Events").
//!
//! Published, always through the outbox in the same write as the change: `order.created`
//! (with `cart.checked_out` beside it when the order came from a cart),
//! `order.status_changed` (`{orderId, oldStatus, newStatus, at, order}`), `order.cancelled`
//! and `order.expired` (the saga's deadline passed; same payload as `order.cancelled`).
//! `payment.authorized`, `payment.failed` and `payment.refunded` (`{orderId, customerId,
//! amount, providerRef}`, `reason` on failed; see [`crate::payment`]).
//! `subscription.created`, `subscription.paused` and `subscription.cancelled`
//! ([`subscriptions`]).
//! Consumed: the stock saga's answers on the durable queue `ORDER_STOCK` ([`stock`]), its own
//! `order.cancelled` on `ORDER_PAYMENTS` (voiding a paid order's authorisation), the
//! catalog queue `ORDER_CATALOG` (acknowledged only: prices are read from product-service at
//! order time), `order.cancelled` and `order.expired` on the durable queue `ORDER_COUPONS` (a
//! cancelled or expired order gives its coupon's use back, [`coupons`]; a stock rejection
//! does so in the saga's consumer), and `order.status_changed` on a per-replica queue for
//! live fan-out ([`crate::live`]).

pub mod coupons;
pub mod payloads;
pub mod returns;
pub mod stock;
pub mod subscriptions;

use shared::events::{Bus, ConsumerSpec, Consuming, Envelope, HandlerError, keys, topology};

pub use payloads::{CartCheckedOut, OrderCancelled, OrderCreated, PaymentEvent, StatusChanged};

use crate::{
    DEFAULTS,
    domain::{Order, order::rfc3339},
    payment::Payments,
};

/// `order.created` for a new order.
pub fn created(order: &Order, correlation_id: &str) -> Result<Envelope, serde_json::Error> {
    Envelope::new(
        keys::ORDER_CREATED,
        DEFAULTS.name,
        correlation_id,
        OrderCreated::of(order),
    )
    .to_value()
}

/// `cart.checked_out` for an order placed from a cart.
pub fn cart_checked_out(
    order: &Order,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    Envelope::new(
        keys::CART_CHECKED_OUT,
        DEFAULTS.name,
        correlation_id,
        CartCheckedOut::of(order),
    )
    .to_value()
}

/// The change from `before` to `after`, as `order.status_changed` carries it.
pub fn status_change(before: &Order, after: &Order) -> Result<StatusChanged, serde_json::Error> {
    Ok(StatusChanged {
        order_id: after.id.to_hex(),
        customer_id: after.customer_id.clone(),
        old_status: before.status,
        new_status: after.status,
        at: rfc3339(after.updated_at),
        index: after.version,
        order: serde_json::to_value(after.view())?,
    })
}

/// `order.status_changed` from `before` to `after`.
pub fn status_changed(
    before: &Order,
    after: &Order,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    let data = status_change(before, after)?;
    Envelope::new(
        keys::ORDER_STATUS_CHANGED,
        DEFAULTS.name,
        correlation_id,
        data,
    )
    .to_value()
}

/// `order.cancelled` for a cancelled order: product-service gives its stock back.
pub fn cancelled(order: &Order, correlation_id: &str) -> Result<Envelope, serde_json::Error> {
    Envelope::new(
        keys::ORDER_CANCELLED,
        DEFAULTS.name,
        correlation_id,
        OrderCancelled::of(order),
    )
    .to_value()
}

/// `order.expired` for an order rejected at the saga's deadline: product-service gives back
/// whatever it holds for it, now or when its `order.created` arrives late. The payload is
/// `order.cancelled`'s, with the rejection reason.
pub fn expired(order: &Order, correlation_id: &str) -> Result<Envelope, serde_json::Error> {
    let data = OrderCancelled {
        reason: order.rejection_reason.clone(),
        ..OrderCancelled::of(order)
    };
    Envelope::new(keys::ORDER_EXPIRED, DEFAULTS.name, correlation_id, data).to_value()
}

/// `payment.authorized` for an order whose payment was just authorised.
pub fn payment_authorized(
    order: &Order,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    let provider_ref = order.payment.as_ref().and_then(|p| p.provider_ref.clone());
    let data = PaymentEvent::of(order, provider_ref);
    Envelope::new(
        keys::PAYMENT_AUTHORIZED,
        DEFAULTS.name,
        correlation_id,
        data,
    )
    .to_value()
}

/// `payment.failed` for an order whose payment was just declined (`reason`: the decline
/// code); product-service gives its stock back on it.
pub fn payment_failed(order: &Order, correlation_id: &str) -> Result<Envelope, serde_json::Error> {
    let data = PaymentEvent {
        reason: order
            .payment
            .as_ref()
            .and_then(|p| p.decline_reason.clone()),
        ..PaymentEvent::of(order, None)
    };
    Envelope::new(keys::PAYMENT_FAILED, DEFAULTS.name, correlation_id, data).to_value()
}

/// `payment.refunded` for a cancelled order whose authorisation was voided (`provider_ref`:
/// the void's reference).
pub fn payment_refunded(
    order: &Order,
    provider_ref: &str,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    let data = PaymentEvent::of(order, Some(provider_ref.to_owned()));
    Envelope::new(keys::PAYMENT_REFUNDED, DEFAULTS.name, correlation_id, data).to_value()
}

/// Starts the saga consumer, the payments consumer (voids of cancelled orders), the coupon
/// consumer (uses given back) and the catalog consumer on their durable queues.
pub fn consume(bus: &Bus, payments: Payments) -> Vec<Consuming> {
    let voids = payments.clone();
    let ends = payments.orders.clone();
    let coupons = bus.consume(ConsumerSpec::from(topology::ORDER_COUPONS), move |event| {
        let orders = ends.clone();
        async move { coupons::handle(&orders, event).await }
    });
    let saga = bus.consume(ConsumerSpec::from(topology::ORDER_STOCK), move |event| {
        let payments = payments.clone();
        async move { stock::handle(&payments, event).await }
    });
    let voids = bus.consume(ConsumerSpec::from(topology::ORDER_PAYMENTS), move |event| {
        let voids = voids.clone();
        async move { voids.on_cancelled(event).await }
    });
    let catalog = bus.consume(ConsumerSpec::from(topology::ORDER_CATALOG), |event| async move {
        tracing::debug!(event.type = %event.kind, "catalog event noted; prices are read at order time");
        Ok::<(), HandlerError>(())
    });
    vec![saga, voids, coupons, catalog]
}

/// `coupon.created`, `coupon.updated` or `coupon.deleted` (`kind`): the coupon as admins see it
/// (`GET /coupons/{code}`; for a deletion, as it was), for the audit log.
pub fn coupon(
    kind: &str,
    coupon: &crate::domain::coupon::Coupon,
    correlation_id: &str,
) -> Result<Envelope, serde_json::Error> {
    Envelope::new(kind, DEFAULTS.name, correlation_id, coupon.view()).to_value()
}
