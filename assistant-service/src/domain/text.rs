//! Turning a message into tokens: lower case, placeholders for order ids, emails and numbers,
//! and a light suffix stemmer, so that "returns" and "returned" count as "return".

/// The token an order id (24 hexadecimal digits) becomes.
pub const ORDER_ID: &str = "#orderid";
/// The token an email address becomes.
pub const EMAIL: &str = "#email";
/// The token a number or an amount becomes.
pub const NUMBER: &str = "#num";

/// Whether `word` is a MongoDB ObjectId: exactly 24 hexadecimal digits.
pub fn is_object_id(word: &str) -> bool {
    word.len() == 24 && word.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `message`'s words, lower-cased, without apostrophes, joined by single spaces and padded
/// with one at each end, so that a phrase can be looked for as ` phrase ` (see [`has_any`]).
pub fn phrased(message: &str) -> String {
    let lower: Vec<String> = words(message)
        .into_iter()
        .map(|w| w.to_lowercase().replace(['\'', '\u{2019}'], ""))
        .collect();
    format!(" {} ", lower.join(" "))
}

/// Whether `text` (made by [`phrased`]) holds any of `phrases` as whole words.
pub fn has_any(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| text.contains(&format!(" {p} ")))
}

/// The raw words of `text`: runs of letters, digits and the characters `' * @ . - _ +`
/// that can sit inside a word, an email or a censored swear word, trimmed of punctuation.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || "'*@.-_+$".contains(c)))
        .map(|w| w.trim_matches(|c: char| ".-_'+".contains(c)))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The order ids in `text`, in order of appearance.
pub fn order_ids(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| is_object_id(w))
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// The first email address in `text`.
pub fn email(text: &str) -> Option<String> {
    words(text)
        .into_iter()
        .find(|w| is_email(w))
        .map(|w| w.to_lowercase())
}

fn is_email(word: &str) -> bool {
    let Some((local, domain)) = word.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
}

/// Normalised tokens of `text`: lower case, apostrophes dropped ("what's" → "whats"),
/// placeholders for order ids, emails and numbers, and stemmed.
pub fn tokens(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .flat_map(|w| {
            if is_object_id(&w) {
                return vec![ORDER_ID.to_owned()];
            }
            if is_email(&w) {
                return vec![EMAIL.to_owned()];
            }
            let lower = w.to_lowercase().replace('\'', "");
            if lower
                .trim_start_matches('$')
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
                && lower.chars().any(|c| c.is_ascii_digit())
            {
                return vec![NUMBER.to_owned()];
            }
            // "usb-c" stays one token; "t-shirts" too; a stray "$" or "." goes.
            let cleaned: String = lower.chars().filter(|c| *c != '$').collect();
            cleaned
                .split('.')
                .filter(|p| !p.is_empty())
                .map(stem)
                .collect()
        })
        .collect()
}

/// A light stemmer: strips "ing", "ed", "es" and "s" from longer words.
pub fn stem(word: &str) -> String {
    let w = word;
    let n = w.chars().count();
    if !w.is_ascii() || n <= 3 {
        return w.to_owned();
    }
    for (suffix, min) in [("ing", 6), ("ed", 5), ("ies", 5), ("es", 6), ("s", 4)] {
        if n >= min && w.ends_with(suffix) && !w.ends_with("ss") && !w.ends_with("us") {
            let base = &w[..w.len() - suffix.len()];
            return if suffix == "ies" {
                format!("{base}y")
            } else {
                base.to_owned()
            };
        }
    }
    w.to_owned()
}

/// Unigrams and adjacent bigrams of `tokens`: the classifier's features.
pub fn features(tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tokens.to_vec();
    out.extend(
        tokens
            .windows(2)
            .map(|pair| format!("{} {}", pair[0], pair[1])),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_replace_ids_emails_and_numbers() {
        let t = tokens("Is order 65F1C2A9B4E8D7C6A5B4C3D2 for alex@example.com under $500?");
        assert_eq!(t, ["is", "order", ORDER_ID, "for", EMAIL, "under", NUMBER]);
    }

    #[test]
    fn apostrophes_go_and_suffixes_are_stripped() {
        assert_eq!(
            tokens("What's shipping? Returns returned"),
            ["what", "shipp", "return", "return"]
        );
        assert_eq!(stem("policies"), "policy");
        assert_eq!(stem("address"), "address");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn order_ids_and_emails_are_found_in_running_text() {
        let text = "order 507f1f77bcf86cd799439011, email Alex@Example.com.";
        assert_eq!(order_ids(text), ["507f1f77bcf86cd799439011"]);
        assert_eq!(email(text).as_deref(), Some("alex@example.com"));
        assert!(order_ids("abc 507f1f77bcf86cd79943901 xyz").is_empty());
    }

    #[test]
    fn features_are_unigrams_and_bigrams() {
        let f = features(&tokens("return policy"));
        assert_eq!(f, ["return", "policy", "return policy"]);
    }
}
