//! The seven intents of DESIGN.md, "Assistant".

use serde::{Deserialize, Serialize};

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Returns, shipping, warranties, payments, privacy, cancellations: answered from the
    /// knowledge base, with citations.
    PolicyQuestion,
    /// The caller's own account: where an order is (`getOrderStatus` / `getCustomerOrders`),
    /// and their loyalty points and tier (`getLoyalty`, see `super::loyalty`).
    OrderStatus,
    /// Looking for a product: answered with `searchProducts`.
    ProductSearch,
    /// Something went wrong: empathy, and an escalation to a person.
    Complaint,
    /// Greetings, thanks, small talk: brief, and back to support.
    Chitchat,
    /// Unrelated to the shop: politely declined.
    OffTopic,
    /// Abuse: a boundary, and the end of the conversation.
    Violation,
}

impl Intent {
    /// Every intent, in a fixed order.
    pub const ALL: [Intent; 7] = [
        Self::PolicyQuestion,
        Self::OrderStatus,
        Self::ProductSearch,
        Self::Complaint,
        Self::Chitchat,
        Self::OffTopic,
        Self::Violation,
    ];

    /// The wire name, e.g. `policy_question`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PolicyQuestion => "policy_question",
            Self::OrderStatus => "order_status",
            Self::ProductSearch => "product_search",
            Self::Complaint => "complaint",
            Self::Chitchat => "chitchat",
            Self::OffTopic => "off_topic",
            Self::Violation => "violation",
        }
    }

    /// The intent named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.as_str() == name)
    }
}

impl std::fmt::Display for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for intent in Intent::ALL {
            assert_eq!(Intent::parse(intent.as_str()), Some(intent));
            assert_eq!(
                serde_json::to_value(intent).unwrap(),
                serde_json::json!(intent.as_str())
            );
        }
    }
}
