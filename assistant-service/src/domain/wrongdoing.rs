//! Requests for wrongdoing (issue 21): a `violation` is not only abuse. Four kinds, each
//! refused without detail and ending the conversation; the data and intrusion kinds also raise
//! a security alert for the admins.
//!
//! [`detect`] is the rule that needs no model: phrases that say what is wanted and whose it
//! is, with the victim's side left out ("my card was stolen", "my account was hacked" are
//! complaints, not requests). The nearest labelled examples (`violation/<kind>` lines of
//! `data/intents.tsv`) catch the paraphrases these phrases miss.

use super::text::{has_any, phrased};

/// What kind of wrongdoing a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Wrongdoing {
    /// Payment fraud: stolen or someone else's cards, generated numbers, false chargebacks,
    /// goods without paying.
    Fraud,
    /// Other customers' personal data: addresses, phone numbers, emails, orders, passwords.
    PersonalData,
    /// Breaking into or damaging the shop's systems: admin access, hacking, taking it down.
    Intrusion,
    /// Getting round the shop's rules: coupons reused, wardrobing, fake claims and reviews.
    Evasion,
}

impl Wrongdoing {
    /// Every kind, in a fixed order.
    pub const ALL: [Wrongdoing; 4] = [
        Self::Fraud,
        Self::PersonalData,
        Self::Intrusion,
        Self::Evasion,
    ];

    /// The label suffix in the data files and the `kind` of the security event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fraud => "fraud",
            Self::PersonalData => "data",
            Self::Intrusion => "intrusion",
            Self::Evasion => "evasion",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether the admins are alerted (topic `security`): an attempt on other customers'
    /// data or on the shop's systems. Fraud and evasion are refused without an alert: the
    /// payment provider and the shop's own limits already stand in their way.
    pub fn raises_alert(self) -> bool {
        matches!(self, Self::PersonalData | Self::Intrusion)
    }
}

/// The victim's side: these are complaints or questions, never requests for wrongdoing.
const VICTIM: &[&str] = &[
    "my card was stolen",
    "my card is stolen",
    "my card got stolen",
    "my card has been stolen",
    "if my card is stolen",
    "someone stole my",
    "somebody stole my",
    "used my card",
    "stolen from me",
    "my account was hacked",
    "my account has been hacked",
    "my account got hacked",
    "i was hacked",
    "i got hacked",
    "been hacked",
    "report a vulnerability",
    "report a security",
    "report a bug",
];

const CARD: &[&str] = &[
    "card",
    "cards",
    "card numbers",
    "card details",
    "cvv",
    "cvc",
];
const NOT_THEIRS: &[&str] = &[
    "stolen",
    "stole",
    "steal",
    "cloned",
    "clone",
    "leaked",
    "dark web",
    "generated",
    "generator",
    "card generator",
    "not mine",
    "isnt mine",
    "arent mine",
    "someone elses",
    "somebody elses",
    "without asking",
    "doesnt know",
    "without him",
    "without her",
    "without them",
    "bought online",
    "found a wallet",
    "found a purse",
    "found a card",
    "found someones",
    "accept without checking",
    "accepted without checking",
    "will pass",
    "pass your checks",
];
const FRAUD: &[&str] = &[
    "false chargeback",
    "fake chargeback",
    "chargeback after",
    "chargeback scam",
    "dispute the payment after",
    "dispute the charge after",
    "dispute it after",
    "launder",
    "never actually pay",
    "so i pay nothing",
    "and pay nothing",
    "get goods here without paying",
    "things without paying",
    "stuff without paying",
    "goods without paying",
    "order without paying",
];

const OTHERS: &[&str] = &[
    "another customer",
    "another customers",
    "other customers",
    "another shopper",
    "another shoppers",
    "other shoppers",
    "another user",
    "another users",
    "other users",
    "other peoples",
    "someone elses",
    "somebody elses",
    "everyone who bought",
    "everybody who bought",
    "everyone who ordered",
    "all your customers",
    "all customers",
    "all the customers",
    "customer who bought",
    "customer who ordered",
    "person who bought",
    "person who ordered",
    "whoever bought",
    "whoever ordered",
    "who bought the",
    "customer called",
    "customer named",
    "not my account",
    "isnt my account",
    "which customers",
    "what customers",
    "customers who live",
];

/// People the customer knows whose records are not theirs to see ("my neighbour's order
/// history", "my ex's address"). Wrongdoing only when their personal data is asked for and the
/// message is not about a delivery to or through them ("leave it with my neighbour").
const KNOWN_OTHERS: &[&str] = &[
    "neighbour",
    "neighbours",
    "neighbor",
    "neighbors",
    "my ex",
    "my exs",
    "ex wife",
    "ex wifes",
    "ex husband",
    "ex husbands",
    "ex girlfriend",
    "ex girlfriends",
    "ex boyfriend",
    "ex boyfriends",
    "coworker",
    "coworkers",
    "colleague",
    "colleagues",
    "a stranger",
    "strangers",
];
/// A delivery to or through someone else: no request for their data.
const DELIVERY_VIA: &[&str] = &[
    "deliver",
    "delivered",
    "delivery",
    "ship",
    "shipped",
    "send it",
    "sent it",
    "sent to",
    "send to",
    "left with",
    "leave it",
    "pick up",
    "picked up",
    "collect",
    "gift",
    "present",
];
const PERSONAL: &[&str] = &[
    "address",
    "addresses",
    "home address",
    "phone",
    "phone number",
    "mobile",
    "mobile number",
    "email",
    "emails",
    "email address",
    "contact details",
    "details",
    "order history",
    "purchase history",
    "lives",
    "live on",
    "live in",
    "live near",
    "lives on",
    "lives in",
    "where they live",
    "where she lives",
    "where he lives",
    "been ordering",
    "been buying",
    "password",
    "passwords",
    "personal",
    "card details",
];
const DATA: &[&str] = &[
    "customer database",
    "user database",
    "customer list",
    "list of all your customers",
    "list of your customers",
    "list of customers",
];

const INTRUSION: &[&str] = &[
    "admin panel",
    "admin password",
    "admin account",
    "admin rights",
    "admin access",
    "admin login",
    "back office",
    "your back end",
    "your backend",
    "the backend",
    "sql injection",
    "inject code",
    "malware",
    "ransomware",
    "ddos",
    "denial of service",
    "brute force",
    "hack",
    "hacking",
    "hack into",
    "break into",
    "breaking into",
    "take your site down",
    "take your website down",
    "take the site down",
    "take the website down",
    "site offline",
    "website offline",
    "shop offline",
    "crash your",
    "wipe your database",
    "delete your database",
    "drop your database",
    "delete all the products",
    "without a password",
    "without logging in",
    "bypass the login",
    "bypass your login",
    "bypass login",
    "bypass the password",
    "bypass your security",
    "get past your login",
    "get past the login",
    "flood of traffic",
];

const EVASION: &[&str] = &[
    "fake review",
    "fake reviews",
    "fake five star",
    "fake a warranty",
    "fake warranty",
    "fake claim",
    "keep the item without",
    "keep it without",
    "as unworn",
    "as if they were new",
    "as if it was new",
    "even though it did",
    "when it was fine",
    "pretend my parcel",
    "pretend it never",
    "say my parcel never",
    "claim it never arrived",
    "get round the limit",
    "get around the limit",
    "more than the limit",
    "bypass the limit",
    "swap the price",
    "price tags",
    "buys up all the stock",
    "buy up all the stock",
    "trick the system",
    "cheat the system",
    "game the system",
];

/// Asking how to mislead the shop, with the customer as the one who asks ([`ASKING`]):
/// - a claim made against the facts ("how do I claim it arrived broken when it didn't"): one
///   of [`AGAINST_FACTS`] with one of [`CLAIMING`] ("the courier said it came when it didn't"
///   is a complaint: nobody asks how to say it);
/// - the money and the goods both ("my money back but keep the product");
/// - words chosen for their effect ("what do I say so you refund me").
const ASKING: &[&str] = &[
    "how do i",
    "how can i",
    "how would i",
    "how should i",
    "can i",
    "could i",
    "should i",
    "help me",
    "what do i",
    "what should i",
    "what can i",
    "whats the trick",
    "is there a way",
    "any way",
];
const AGAINST_FACTS: &[&str] = &[
    "when it didnt",
    "when it wasnt",
    "when it hadnt",
    "when they didnt",
    "when they werent",
    "though it didnt",
    "though it wasnt",
    "though it did",
    "though it was",
];
const CLAIMING: &[&str] = &[
    "claim",
    "say",
    "pretend",
    "tell you",
    "report",
    "make out",
    "make it look",
];
const KEEP_BOTH: &[&str] = &["but keep", "but still keep", "and still keep", "keep both"];
const MONEY_BACK: &[&str] = &["refund", "refunded", "money back", "my money"];
const FOR_EFFECT: &[&str] = &[
    "so you refund",
    "so that you refund",
    "so youll refund",
    "so you give me",
    "so you send me",
];

/// Using a benefit more often than allowed ("the coupon over and over", "several accounts
/// for the welcome discount"): wrongdoing only with a benefit named, since "I've written over
/// and over" is a complaint.
const REUSE: &[&str] = &[
    "over and over",
    "again and again",
    "several accounts",
    "multiple accounts",
    "lots of accounts",
    "many accounts",
    "fake accounts",
    "new accounts",
];
const BENEFIT: &[&str] = &[
    "coupon",
    "coupons",
    "code",
    "codes",
    "discount",
    "discounts",
    "offer",
    "points",
    "voucher",
];

/// The kind of wrongdoing `message` asks for, by rule; `None` when no rule is sure.
pub fn detect(message: &str) -> Option<Wrongdoing> {
    let text = phrased(message);
    if has_any(&text, VICTIM) {
        return None;
    }
    if has_any(&text, INTRUSION) {
        return Some(Wrongdoing::Intrusion);
    }
    let known_other = has_any(&text, KNOWN_OTHERS) && !has_any(&text, DELIVERY_VIA);
    if has_any(&text, DATA) || ((has_any(&text, OTHERS) || known_other) && has_any(&text, PERSONAL))
    {
        return Some(Wrongdoing::PersonalData);
    }
    if (has_any(&text, CARD) && has_any(&text, NOT_THEIRS)) || has_any(&text, FRAUD) {
        return Some(Wrongdoing::Fraud);
    }
    let deceit = has_any(&text, ASKING)
        && ((has_any(&text, AGAINST_FACTS) && has_any(&text, CLAIMING))
            || (has_any(&text, KEEP_BOTH) && has_any(&text, MONEY_BACK))
            || has_any(&text, FOR_EFFECT));
    if deceit || has_any(&text, EVASION) || (has_any(&text, REUSE) && has_any(&text, BENEFIT)) {
        return Some(Wrongdoing::Evasion);
    }
    None
}

#[cfg(test)]
mod tests;
