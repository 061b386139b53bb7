//! Citations in an answer: `[Policy3.1]`. Every bracket that looks like a policy citation is
//! checked against the knowledge base; those that name no policy are removed from the text and
//! reported, so an answer never points at a policy that does not exist.

use super::knowledge::KnowledgeBase;

/// The citation marker for a policy id.
pub fn cite(id: &str) -> String {
    format!("[{id}]")
}

/// An answer after its citations were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The text with invalid citations removed.
    pub text: String,
    /// The valid citations, in order of first appearance, each once.
    pub citations: Vec<String>,
    /// What was removed (as written).
    pub removed: Vec<String>,
}

impl Checked {
    /// `true` when nothing had to be removed.
    pub fn valid(&self) -> bool {
        self.removed.is_empty()
    }
}

/// Checks every `[Policy…]` in `text` against `kb`.
pub fn check(text: &str, kb: &KnowledgeBase) -> Checked {
    let mut out = String::with_capacity(text.len());
    let mut citations: Vec<String> = Vec::new();
    let mut removed = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        let inner = &rest[open + 1..close];
        out.push_str(&rest[..open]);
        if inner.trim().to_ascii_lowercase().starts_with("policy") {
            let mut kept = Vec::new();
            for part in inner.split([',', ';']) {
                let id: String = part.chars().filter(|c| !c.is_whitespace()).collect();
                match kb.get(&id) {
                    Some(policy) => {
                        if !citations.contains(&policy.id) {
                            citations.push(policy.id.clone());
                        }
                        kept.push(cite(&policy.id));
                    }
                    None => removed.push(part.trim().to_owned()),
                }
            }
            if kept.is_empty() {
                // Drop the space that stood before the removed marker.
                while out.ends_with(' ') {
                    out.pop();
                }
            } else {
                out.push_str(&kept.join(" "));
            }
        } else {
            out.push_str(&rest[open..=close]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Checked {
        text: tidy(&out),
        citations,
        removed,
    }
}

/// Collapses doubled spaces and spaces before punctuation left by removals.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if (c == ' ' && out.ends_with(' ')) || (".,;:!?".contains(c) && out.ends_with(' ')) {
            if c != ' ' {
                out.pop();
                out.push(c);
            }
            continue;
        }
        out.push(c);
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_citations_are_kept_and_listed_once() {
        let kb = KnowledgeBase::shipped();
        let c = check(
            "Returns take 30 days [Policy3.1]. Refunds [Policy3.3] [Policy3.1].",
            &kb,
        );
        assert_eq!(c.citations, ["Policy3.1", "Policy3.3"]);
        assert!(c.valid());
        assert_eq!(
            c.text,
            "Returns take 30 days [Policy3.1]. Refunds [Policy3.3] [Policy3.1]."
        );
    }

    #[test]
    fn invented_citations_are_removed_and_reported() {
        let kb = KnowledgeBase::shipped();
        let c = check(
            "Returns take 30 days [Policy3.1]. Pets ride free [Policy9.9].",
            &kb,
        );
        assert_eq!(c.text, "Returns take 30 days [Policy3.1]. Pets ride free.");
        assert_eq!(c.citations, ["Policy3.1"]);
        assert_eq!(c.removed, ["Policy9.9"]);
        assert!(!c.valid());
    }

    #[test]
    fn lists_and_odd_spacing_are_understood_and_other_brackets_left_alone() {
        let kb = KnowledgeBase::shipped();
        let c = check("See [Policy 3.1, Policy42] and [this link].", &kb);
        assert_eq!(c.text, "See [Policy3.1] and [this link].");
        assert_eq!(c.removed, ["Policy42"]);
    }
}
