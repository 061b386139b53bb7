//! The JSON messages live clients receive, the same on SSE (where `type` is also the event
//! name) and WebSocket (DESIGN.md, "Wire details"); heartbeats and errors are
//! [`shared::ws`]'s.

use serde_json::{Value, json};

use crate::{
    domain::{Order, order::rfc3339},
    events::StatusChanged,
};

/// The `type` of a snapshot.
pub const SNAPSHOT: &str = "snapshot";
/// The `type` of a status change.
pub const STATUS_CHANGED: &str = "order.status_changed";

/// `{type: "snapshot", orderId, order}`: the order as it stands.
pub fn snapshot(order: &Order) -> Value {
    json!({ "type": SNAPSHOT, "orderId": order.id.to_hex(), "order": order.view() })
}

/// `{type: "order.status_changed", orderId, oldStatus, newStatus, at, index, order}`.
pub fn status_changed(change: &StatusChanged) -> Value {
    json!({
        "type": STATUS_CHANGED,
        "orderId": change.order_id,
        "oldStatus": change.old_status,
        "newStatus": change.new_status,
        "at": change.at,
        "index": change.index,
        "order": change.order,
    })
}

/// The change that history entry `index` of `order` records, rebuilt for a client that
/// resumes: its `order` is the order as it stood at that index ([`Order::as_of`]), so a
/// replayed `SHIPPED` never shows a `DELIVERED` order.
pub fn from_history(order: &Order, index: i64) -> Option<StatusChanged> {
    let then = order.as_of(index)?;
    let entry = then.history().last()?.1.clone();
    Some(StatusChanged {
        order_id: order.id.to_hex(),
        customer_id: order.customer_id.clone(),
        old_status: order.status_before(index)?,
        new_status: entry.status,
        at: rfc3339(entry.at),
        index,
        order: serde_json::to_value(then.view()).unwrap_or_default(),
    })
}

/// `{type: "snapshot", orderId, order}` with the order as it stood at `index`, or as it stands
/// when the history has no such index.
pub fn snapshot_as_of(order: &Order, index: i64) -> Value {
    order
        .as_of(index)
        .map_or_else(|| snapshot(order), |then| snapshot(&then))
}
