//! Requests for wrongdoing (issue 21): a `violation` is not only abuse. Four kinds, each
//! refused without detail and ending the conversation; the data and intrusion kinds also raise
//! a security alert for the admins.
//!
//! [`detect`] is the rule that needs no model: phrases that say what is wanted and whose it
//! is, with the victim's side left out ("my card was stolen", "my account was hacked" are
//! complaints, not requests; the phrases are in `phrases`). The nearest labelled examples
//! (`violation/<kind>` lines of `data/intents.tsv`) catch the paraphrases these phrases miss.

mod phrases;

use super::text::{has_any, phrased};
use phrases::{
    AGAINST_FACTS, ASKING, BENEFIT, CARD, CLAIMING, DATA, DELIVERY_VIA, EVASION, FOR_EFFECT, FRAUD,
    INTRUSION, KEEP_BOTH, KNOWN_OTHERS, MONEY_BACK, NOT_THEIRS, OTHERS, PERSONAL, REUSE, VICTIM,
};

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
