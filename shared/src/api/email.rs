//! Email addresses: normalised (NFKC, lowercase) and refused when they hold characters that
//! cannot be seen or reorder what is seen (control, format and bidi characters). The rule of
//! every `email` field of the API; customer-service adds the confusable skeleton.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// A normalised email address: NFKC, trimmed, lowercase, `local@domain.tld`, nothing
/// invisible in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses and normalises.
    pub fn parse(raw: &str) -> Result<Self, String> {
        // NFKC first: fullwidth and other compatibility forms become the letters they show.
        let email = raw.nfkc().collect::<String>().trim().to_lowercase();
        if email.chars().any(hidden) {
            return Err("must not contain control, format or direction characters".to_owned());
        }
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && domain.contains('.')
                    && !domain.contains("..")
                    && !domain.contains('@')
            })
            && !email.chars().any(char::is_whitespace);
        if valid {
            Ok(Self(email))
        } else {
            Err("must be a valid email address".to_owned())
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters that are not seen, or that change how their neighbours are shown: controls,
/// format characters (zero-width spaces and joiners, bidi embeddings, overrides and isolates,
/// soft hyphens), line and paragraph separators, and private or unassigned code points.
fn hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.com",
            "a b@example.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn fullwidth_forms_normalise_to_the_address_they_show() {
        let email = Email::parse(" ＡＤＡ@ｅｘａｍｐｌｅ．ｃｏｍ ").unwrap();
        assert_eq!(email.as_str(), "ada@example.com");
    }

    #[test]
    fn invisible_and_direction_characters_are_refused() {
        for raw in [
            "ada\u{200b}@example.com",
            "ada\u{200d}@example.com",
            "ada\u{202e}moc.elpmaxe@x.com",
            "ada\u{2066}@example.com",
            "ada\u{00ad}@example.com",
            "ada\u{0007}@example.com",
            "ada\u{feff}@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?}");
        }
    }
}
