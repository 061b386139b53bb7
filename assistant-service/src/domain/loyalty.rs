//! Questions about the loyalty programme, recognised by rule: the classifier's examples hold
//! none, and a points question must not depend on a probability. Two kinds: about the
//! caller's own account ("how many points do I have?", "what tier am I?", "how far am I from
//! Gold?"), answered with `getLoyalty`; and about the programme ("how do I earn points?",
//! "what are the tiers?"), answered from the knowledge base.

use super::{intent::Intent, rules::Rule};

/// What a loyalty question asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoyaltyQuestion {
    /// The caller's own points or tier.
    Account,
    /// How the programme works.
    Programme,
}

/// Words that make a message about the programme wherever they stand. "point" alone is not
/// one ("what's the point?"); "points" is.
const TOPIC: &[&str] = &[
    "points",
    "reward",
    "rewards",
    "loyalty",
    "tier",
    "tiers",
    "membership",
];

/// Tier names; each also names a colour or a metal, so it counts only next to a word that
/// makes it a tier ("from Gold", "reach Platinum", "Silver member").
const TIERS: &[&str] = &["bronze", "silver", "gold", "platinum"];
const BEFORE_TIER: &[&str] = &[
    "from", "to", "reach", "reaching", "hit", "become", "make", "am", "im", "at",
];
const AFTER_TIER: &[&str] = &["tier", "status", "member", "level", "yet"];

/// "my", "mine": the caller's own account, however the question is put.
const POSSESSIVE: &[&str] = &["my", "mine"];
/// Other words for the caller: their account, unless the question asks how things work.
const SELF: &[&str] = &["i", "im", "ive", "id", "me", "am"];
/// Phrases that ask how the programme works ("how do I earn points?").
const HOW_IT_WORKS: &[&str] = &[
    "how do",
    "how does",
    "how can",
    "how to",
    "how are",
    "how is",
    "how would",
    "can i",
    "what are",
    "what is",
    "whats",
    "is there",
    "do you",
    "tell me about",
    "explain",
    "earn",
    "work",
    "per",
    "for every",
];

fn words(message: &str) -> Vec<String> {
    super::text::words(message)
        .into_iter()
        .map(|w| w.to_lowercase().replace('\'', ""))
        .collect()
}

fn names_a_tier(words: &[String]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        TIERS.contains(&w.as_str())
            && ((i > 0 && BEFORE_TIER.contains(&words[i - 1].as_str()))
                || words
                    .get(i + 1)
                    .is_some_and(|next| AFTER_TIER.contains(&next.as_str())))
    })
}

/// Whether `message` is about loyalty points or tiers, and which kind of question it is.
pub fn question(message: &str) -> Option<LoyaltyQuestion> {
    let words = words(message);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if !has(TOPIC) && !names_a_tier(&words) {
        return None;
    }
    let text = format!(" {} ", words.join(" "));
    let asks_how = HOW_IT_WORKS
        .iter()
        .any(|p| text.contains(&format!(" {p} ")));
    if has(POSSESSIVE) || (has(SELF) && !asks_how) {
        Some(LoyaltyQuestion::Account)
    } else {
        Some(LoyaltyQuestion::Programme)
    }
}

/// The intent and rule of a loyalty question, if `message` is one. A question about the
/// caller's points is an account lookup like an order's (`order_status`: a signed-in caller,
/// a function called with their token, a request to sign in otherwise); one about the
/// programme is a `policy_question`, answered from the knowledge base to anyone.
pub fn route(message: &str) -> Option<(Intent, Rule)> {
    question(message).map(|q| match q {
        LoyaltyQuestion::Account => (Intent::OrderStatus, Rule::LoyaltyAccount),
        LoyaltyQuestion::Programme => (Intent::PolicyQuestion, Rule::LoyaltyProgramme),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Classifier;

    #[test]
    fn the_classifier_routes_account_questions_to_a_lookup_and_the_rest_to_policies() {
        let classifier = Classifier::shipped();
        let cases = [
            ("How many points do I have?", Intent::OrderStatus),
            ("what tier am I?", Intent::OrderStatus),
            ("How far am I from Gold?", Intent::OrderStatus),
            ("How do I earn points?", Intent::PolicyQuestion),
            ("What are the loyalty tiers?", Intent::PolicyQuestion),
        ];
        for (message, intent) in cases {
            let c = classifier.classify(message);
            let rule = match intent {
                Intent::OrderStatus => Rule::LoyaltyAccount,
                _ => Rule::LoyaltyProgramme,
            };
            assert_eq!((c.intent, c.rule), (intent, Some(rule)), "{message}");
        }
    }

    #[test]
    fn a_complaint_about_points_stays_a_complaint_and_an_order_id_an_order_question() {
        let classifier = Classifier::shipped();
        let c = classifier.classify(
            "I'm furious, my points never showed up, this is unacceptable and ridiculous",
        );
        assert_eq!(c.intent, Intent::Complaint, "{c:?}");
        let c = classifier.classify("did order 65f1c2a9b4e8d7c6a5b4c3d2 earn me points?");
        assert_eq!(c.rule, Some(Rule::OrderId), "{c:?}");
        let c = classifier.classify("do you sell gold earrings?");
        assert!(c.rule.is_none(), "{c:?}");
    }

    #[test]
    fn questions_about_the_caller_s_points_and_tier_are_about_their_account() {
        for message in [
            "How many points do I have?",
            "what tier am I?",
            "How far am I from Gold?",
            "What's my points balance?",
            "how close am I to platinum",
            "Did I get rewards for my last order?",
            "How do I check my points?",
            "am I gold yet",
            "what's my loyalty status",
        ] {
            assert_eq!(
                question(message),
                Some(LoyaltyQuestion::Account),
                "{message}"
            );
        }
    }

    #[test]
    fn questions_about_how_the_programme_works_are_not_about_an_account() {
        for message in [
            "How do I earn points?",
            "What are the loyalty tiers?",
            "Do you have a rewards program?",
            "Tell me about your loyalty programme",
            "How many points do I get per dollar?",
            "What is Gold tier?",
        ] {
            assert_eq!(
                question(message),
                Some(LoyaltyQuestion::Programme),
                "{message}"
            );
        }
    }

    #[test]
    fn colours_metals_and_other_points_are_not_loyalty_questions() {
        for message in [
            "Do you sell gold earrings?",
            "I want a silver watch",
            "where is my order",
            "what's the point of express shipping?",
            "I'm disappointed with my order",
        ] {
            assert_eq!(question(message), None, "{message}");
        }
    }
}
