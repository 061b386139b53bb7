//! Points and tier in words: a question about the caller's own loyalty account calls
//! `getLoyalty` and is answered from its result (points and what they are worth, the tier, and
//! what the next tier, or the one the caller named, still takes), citing the programme's
//! policy. An anonymous caller is asked to sign in.

use serde_json::{Value, json};

use super::{
    Engine, Observer, Turn,
    answer::{Draft, call},
    phrasing::{money, unavailable},
};
use crate::{
    domain::{citations::cite, persona::Reply},
    functions::{FunctionError, shop},
    session::Session,
};

/// The policy that says how points are earned and what the tiers are.
pub const POLICY: &str = "Policy8.1";

/// The answer to a question about the caller's points or tier.
pub(super) async fn answer(
    engine: &Engine,
    session: &Session,
    turn: &Turn,
    observer: &Observer,
) -> Draft {
    let mut draft = Draft::default();
    if turn.caller.is_none() {
        draft.text = engine.persona.reply(Reply::SignInLoyalty, None);
        return draft;
    }
    let result = call(
        engine,
        &mut draft,
        observer,
        turn,
        shop::GET_LOYALTY,
        json!({}),
    )
    .await;
    let policy = engine.knowledge.get(POLICY).map(|p| cite(&p.id));
    draft.text = phrase(
        &result,
        &turn.message,
        session.first_name(),
        policy.as_deref(),
    );
    draft
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The tier named in `question`, from the programme's `tiers`.
fn named_tier<'a>(tiers: &'a [Value], question: &str) -> Option<&'a Value> {
    let words: Vec<String> = crate::domain::text::words(&question.to_lowercase());
    tiers.iter().find(|t| {
        t["name"]
            .as_str()
            .is_some_and(|n| words.iter().any(|w| *w == n.to_lowercase()))
    })
}

/// How far the caller is from the tier they named, when it is not simply the next one.
fn towards(target: &Value, account: &Value) -> Option<String> {
    let name = target["name"].as_str()?;
    let lifetime = account["lifetimePoints"].as_i64()?;
    let needed = target["minPoints"].as_i64()? - lifetime;
    if account["nextTier"]["name"] == name {
        return None;
    }
    Some(if account["tier"] == name {
        format!("You're a {name} member already.")
    } else if needed <= 0 {
        format!("You've already passed {name}.")
    } else {
        format!("You're {needed} point{} away from {name}.", plural(needed))
    })
}

/// The tier sentence: the tier, its discount when the programme says, and why it differs
/// from the balance when points were spent.
fn tier(account: &Value, tiers: &[Value]) -> String {
    let name = account["tier"].as_str().unwrap_or("Bronze");
    let mut text = format!("You're a {name} member");
    let discount = tiers
        .iter()
        .find(|t| t["name"] == name)
        .and_then(|t| t["discountPercent"].as_i64())
        .filter(|d| *d > 0);
    if let Some(d) = discount {
        text.push_str(&format!(", which takes {d}% off every order"));
    }
    let (points, lifetime) = (
        account["points"].as_i64().unwrap_or(0),
        account["lifetimePoints"].as_i64().unwrap_or(0),
    );
    if lifetime != points {
        text.push_str(&format!(
            " (tiers go by the {lifetime} point{} you've earned in all)",
            plural(lifetime)
        ));
    }
    text.push('.');
    text
}

/// The answer to a points question from `getLoyalty`'s result, addressed to `name` when
/// known and citing `policy` when given.
pub fn phrase(
    result: &Result<Value, FunctionError>,
    question: &str,
    name: Option<&str>,
    policy: Option<&str>,
) -> String {
    let account = match result {
        Ok(account) => account,
        Err(FunctionError::Unavailable(_)) => return unavailable("rewards"),
        Err(FunctionError::SignInRequired) => {
            return "Please sign in again so I can look up your points.".to_owned();
        }
        Err(_) => {
            return "I couldn't find a rewards account for you just now. Please try again in a little while, or I can pass this to our team.".to_owned();
        }
    };
    let points = account["points"].as_i64().unwrap_or(0);
    let tiers = account["tiers"].as_array().cloned().unwrap_or_default();
    let mut text = format!(
        "Here's your rewards summary{}: you have {points} point{}, worth {} off at checkout. {}",
        name.map(|n| format!(", {n}")).unwrap_or_default(),
        plural(points),
        money(&account["pointsValue"]),
        tier(account, &tiers),
    );
    if let Some(line) = named_tier(&tiers, question).and_then(|t| towards(t, account)) {
        text.push(' ');
        text.push_str(&line);
    }
    match (
        account["nextTier"]["name"].as_str(),
        account["nextTier"]["pointsNeeded"].as_i64(),
    ) {
        (Some(next), Some(needed)) => text.push_str(&format!(
            " You need {needed} more point{} to reach {next}: you earn 1 point for every $1 of a delivered order.",
            plural(needed)
        )),
        _ => text.push_str(" That's our highest tier, so you already get our biggest discount."),
    }
    if let Some(policy) = policy {
        text.push(' ');
        text.push_str(policy);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiers() -> Value {
        json!([
            { "name": "Bronze", "minPoints": 0, "discountPercent": 0 },
            { "name": "Silver", "minPoints": 500, "discountPercent": 5 },
            { "name": "Gold", "minPoints": 2000, "discountPercent": 10 },
            { "name": "Platinum", "minPoints": 5000, "discountPercent": 15 },
        ])
    }

    fn account(points: i64, lifetime: i64, tier: &str, next: Value) -> Value {
        json!({
            "points": points, "lifetimePoints": lifetime, "pointsValue": points as f64 / 100.0,
            "tier": tier, "nextTier": next, "tiers": tiers(), "recent": [],
        })
    }

    #[test]
    fn the_answer_gives_points_their_worth_the_tier_and_the_next_tier() {
        let bronze = account(
            324,
            324,
            "Bronze",
            json!({ "name": "Silver", "pointsNeeded": 176 }),
        );

        let text = phrase(
            &Ok(bronze),
            "How many points do I have?",
            Some("Alex"),
            Some("[Policy8.1]"),
        );

        assert!(text.starts_with("Here's your rewards summary, Alex: you have 324 points, worth $3.24 off at checkout. You're a Bronze member."), "{text}");
        assert!(
            text.contains("You need 176 more points to reach Silver"),
            "{text}"
        );
        assert!(text.ends_with("[Policy8.1]"), "{text}");
    }

    #[test]
    fn a_named_tier_beyond_the_next_one_is_measured_from_lifetime_points() {
        let silver = account(
            300,
            700,
            "Silver",
            json!({ "name": "Gold", "pointsNeeded": 1300 }),
        );
        let bronze = account(
            10,
            10,
            "Bronze",
            json!({ "name": "Silver", "pointsNeeded": 490 }),
        );

        let to_next = phrase(&Ok(silver.clone()), "How far am I from Gold?", None, None);
        let to_platinum = phrase(&Ok(silver), "how close am I to platinum", None, None);
        let to_gold = phrase(&Ok(bronze), "How far am I from Gold?", None, None);

        assert!(
            to_next.contains(
                "which takes 5% off every order (tiers go by the 700 points you've earned in all)"
            ),
            "{to_next}"
        );
        assert!(
            to_next.contains("You need 1300 more points to reach Gold"),
            "{to_next}"
        );
        assert!(!to_next.contains("away from"), "{to_next}");
        assert!(
            to_platinum.contains("You're 4300 points away from Platinum."),
            "{to_platinum}"
        );
        assert!(
            to_gold.contains("You're 1990 points away from Gold."),
            "{to_gold}"
        );
        assert!(
            to_gold.contains("You need 490 more points to reach Silver"),
            "{to_gold}"
        );
    }

    #[test]
    fn the_top_tier_and_failures_are_said_plainly() {
        let top = account(6000, 6000, "Platinum", Value::Null);

        let text = phrase(&Ok(top), "what tier am I?", None, None);
        let down = phrase(
            &Err(FunctionError::Unavailable("customer-service".into())),
            "points?",
            None,
            None,
        );

        assert!(
            text.contains(
                "Platinum member, which takes 15% off every order. That's our highest tier"
            ),
            "{text}"
        );
        assert!(down.contains("can't reach our rewards system"), "{down}");
    }
}
