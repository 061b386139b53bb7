//! Searching by meaning as well as by words: what text of a product is embedded, and how the
//! keyword score of [`super::search`] and the embeddings' cosine similarity combine.
//!
//! With the embedding model loaded, `GET /products?search=` considers every product that passes
//! the other filters, and keeps those that match a word of the query (as the keyword search
//! does) or whose embedding is similar to the query's, at least [`MIN_SIMILARITY`]. They are
//! ranked in two tiers:
//!
//! 1. **Exact matches first**: products in which every significant word of the query (see
//!    [`STOPWORDS`]) occurs as a whole word of the name, a tag or the description.
//! 2. Then everything else that matched.
//!
//! Inside each tier the order is by the hybrid score
//! `KEYWORD_WEIGHT × keyword + VECTOR_WEIGHT × similarity`, where `keyword` is the keyword
//! score over the significant words divided by the most those words can score (so 0..=1), and
//! `similarity` the cosine similarity of the embeddings (a product not embedded yet counts 0).
//! Ties go by id, so paging is stable.
//!
//! | weight | value | why |
//! | --- | --- | --- |
//! | [`KEYWORD_WEIGHT`] | 0.4 | a word in the name still lifts a product among similar ones |
//! | [`VECTOR_WEIGHT`] | 0.6 | meaning decides when the words do not match |
//! | [`MIN_SIMILARITY`] | 0.3 | all-MiniLM-L6-v2 puts unrelated texts below about 0.15 and related ones above 0.3 |
//!
//! Without the model the service keeps the keyword search alone (see [`super::search`]).

use bson::oid::ObjectId;

use super::search::Search;

/// Share of the keyword score in the hybrid score.
pub const KEYWORD_WEIGHT: f32 = 0.4;
/// Share of the embeddings' similarity in the hybrid score.
pub const VECTOR_WEIGHT: f32 = 0.6;
/// Least similarity that makes a product a match without a matching word.
pub const MIN_SIMILARITY: f32 = 0.3;

/// Words that say nothing about a product: left out of the keyword part of a hybrid search
/// (unless the query has nothing else), so that "a gift for someone who..." does not match every
/// description holding "a" or "for". The embedding still sees the whole query.
pub const STOPWORDS: [&str; 40] = [
    "a",
    "an",
    "the",
    "and",
    "or",
    "for",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "with",
    "from",
    "as",
    "is",
    "are",
    "be",
    "it",
    "its",
    "this",
    "that",
    "these",
    "who",
    "what",
    "which",
    "i",
    "me",
    "my",
    "we",
    "you",
    "your",
    "someone",
    "something",
    "anyone",
    "some",
    "any",
    "need",
    "want",
    "looking",
];

/// The text embedded for a product: name, description, category and tags, in that order.
pub fn product_text(name: &str, description: &str, category: &str, tags: &[String]) -> String {
    let mut text = name.trim().to_owned();
    for part in [description.trim(), category.trim(), &tags.join(", ")] {
        if !part.is_empty() {
            text.push_str(". ");
            text.push_str(part);
        }
    }
    text
}

/// The significant words of `search` as a search of their own, or the whole search when every
/// word is a stopword.
pub fn significant(search: &Search) -> Search {
    let kept: Vec<&str> = search
        .terms()
        .iter()
        .map(String::as_str)
        .filter(|t| !STOPWORDS.contains(t))
        .collect();
    if kept.is_empty() {
        return search.clone();
    }
    Search::parse(&kept.join(" ")).unwrap_or_else(|_| search.clone())
}

/// One product as the hybrid ranking sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The product.
    pub id: ObjectId,
    /// Its keyword score for the significant words ([`Search::score`]).
    pub keyword: u32,
    /// Whether every significant word occurs in it as a whole word.
    pub exact: bool,
    /// Cosine similarity of its embedding to the query's; `None` when it has none yet.
    pub similarity: Option<f32>,
}

impl Candidate {
    /// Whether it belongs in the results at all.
    pub fn matches(&self) -> bool {
        self.keyword > 0 || self.similarity.is_some_and(|s| s >= MIN_SIMILARITY)
    }

    /// The hybrid score; `best_keyword` is the most the query's significant words can score.
    pub fn score(&self, best_keyword: u32) -> f32 {
        let keyword = self.keyword as f32 / best_keyword.max(1) as f32;
        KEYWORD_WEIGHT * keyword.min(1.0) + VECTOR_WEIGHT * self.similarity.unwrap_or(0.0)
    }
}

/// The matching candidates' ids, best first (see the module docs).
pub fn rank(search: &Search, candidates: Vec<Candidate>) -> Vec<ObjectId> {
    let best = search.best_score();
    let mut kept: Vec<(bool, f32, ObjectId)> = candidates
        .into_iter()
        .filter(Candidate::matches)
        .map(|c| (c.exact, c.score(best), c.id))
        .collect();
    kept.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
    kept.into_iter().map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes([n; 12])
    }

    fn candidate(n: u8, keyword: u32, exact: bool, similarity: Option<f32>) -> Candidate {
        Candidate {
            id: id(n),
            keyword,
            exact,
            similarity,
        }
    }

    #[test]
    fn stopwords_leave_the_keyword_part_unless_nothing_else_is_left() {
        let s = Search::parse("A gift for someone who loves COOKING").unwrap();
        assert_eq!(significant(&s).terms(), ["gift", "loves", "cooking"]);
        let only = Search::parse("for the").unwrap();
        assert_eq!(significant(&only).terms(), ["for", "the"]);
    }

    #[test]
    fn the_product_text_joins_the_fields_that_are_there() {
        let tags = vec!["pan".to_owned(), "kitchen".to_owned()];
        assert_eq!(
            product_text("Skillet", "Cast iron.", "Kitchen", &tags),
            "Skillet. Cast iron.. Kitchen. pan, kitchen"
        );
        assert_eq!(
            product_text("Skillet", " ", "Kitchen", &[]),
            "Skillet. Kitchen"
        );
    }

    #[test]
    fn exact_matches_come_first_even_when_less_similar() {
        let s = Search::parse("lamp").unwrap();
        let ranked = rank(
            &s,
            vec![
                candidate(1, 0, false, Some(0.9)),
                candidate(2, 3, true, Some(0.1)),
                candidate(3, 10, true, Some(0.5)),
            ],
        );
        assert_eq!(ranked, [id(3), id(2), id(1)]);
    }

    #[test]
    fn a_similar_product_without_the_words_is_found_and_an_unrelated_one_is_not() {
        let s = Search::parse("cooking gift").unwrap();
        let ranked = rank(
            &s,
            vec![
                candidate(1, 0, false, Some(0.05)),
                candidate(2, 0, false, Some(0.42)),
                candidate(3, 0, false, None),
                candidate(4, 1, false, Some(0.1)),
            ],
        );
        assert_eq!(ranked, [id(2), id(4)]);
    }

    #[test]
    fn the_keyword_part_breaks_near_ties_of_meaning() {
        let s = Search::parse("desk lamp").unwrap();
        let a = candidate(1, 0, false, Some(0.50));
        let b = candidate(2, 10, false, Some(0.48));
        assert!(b.score(s.best_score()) > a.score(s.best_score()));
        assert_eq!(rank(&s, vec![a, b]), [id(2), id(1)]);
    }
}
