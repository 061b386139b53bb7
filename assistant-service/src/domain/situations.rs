//! Two situations recognised by rule whatever the words around them (issue 21):
//! - a delivery that went wrong (damaged, soaked, broken, wrong or incomplete) is a complaint,
//!   even told calmly and without a complaint word ("the box came soaked");
//! - a gift or a need ("a present for someone who loves cooking") is a product search.
//!
//! Questions about what would happen ("what if it arrives damaged?", "can I return a broken
//! item?") stay policy questions.

use super::text::{has_any, phrased};

/// What the goods were like when they came.
const HARMED: &[&str] = &[
    "damaged",
    "broken",
    "broke",
    "smashed",
    "shattered",
    "cracked",
    "crack",
    "crushed",
    "dented",
    "dents",
    "dent",
    "soaked",
    "soaking",
    "wet",
    "ruined",
    "leaked",
    "leaking",
    "torn",
    "ripped",
    "scratched",
    "chipped",
    "snapped",
    "bent",
    "flattened",
    "in pieces",
    "stained",
    "stains",
    "mouldy",
    "moldy",
    "rattles",
    "not working",
    "doesnt work",
    "does not work",
    "wont turn on",
    "will not turn on",
    "does not switch on",
    "doesnt switch on",
    "dead on arrival",
];

/// The wrong thing, or not all of it.
const WRONG: &[&str] = &[
    "wrong item",
    "wrong size",
    "wrong colour",
    "wrong color",
    "wrong one",
    "wrong product",
    "wrong order",
    "wrong model",
    "instead of",
    "and you sent",
    "but you sent",
    "and got a",
    "but got a",
    "but received",
    "someone elses order",
    "someone elses item",
    "different customers",
    "arrived without",
    "came without",
    "showed up without",
    "turned up without",
    "came with no",
    "arrived with no",
    "missing",
    "not in the box",
    "no screws",
];

/// That it has come.
const CAME: &[&str] = &[
    "arrived",
    "arrives",
    "came",
    "come",
    "got",
    "received",
    "delivered",
    "turned up",
    "showed up",
    "opened",
    "unpacked",
    "unboxed",
    "in transit",
    "on delivery",
    "delivery",
    "parcel",
    "package",
    "box",
    "sent",
    "you sent",
    "i ordered",
    "straight out of",
];

/// What makes it a question about what would happen, not about what did.
const HYPOTHETICAL: &[&str] = &[
    "if",
    "what if",
    "what happens",
    "can i",
    "could i",
    "do you",
    "does the",
    "do i",
    "how do i",
    "is there",
    "policy",
    "are damaged",
    "would",
];

/// A delivery that went wrong, told as something that happened.
pub fn is_delivery_problem(message: &str) -> bool {
    let text = phrased(message);
    (has_any(&text, HARMED) && has_any(&text, CAME) || has_any(&text, WRONG))
        && !has_any(&text, HYPOTHETICAL)
}

const GIFT: &[&str] = &["gift", "gifts", "present", "presents"];
/// A gift as the subject of a policy question, not a thing to find.
const GIFT_POLICY: &[&str] = &[
    "gift card",
    "gift cards",
    "gift wrap",
    "gift wrapping",
    "gift receipt",
    "return",
    "returns",
    "refund",
    "exchange",
    "receipt",
    "send a gift to",
    "ship a gift to",
];
/// Someone to find it for, or ideas to find.
const FOR_SOMEONE: &[&str] = &[
    "for",
    "idea",
    "ideas",
    "what should i get",
    "what could i get",
    "what can i get",
    "what to get",
];

/// A gift to find for someone ("a gift for someone who loves cooking", "present ideas for a
/// coffee lover").
pub fn is_gift_search(message: &str) -> bool {
    let text = phrased(message);
    has_any(&text, GIFT) && has_any(&text, FOR_SOMEONE) && !has_any(&text, GIFT_POLICY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_that_went_wrong_are_recognised_however_told() {
        for message in [
            "the box came soaked",
            "the vase was in pieces when I opened the parcel",
            "I ordered a blue one and got a green one",
            "you sent me size 8 instead of 10",
            "my order showed up without the charger",
            "the television arrived in a wet box and won't turn on",
        ] {
            assert!(is_delivery_problem(message), "{message}");
        }
        for message in [
            "what happens if my parcel arrives damaged?",
            "can I return a damaged item?",
            "what is your policy on broken items?",
            "where is my parcel?",
            "does the warranty cover a cracked screen?",
        ] {
            assert!(!is_delivery_problem(message), "{message}");
        }
    }

    #[test]
    fn gifts_to_find_are_searches_and_gift_policies_are_not() {
        for message in [
            "a gift for someone who loves cooking",
            "present ideas for a coffee lover",
            "what should I get as a present for my dad",
        ] {
            assert!(is_gift_search(message), "{message}");
        }
        for message in [
            "can I return a gift without a receipt?",
            "are gift cards refundable?",
            "do you do gift wrapping for orders?",
            "thanks for the help",
        ] {
            assert!(!is_gift_search(message), "{message}");
        }
    }
}
