//! Email addresses: the rule and the normalisation are `shared::api::email`'s (the gateway
//! applies the same one); here, the confusable skeleton (Unicode TS #39), which is unique among
//! accounts: `аda@…` in Cyrillic or `ａｄａ@…` in fullwidth forms cannot sign up beside `ada@…`.

pub use shared::api::email::Email;

/// The confusable skeleton of a (normalised) address: two addresses that look alike have the
/// same one. Stored with a unique index, so the check and the insert are one atomic step.
pub fn skeleton(email: &str) -> String {
    unicode_security::skeleton(email).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_share_a_skeleton_and_different_addresses_do_not() {
        let ada = skeleton("ada@example.com");
        // Cyrillic а (U+0430) in place of the Latin a.
        assert_eq!(skeleton("\u{430}da@example.com"), ada);
        assert_eq!(skeleton("\u{430}d\u{430}@ex\u{430}mple.com"), ada);
        assert_ne!(skeleton("bob@example.com"), ada);
        assert_ne!(skeleton("ada@example.org"), ada);
    }
}
