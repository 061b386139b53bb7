//! Searching the catalog: the words of a query, how they are matched, and how matches rank.
//!
//! A product matches when any word of the query occurs in its name, description or tags,
//! ignoring case (the database finds these candidates with one case-insensitive, escaped
//! regular expression per word and field; `$text` is not used because the MongoDB stand-in
//! does not support it dependably). Matches are then ranked here, by the sum over the query's
//! words of:
//!
//! | where the word is found | as a whole word (or the whole tag) | inside a longer word |
//! | --- | --- | --- |
//! | name | 10 | 6 |
//! | tags | 8 | 4 |
//! | description | 3 | 1 |
//!
//! (each field counts once per word, with its better score), plus 5 when the name contains the
//! whole query as typed (for queries of two or more words). Higher scores come first; equal
//! scores are ordered by id.

/// Most words in one query.
pub const MAX_TERMS: usize = 10;
/// Longest query, in characters.
pub const MAX_LENGTH: usize = 200;

/// A valid search: lowercase, distinct words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    terms: Vec<String>,
    phrase: String,
}

impl Search {
    /// Splits a query into words; refuses an over-long query or too many words.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > MAX_LENGTH {
            return Err(format!("must be at most {MAX_LENGTH} characters"));
        }
        let mut terms: Vec<String> = Vec::new();
        for word in raw.split_whitespace() {
            let word = word.to_lowercase();
            if !terms.contains(&word) {
                terms.push(word);
            }
        }
        if terms.is_empty() {
            return Err("must contain a word".to_owned());
        }
        if terms.len() > MAX_TERMS {
            return Err(format!("must have at most {MAX_TERMS} words"));
        }
        let phrase = raw
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        Ok(Self { terms, phrase })
    }

    /// The words, lowercase.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The words in a stable spelling, for cache keys.
    pub fn canonical(&self) -> String {
        self.phrase.clone()
    }

    /// The most a product can score: every word whole in the name, a tag and the
    /// description, plus the phrase bonus.
    pub fn best_score(&self) -> u32 {
        let words = u32::try_from(self.terms.len()).unwrap_or(u32::MAX);
        words * (10 + 8 + 3) + if words > 1 { 5 } else { 0 }
    }

    /// Whether every word occurs as a whole word of the name, of the description or of a tag
    /// (or is a whole tag).
    pub fn all_whole_words(&self, name: &str, description: &str, tags: &[String]) -> bool {
        let name = name.to_lowercase();
        let description = description.to_lowercase();
        let tags: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
        let mut found: Vec<&str> = words(&name);
        found.extend(words(&description));
        for tag in &tags {
            found.push(tag);
            found.extend(words(tag));
        }
        self.terms.iter().all(|t| found.contains(&t.as_str()))
    }

    /// How well a product matches (see the module docs); 0 when it does not.
    pub fn score(&self, name: &str, description: &str, tags: &[String]) -> u32 {
        let name = name.to_lowercase();
        let description = description.to_lowercase();
        let name_words = words(&name);
        let description_words = words(&description);
        let mut score = 0;
        for term in &self.terms {
            score += best(&name_words, &name, term, 10, 6);
            score += tags
                .iter()
                .map(|tag| {
                    let tag = tag.to_lowercase();
                    if tag == *term || words(&tag).contains(&term.as_str()) {
                        8
                    } else if tag.contains(term.as_str()) {
                        4
                    } else {
                        0
                    }
                })
                .max()
                .unwrap_or(0);
            score += best(&description_words, &description, term, 3, 1);
        }
        if self.terms.len() > 1 && name.contains(&self.phrase) {
            score += 5;
        }
        score
    }
}

/// `word` points when `term` is one of `words`, `inside` points when it occurs in `text`.
fn best(words: &[&str], text: &str, term: &str, word: u32, inside: u32) -> u32 {
    if words.contains(&term) {
        word
    } else if text.contains(term) {
        inside
    } else {
        0
    }
}

/// The words of a text: runs of letters and digits.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// `term` as a regular expression matching itself literally (the metacharacters of PCRE and
/// of Python's `re` escaped; nothing else is, since `\` before a letter may mean something).
pub fn escape_regex(term: &str) -> String {
    let mut out = String::with_capacity(term.len() * 2);
    for c in term.chars() {
        if "\\^$.|?*+()[]{}-/#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(raw: &str) -> Search {
        Search::parse(raw).unwrap()
    }

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn words_are_lowercased_and_deduplicated() {
        let s = search("  Red  SHOES red ");
        assert_eq!(s.terms(), ["red", "shoes"]);
        assert_eq!(s.canonical(), "red shoes red");
    }

    #[test]
    fn empty_long_and_wordy_queries_are_refused() {
        assert!(Search::parse("   ").is_err());
        assert!(Search::parse(&"a".repeat(MAX_LENGTH + 1)).is_err());
        let eleven = (0..=MAX_TERMS)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(Search::parse(&eleven).is_err());
    }

    #[test]
    fn a_name_hit_outranks_a_tag_hit_which_outranks_a_description_hit() {
        let s = search("lamp");
        let in_name = s.score("Desk Lamp", "", &[]);
        let in_tags = s.score("Desk light", "", &tags(&["lamp"]));
        let in_description = s.score("Desk light", "A small lamp.", &[]);
        assert!(in_name > in_tags && in_tags > in_description && in_description > 0);
    }

    #[test]
    fn a_whole_word_beats_part_of_a_word() {
        let s = search("lamp");
        assert!(s.score("Lamp", "", &[]) > s.score("Lampshade", "", &[]));
        assert!(s.score("x", "a lamp", &[]) > s.score("x", "lampshade", &[]));
        assert!(s.score("x", "", &tags(&["lamp"])) > s.score("x", "", &tags(&["lamps"])));
        assert_eq!(s.score("Chair", "wooden", &tags(&["seat"])), 0);
    }

    #[test]
    fn more_matching_words_and_the_exact_phrase_rank_higher() {
        let s = search("desk lamp");
        let both = s.score("Lamp for a desk", "", &[]);
        let phrase = s.score("Desk lamp", "", &[]);
        let one = s.score("Floor lamp", "", &[]);
        assert!(phrase > both && both > one);
    }

    #[test]
    fn all_whole_words_needs_every_word_whole_somewhere() {
        let s = search("desk lamp");
        assert!(s.all_whole_words("Lamp", "for a desk", &[]));
        assert!(s.all_whole_words("x", "", &tags(&["desk", "lamp"])));
        assert!(!s.all_whole_words("Desk Lamps", "", &[]));
        assert!(!s.all_whole_words("Lamp", "", &[]));
        assert_eq!(search("lamp").best_score(), 21);
        assert_eq!(s.best_score(), 47);
    }

    #[test]
    fn regex_metacharacters_are_escaped() {
        assert_eq!(escape_regex("c++"), "c\\+\\+");
        assert_eq!(escape_regex("a.b*(x)"), "a\\.b\\*\\(x\\)");
        assert_eq!(escape_regex("café"), "café");
    }
}
