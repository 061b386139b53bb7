//! `getReturnableOrders()`: the signed-in customer's orders that can still be returned, i.e.
//! delivered within the last [`RETURN_WINDOW_DAYS`] days (DESIGN.md, "After-sales" → Returns),
//! from order-service's `GET /orders?customerId=&status=DELIVERED` with the caller's token.
//! order-service still decides at `POST /orders/{id}/returns`; this only tells the customer
//! which orders are worth asking about.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{CallContext, FunctionError};
use crate::upstream::Upstream;

/// `getReturnableOrders`.
pub const GET_RETURNABLE_ORDERS: &str = "getReturnableOrders";
/// Days after delivery within which an order can be returned.
pub const RETURN_WINDOW_DAYS: i64 = 30;
/// Delivered orders looked at (newest first).
const LOOK_AT: u32 = 50;

/// The parameters: none.
pub fn schema() -> Value {
    json!({
        "description": "The signed-in customer's orders that can still be returned: delivered within the last 30 days, with when each was delivered and the last day to return it.",
        "parameters": {
            "type": "object",
            "properties": {},
            "additionalProperties": false
        }
    })
}

/// Runs `getReturnableOrders` for `ctx` (sign-in required).
pub async fn run(up: &Upstream, ctx: &CallContext) -> Result<Value, FunctionError> {
    let bearer = ctx.bearer.as_deref().ok_or(FunctionError::SignInRequired)?;
    let customer = ctx
        .customer_id
        .as_deref()
        .ok_or(FunctionError::SignInRequired)?;
    let delivered = up
        .orders_with_status(
            customer,
            "DELIVERED",
            LOOK_AT,
            Some(bearer),
            &ctx.request_id,
        )
        .await
        .map_err(|e| super::shop::map(e, "your orders"))?;
    Ok(returnable(&delivered, Utc::now()))
}

/// When `order` was delivered, from its status history.
fn delivered_at(order: &Value) -> Option<DateTime<Utc>> {
    order["statusHistory"]
        .as_array()?
        .iter()
        .rev()
        .find(|e| e["status"] == "DELIVERED")
        .and_then(|e| e["at"].as_str())
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&Utc))
}

/// `{windowDays, count, orders: [{orderId, deliveredAt, returnBy, total, items}]}`: the
/// orders of `delivered` still inside the window at `now`, newest delivery first.
pub fn returnable(delivered: &[Value], now: DateTime<Utc>) -> Value {
    let window = Duration::days(RETURN_WINDOW_DAYS);
    let mut orders: Vec<(DateTime<Utc>, Value)> = delivered
        .iter()
        .filter_map(|order| {
            let at = delivered_at(order)?;
            let by = at + window;
            (now <= by).then(|| {
                let items: Vec<Value> = order["items"]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .map(|i| json!({ "name": i["name"], "quantity": i["quantity"] }))
                            .collect()
                    })
                    .unwrap_or_default();
                let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                (
                    at,
                    json!({
                        "orderId": order["id"],
                        "deliveredAt": stamp(at),
                        "returnBy": stamp(by),
                        "total": order["total"],
                        "items": items,
                    }),
                )
            })
        })
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse(o.0));
    let orders: Vec<Value> = orders.into_iter().map(|(_, o)| o).collect();
    json!({ "windowDays": RETURN_WINDOW_DAYS, "count": orders.len(), "orders": orders })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: &str, delivered: Option<&str>) -> Value {
        let mut history =
            vec![json!({ "index": 0, "status": "PENDING", "at": "2026-01-01T00:00:00Z" })];
        if let Some(at) = delivered {
            history.push(json!({ "index": 1, "status": "DELIVERED", "at": at }));
        }
        json!({ "id": id, "total": 10.0, "items": [{ "name": "Kettle", "quantity": 1 }], "statusHistory": history })
    }

    #[test]
    fn only_orders_delivered_within_thirty_days_can_be_returned() {
        let now = DateTime::parse_from_rfc3339("2026-03-31T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let found = returnable(
            &[
                order("old", Some("2026-02-28T11:59:59Z")),
                order("edge", Some("2026-03-01T12:00:00Z")),
                order("recent", Some("2026-03-30T08:00:00Z")),
                order("never", None),
            ],
            now,
        );

        let ids: Vec<&str> = found["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["orderId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["recent", "edge"]);
        assert_eq!(found["orders"][1]["returnBy"], "2026-03-31T12:00:00Z");
        assert_eq!(found["windowDays"], 30);
    }
}
