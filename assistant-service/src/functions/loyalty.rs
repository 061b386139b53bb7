//! `getLoyalty()`: the caller's points, tier and the next tier, from customer-service
//! (`GET /loyalty` with the caller's token, and the public `GET /loyalty/tiers` so an answer
//! can say how far any tier is). customer-service owns the programme; nothing is worked out
//! here that it does not say.

use serde_json::{Value, json};
use shared::Money;

use super::{CallContext, FunctionError};
use crate::upstream::Upstream;

/// How many history entries go into the result (newest first).
const RECENT: usize = 3;

/// The parameters: none.
pub fn schema() -> Value {
    json!({
        "description": "The signed-in customer's loyalty points (to spend and earned in all), their tier, the next tier and the points it still takes, the programme's tiers and the latest point movements.",
        "parameters": {
            "type": "object",
            "properties": {},
            "additionalProperties": false
        }
    })
}

/// Runs `getLoyalty` for `ctx`: sign-in required; the tiers are best effort (an answer
/// without them still has the caller's own account).
pub async fn run(up: &Upstream, ctx: &CallContext) -> Result<Value, FunctionError> {
    let bearer = ctx.bearer.as_deref().ok_or(FunctionError::SignInRequired)?;
    let (account, tiers) = tokio::join!(
        up.loyalty(bearer, &ctx.request_id),
        up.loyalty_tiers(&ctx.request_id)
    );
    let account = account.map_err(|e| super::shop::map(e, "your loyalty account"))?;
    let tiers = tiers.unwrap_or_else(|e| {
        tracing::debug!(error = %e, "loyalty tiers not available");
        Vec::new()
    });
    Ok(summary(&account, &tiers))
}

/// The parts of an account a customer asks about: `{points, lifetimePoints, pointsValue,
/// tier, nextTier, tiers, recent}`; `pointsValue` is what the points take off at checkout
/// (100 points = 1.00, DESIGN.md "Coupons and loyalty").
pub fn summary(account: &Value, tiers: &[Value]) -> Value {
    let points = account["points"].as_i64().unwrap_or(0);
    let recent: Vec<Value> = account["history"]
        .as_array()
        .map(|h| h.iter().take(RECENT).cloned().collect())
        .unwrap_or_default();
    json!({
        "points": points,
        "lifetimePoints": account["lifetimePoints"].as_i64().unwrap_or(points),
        "pointsValue": Money::from_cents(points.max(0)),
        "tier": account["tier"],
        "nextTier": account.get("nextTier").cloned().unwrap_or(Value::Null),
        "tiers": tiers,
        "recent": recent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_keeps_what_a_customer_asks_about() {
        let account = json!({
            "points": 320, "lifetimePoints": 520, "tier": "Silver",
            "nextTier": { "name": "Gold", "pointsNeeded": 1480 },
            "history": [
                { "points": 20, "reason": "ORDER_DELIVERED", "orderId": "a" },
                { "points": 300, "reason": "ORDER_DELIVERED", "orderId": "b" },
                { "points": 100, "reason": "ORDER_DELIVERED", "orderId": "c" },
                { "points": 100, "reason": "ORDER_DELIVERED", "orderId": "d" },
            ]
        });
        let tiers = [json!({ "name": "Bronze", "minPoints": 0, "discountPercent": 0 })];

        let summary = summary(&account, &tiers);

        assert_eq!(summary["points"], 320);
        assert_eq!(summary["lifetimePoints"], 520);
        assert_eq!(summary["pointsValue"], json!(3.2));
        assert_eq!(summary["tier"], "Silver");
        assert_eq!(summary["nextTier"]["pointsNeeded"], 1480);
        assert_eq!(summary["tiers"][0]["name"], "Bronze");
        assert_eq!(summary["recent"].as_array().map(Vec::len), Some(3));
        assert_eq!(summary["recent"][0]["orderId"], "a");
    }

    #[test]
    fn the_function_takes_no_arguments() {
        let parameters = &schema()["parameters"];
        assert!(super::super::schema::supported(parameters).is_ok());
        assert_eq!(
            super::super::schema::validate(parameters, &json!({})),
            Ok(json!({}))
        );
        assert!(super::super::schema::validate(parameters, &json!({ "email": "x" })).is_err());
    }
}
