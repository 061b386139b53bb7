//! The shop's functions: `getOrderStatus(orderId)`, `searchProducts(query, limit)`,
//! `getCustomerOrders(email)` and `getLoyalty()` ([`super::loyalty`]), each calling the owning
//! service with the caller's token. Orders, customer records and loyalty accounts need a
//! signed-in caller; the services answer 404 for anything that is not the caller's, so a
//! customer cannot look at another customer's orders or points here.

use serde_json::{Value, json};

use super::{CallContext, FunctionError, Registry};
use crate::upstream::{Upstream, UpstreamError};

/// `getOrderStatus`.
pub const GET_ORDER_STATUS: &str = "getOrderStatus";
/// `searchProducts`.
pub const SEARCH_PRODUCTS: &str = "searchProducts";
/// `getCustomerOrders`.
pub const GET_CUSTOMER_ORDERS: &str = "getCustomerOrders";
/// `getLoyalty`.
pub const GET_LOYALTY: &str = "getLoyalty";

/// An upstream failure as a function's: 401 asks to sign in, 404/403/400 is `what` not
/// found, anything else (down, slow, 5xx such as 503) is unavailable.
pub(super) fn map(e: UpstreamError, what: &str) -> FunctionError {
    match e {
        UpstreamError::Unavailable(service) => FunctionError::Unavailable(service.to_owned()),
        UpstreamError::NotFound | UpstreamError::Rejected(_) => {
            FunctionError::NotFound(what.to_owned())
        }
        UpstreamError::Unauthorized => FunctionError::SignInRequired,
    }
}

/// A registry holding the four shop functions over `upstream`.
pub fn registry(upstream: Upstream) -> Registry {
    let mut registry = Registry::new();
    let up = upstream.clone();
    registry.register(
        GET_ORDER_STATUS,
        json!({
            "description": "Current status, items, carrier, tracking number and estimated delivery of one of the customer's orders.",
            "parameters": {
                "type": "object",
                "properties": {
                    "orderId": { "type": "string", "format": "objectid", "description": "The order id (24 hexadecimal characters)." }
                },
                "required": ["orderId"],
                "additionalProperties": false
            }
        }),
        move |args, ctx| {
            let up = up.clone();
            async move { order_status(&up, &args, &ctx).await }
        },
    );
    let up = upstream.clone();
    registry.register(
        SEARCH_PRODUCTS,
        json!({
            "description": "Search the product catalog by words in the name, description, category or tags.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": { "type": "string", "minLength": 1, "maxLength": 100, "description": "What to look for." },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 10, "default": 5, "description": "How many products at most." }
                },
                "required": ["query"],
                "additionalProperties": false
            }
        }),
        move |args, ctx| {
            let up = up.clone();
            async move { search(&up, &args, &ctx).await }
        },
    );
    let up = upstream.clone();
    registry.register(
        super::returns::GET_RETURNABLE_ORDERS,
        super::returns::schema(),
        move |_, ctx| {
            let up = up.clone();
            async move { super::returns::run(&up, &ctx).await }
        },
    );
    let up = upstream.clone();
    registry.register(GET_LOYALTY, super::loyalty::schema(), move |_, ctx| {
        let up = up.clone();
        async move { super::loyalty::run(&up, &ctx).await }
    });
    registry.register(
        GET_CUSTOMER_ORDERS,
        json!({
            "description": "The most recent orders of the customer with this email (customers may only ask for their own).",
            "parameters": {
                "type": "object",
                "properties": {
                    "email": { "type": "string", "format": "email", "maxLength": 254, "description": "The customer's email address." }
                },
                "required": ["email"],
                "additionalProperties": false
            }
        }),
        move |args, ctx| {
            let up = upstream.clone();
            async move { customer_orders(&up, &args, &ctx).await }
        },
    );
    registry
}

/// The parts of an order a customer asks about.
pub fn order_summary(order: &Value) -> Value {
    let items: Vec<Value> = order["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| json!({ "name": i["name"], "quantity": i["quantity"], "price": i["price"] }))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "orderId": order["id"],
        "status": order["status"],
        "total": order["total"],
        "items": items,
        "carrier": order.get("carrier").cloned().unwrap_or(Value::Null),
        "trackingNumber": order.get("trackingNumber").cloned().unwrap_or(Value::Null),
        "estimatedDelivery": order.get("estimatedDelivery").cloned().unwrap_or(Value::Null),
        "rejectionReason": order.get("rejectionReason").cloned().unwrap_or(Value::Null),
        "createdAt": order["createdAt"],
        "updatedAt": order["updatedAt"],
    })
}

async fn order_status(
    up: &Upstream,
    args: &Value,
    ctx: &CallContext,
) -> Result<Value, FunctionError> {
    let bearer = ctx.bearer.as_deref().ok_or(FunctionError::SignInRequired)?;
    let id = args["orderId"].as_str().unwrap_or_default().to_lowercase();
    let order = up
        .order(&id, Some(bearer), &ctx.request_id)
        .await
        .map_err(|e| map(e, &format!("order {id}")))?;
    Ok(order_summary(&order))
}

async fn search(up: &Upstream, args: &Value, ctx: &CallContext) -> Result<Value, FunctionError> {
    let query = args["query"].as_str().unwrap_or_default();
    let limit = u32::try_from(args["limit"].as_u64().unwrap_or(5)).unwrap_or(5);
    let found = up
        .search_products(query, limit, ctx.bearer.as_deref(), &ctx.request_id)
        .await
        .map_err(|e| map(e, "products"))?;
    let products: Vec<Value> = found
        .iter()
        .map(|p| {
            json!({
                "id": p["id"], "name": p["name"], "price": p["price"], "category": p["category"],
                "stock": p["stock"], "description": p["description"],
            })
        })
        .collect();
    Ok(json!({ "query": query, "count": products.len(), "products": products }))
}

async fn customer_orders(
    up: &Upstream,
    args: &Value,
    ctx: &CallContext,
) -> Result<Value, FunctionError> {
    let bearer = ctx.bearer.as_deref().ok_or(FunctionError::SignInRequired)?;
    let email = args["email"].as_str().unwrap_or_default().to_lowercase();
    let not_found = || format!("orders for {email}");
    let customer = up
        .customer_by_email(&email, Some(bearer), &ctx.request_id)
        .await
        .map_err(|e| map(e, &not_found()))?;
    let id = customer["id"]
        .as_str()
        .ok_or_else(|| FunctionError::NotFound(not_found()))?;
    let (orders, total) = up
        .orders_of(id, 5, Some(bearer), &ctx.request_id)
        .await
        .map_err(|e| map(e, &not_found()))?;
    let orders: Vec<Value> = orders.iter().map(order_summary).collect();
    Ok(json!({
        "email": email,
        "customerId": id,
        "name": customer["name"],
        "total": total,
        "orders": orders,
    }))
}
