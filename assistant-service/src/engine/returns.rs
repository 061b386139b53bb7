//! "How do I return this?": the returns policy, as for any policy question, and for a
//! signed-in customer the orders they can still return (`getReturnableOrders`); anyone else
//! is told that signing in shows them.

use serde_json::{Value, json};

use super::{Observer, Turn, answer::Draft};
use crate::{
    engine::Engine,
    functions::{FunctionError, returns::GET_RETURNABLE_ORDERS},
};

/// Phrases of someone who wants to return something (not of a question about the policy in
/// general, such as "what is your return policy?").
const RETURNING: &[&str] = &[
    "how do i return",
    "how can i return",
    "how to return",
    "can i return",
    "could i return",
    "want to return",
    "like to return",
    "need to return",
    "return this",
    "return it",
    "return my",
    "return an order",
    "return an item",
    "return the",
    "return something",
    "make a return",
    "start a return",
    "send it back",
    "send this back",
];

/// What ends a policy answer; the orders go before it.
const CLOSING: &str = " Is there anything else I can help you with?";

/// Whether `message` is about returning something of one's own.
pub(super) fn about_returning(message: &str) -> bool {
    let lower = message.to_lowercase().replace('\u{2019}', "'");
    RETURNING.iter().any(|p| lower.contains(p))
}

/// Adds the caller's returnable orders (or how to see them) to a returns policy answer.
pub(super) async fn add(engine: &Engine, draft: &mut Draft, turn: &Turn, observer: &Observer) {
    let addition = if turn.caller.is_none() {
        " If you sign in, I can also tell you which of your orders can still be returned."
            .to_owned()
    } else {
        let result = super::answer::call(
            engine,
            draft,
            observer,
            turn,
            GET_RETURNABLE_ORDERS,
            json!({}),
        )
        .await;
        describe(&result)
    };
    let closing = draft.text.ends_with(CLOSING);
    if closing {
        draft.text.truncate(draft.text.len() - CLOSING.len());
    }
    draft.text.push_str(&addition);
    if closing {
        draft.text.push_str(CLOSING);
    }
}

/// The returnable orders in words.
fn describe(result: &Result<Value, FunctionError>) -> String {
    let found = match result {
        Ok(found) => found,
        Err(_) => {
            return " I couldn't look up which of your orders can be returned just now; your order page shows it too.".to_owned();
        }
    };
    let orders = found["orders"].as_array().cloned().unwrap_or_default();
    if orders.is_empty() {
        return " None of your orders was delivered in the last 30 days, so there is nothing to return right now.".to_owned();
    }
    let listed: Vec<String> = orders
        .iter()
        .take(5)
        .map(|o| {
            let items: Vec<String> = o["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| {
                            format!(
                                "{} x{}",
                                i["name"].as_str().unwrap_or("item"),
                                i["quantity"]
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "order {} ({}), returnable until {}",
                o["orderId"].as_str().unwrap_or_default(),
                items.join(", "),
                day(o["returnBy"].as_str().unwrap_or_default()),
            )
        })
        .collect();
    format!(
        " Orders you can still return: {}. Tell me which one, or start the return from its order page.",
        listed.join("; ")
    )
}

/// `2026-03-31` from an RFC 3339 time.
fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}
