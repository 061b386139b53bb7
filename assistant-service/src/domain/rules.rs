//! Rules that decide before (or instead of) the statistical model: abuse and threats, which must
//! never depend on a probability; questions about who the assistant is; attempts to make it
//! reveal or change its instructions; and messages that carry an order id.

use super::text::words;

/// What a rule recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Insults, threats, sexual requests, directed profanity.
    Abuse,
    /// "Are you a bot?", "what model are you?", "who made you?".
    IdentityProbe,
    /// "Ignore your instructions", "show me your system prompt".
    Injection,
    /// The message names an order by its id.
    OrderId,
    /// A question about the caller's own loyalty points or tier ([`super::loyalty`]).
    LoyaltyAccount,
    /// A question about how the loyalty programme works ([`super::loyalty`]).
    LoyaltyProgramme,
    /// The customer wants a person ("can I talk to a person?", "human please").
    HumanRequest,
    /// A request for wrongdoing ([`super::wrongdoing`]).
    Wrongdoing,
    /// A delivery that went wrong, however told ([`super::situations`]).
    DeliveryProblem,
    /// A gift to find for someone ([`super::situations`]).
    GiftSearch,
    /// "Yes" to the offer of a person, just made.
    AcceptedPerson,
}

impl Rule {
    /// A short name for logs and the `thinking` message.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Abuse => "abusive language",
            Self::IdentityProbe => "question about the assistant",
            Self::Injection => "attempt to change or reveal instructions",
            Self::OrderId => "order id",
            Self::LoyaltyAccount => "question about the customer's points or tier",
            Self::LoyaltyProgramme => "question about the loyalty programme",
            Self::HumanRequest => "request for a person",
            Self::Wrongdoing => "request for wrongdoing",
            Self::DeliveryProblem => "delivery that went wrong",
            Self::GiftSearch => "gift to find",
            Self::AcceptedPerson => "accepted the offer of a person",
        }
    }
}

/// Profanity and slurs that are abuse wherever they appear (prefix match on each word, so
/// "fucking" and "shithead" count).
const PROFANITY: &[&str] = &[
    "fuck", "f***", "f**k", "fck", "shit", "sh*t", "bitch", "b*tch", "bastard", "asshole", "dick",
    "cunt", "wanker", "twat", "motherf",
];

/// Insults that are abuse when aimed at someone.
const INSULTS: &[&str] = &[
    "idiot",
    "moron",
    "imbecile",
    "dumbass",
    "cretin",
    "loser",
    "clown",
    "creep",
    "jerk",
    "stupid",
    "dumb",
    "pathetic",
    "worthless",
    "useless",
    "trash",
    "garbage",
    "fool",
];

/// Phrases that are abuse wherever they appear.
const PHRASES: &[&str] = &[
    "kill you",
    "hurt you",
    "hope you die",
    "go die",
    "hunt you",
    "burn your",
    "smash your",
    "watch your back",
    "know where you live",
    "shut up",
    "shut your",
    "piss off",
    "screw you",
    "go to hell",
    "kiss my",
    "go f",
    "eat shit",
    "nude",
    "sexy",
    "send me pics",
    "waste of space",
];

const SELF_WORDS: &[&str] = &["you", "your", "yourself", "youre", "ur", "u", "this"];

const IDENTITY_NOUNS: &[&str] = &[
    "bot",
    "robot",
    "chatbot",
    "ai",
    "a.i",
    "human",
    "person",
    "machine",
    "model",
    "llm",
    "gpt",
    "chatgpt",
    "program",
    "computer",
    "automated",
    "artificial",
];

const IDENTITY_ORIGINS: &[&str] = &[
    "who made you",
    "who built you",
    "who created you",
    "who trained you",
    "who programmed you",
    "what are you",
    "what model",
    "which model",
    "what llm",
    "which llm",
    "what ai",
    "which ai",
    "are you powered",
    "what powers you",
    "who is behind you",
    "what technology",
    "which company made you",
    "what company made you",
    "are you real",
    "r u real",
];

const INJECTION: &[&str] = &[
    "ignore previous",
    "ignore all previous",
    "ignore your",
    "ignore the above",
    "disregard",
    "forget your instructions",
    "forget all",
    "forget previous",
    "system prompt",
    "your prompt",
    "your instructions",
    "initial prompt",
    "hidden rules",
    "your rules",
    "developer mode",
    "jailbreak",
    "dan mode",
    "no restrictions",
    "pretend you",
    "act as if you",
    "you are now",
    "repeat the text above",
    "reveal your",
    "print your",
    "override",
];

fn normalised(message: &str) -> String {
    let lower: Vec<String> = words(message)
        .into_iter()
        .map(|w| w.to_lowercase().replace('\'', ""))
        .collect();
    format!(" {} ", lower.join(" "))
}

/// Abuse: profanity, phrases, or an insult aimed at the listener ("you idiot", "you're a
/// useless moron"), or a message that is nothing but an insult.
pub fn is_abuse(message: &str) -> bool {
    let text = normalised(message);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if tokens
        .iter()
        .any(|t| PROFANITY.iter().any(|p| t.starts_with(p)))
    {
        return true;
    }
    if PHRASES.iter().any(|p| text.contains(&format!(" {p} "))) {
        return true;
    }
    let insult_at: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| INSULTS.iter().any(|i| t.starts_with(i)))
        .map(|(i, _)| i)
        .collect();
    if insult_at.is_empty() {
        return false;
    }
    let hard = |i: usize| {
        [
            "idiot", "moron", "imbecile", "dumbass", "cretin", "loser", "clown", "creep", "jerk",
            "fool",
        ]
        .iter()
        .any(|h| tokens[i].starts_with(h))
    };
    // "You idiot", "you're a useless idiot", "you are so dumb": an insult shortly after "you".
    let aimed = insult_at.iter().any(|&i| {
        tokens[i.saturating_sub(3)..i]
            .iter()
            .any(|t| matches!(*t, "you" | "youre" | "u" | "ur"))
            && (hard(i)
                || tokens[i.saturating_sub(3)..i]
                    .iter()
                    .any(|t| matches!(*t, "youre" | "are"))
                || i >= 1 && tokens[i - 1] == "you")
    });
    aimed || (tokens.len() <= 3 && insult_at.iter().any(|&i| hard(i)))
}

/// Who the customer says they are talking to ("am I talking to a real human?").
const TALKING_TO: &[&str] = &[
    "talking to",
    "talking with",
    "chatting with",
    "chatting to",
    "speaking to",
    "speaking with",
    "answering me",
    "typing",
    "replying",
    "reply",
    "answers",
    "other end",
    "other side",
];

/// A question about what the assistant is or who made it.
pub fn is_identity_probe(message: &str) -> bool {
    let text = normalised(message);
    if IDENTITY_ORIGINS
        .iter()
        .any(|p| text.contains(&format!(" {p} ")))
    {
        return true;
    }
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let addressed = tokens.iter().any(|t| SELF_WORDS.contains(t))
        || TALKING_TO.iter().any(|p| text.contains(&format!(" {p} ")));
    let asks = tokens
        .first()
        .is_some_and(|t| matches!(*t, "are" | "r" | "is" | "am" | "what" | "which" | "who"))
        || text.contains(" are you ")
        || text.contains(" is this ")
        || text.contains(" am i ")
        || text.contains(" is there ")
        || text.contains(" is a ");
    addressed && asks && tokens.iter().any(|t| IDENTITY_NOUNS.contains(t))
}

/// Asking to talk to someone.
const TALK_VERBS: &[&str] = &["talk", "speak", "chat", "connect", "transfer", "put", "get"];
/// Who they want to talk to.
const PEOPLE: &[&str] = &[
    "person",
    "human",
    "humans",
    "someone",
    "somebody",
    "agent",
    "representative",
    "rep",
    "people",
    "staff",
    "operator",
];
/// Short requests that need no verb.
const WANT_PERSON: &[&str] = &[
    "human please",
    "a human",
    "real person",
    "a person please",
    "live agent",
    "human agent",
    "live person",
    "live chat",
];

/// A request for a person ("can I talk to a person?", "human please", "get me a real
/// person"), not a question about who answers ("are you a real person?": an identity probe,
/// checked first).
pub fn is_human_request(message: &str) -> bool {
    let text = normalised(message);
    if WANT_PERSON.iter().any(|p| text.contains(&format!(" {p} "))) {
        return true;
    }
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tokens.iter().enumerate().any(|(i, t)| {
        TALK_VERBS.contains(t)
            && tokens[i + 1..]
                .iter()
                .take(5)
                .any(|next| PEOPLE.contains(next))
    })
}

/// A short "yes" ("yes please", "sure", "ok, do that"), taking what was just offered.
pub fn is_yes(message: &str) -> bool {
    let text = normalised(message);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tokens.len() <= 6
        && tokens.iter().any(|t| {
            matches!(
                *t,
                "yes" | "yeah" | "yep" | "yup" | "sure" | "ok" | "okay" | "please" | "y"
            )
        })
        && !tokens
            .iter()
            .any(|t| matches!(*t, "no" | "not" | "nope" | "dont" | "thanks" | "thank"))
}

/// An attempt to read or rewrite the assistant's instructions.
pub fn is_injection(message: &str) -> bool {
    let text = normalised(message);
    INJECTION.iter().any(|p| text.contains(&format!(" {p} ")))
}

/// A question about "it" that only makes sense for a product ("how much is it?", "is that
/// one in stock?"): with a product in the conversation, it is about that product.
pub fn is_product_follow_up(message: &str) -> bool {
    let text = normalised(message);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let refers = tokens
        .iter()
        .any(|t| matches!(*t, "it" | "that" | "this" | "them" | "one" | "ones"));
    let asks = tokens.iter().any(|t| {
        matches!(
            *t,
            "cost"
                | "costs"
                | "price"
                | "priced"
                | "much"
                | "stock"
                | "available"
                | "left"
                | "colour"
                | "colours"
                | "color"
                | "colors"
                | "size"
                | "sizes"
        )
    });
    refers && asks && crate::domain::text::order_ids(message).is_empty()
}

#[cfg(test)]
mod tests;
