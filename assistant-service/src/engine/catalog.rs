//! Products in words: the product words of a search request, and search results as a support
//! specialist would say them.

use serde_json::Value;

use super::phrasing::{money, unavailable};
use crate::functions::FunctionError;

/// Words that ask for something without naming it.
const FILLER: &[&str] = &[
    "do",
    "does",
    "you",
    "your",
    "have",
    "has",
    "got",
    "any",
    "some",
    "a",
    "an",
    "the",
    "i",
    "im",
    "i'm",
    "me",
    "my",
    "we",
    "show",
    "find",
    "search",
    "searching",
    "for",
    "looking",
    "look",
    "need",
    "want",
    "buy",
    "like",
    "to",
    "see",
    "sell",
    "selling",
    "carry",
    "stock",
    "stocked",
    "in",
    "is",
    "are",
    "there",
    "what",
    "which",
    "kind",
    "kinds",
    "of",
    "can",
    "could",
    "please",
    "recommend",
    "good",
    "products",
    "product",
    "items",
    "item",
    "available",
    "how",
    "much",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "cost",
    "costs",
    "price",
    "shopping",
    "new",
    "would",
    "id",
    "get",
    "store",
    "shop",
    "catalog",
    "with",
    "and",
    "or",
    "on",
    "at",
    "be",
    "them",
    "one",
    "ones",
    "under",
    "over",
    "than",
    "cheaper",
    "cheapest",
    "best",
    "dollars",
    "also",
    "just",
    "anything",
    "something",
    "else",
    "sale",
    "whats",
    "tell",
    "about",
];

fn singular(word: &str) -> String {
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// The product words of a request ("do you have wireless headphones?" → "wireless headphone"),
/// or `None` when it names no product ("is it in stock?").
pub fn product_query(message: &str) -> Option<String> {
    let words: Vec<String> = crate::domain::text::words(&message.to_lowercase())
        .into_iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
        .filter(|w| {
            !w.is_empty()
                && !FILLER.contains(&w.as_str())
                && !w.chars().all(|c| c.is_ascii_digit() || c == '$')
        })
        .map(|w| singular(&w))
        .take(8)
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn availability(p: &Value) -> String {
    match p["stock"].as_i64() {
        Some(0) => "out of stock".to_owned(),
        Some(n) if n <= 5 => format!("only {n} left"),
        Some(_) => "in stock".to_owned(),
        None => "availability unknown".to_owned(),
    }
}

/// The answer listing search results.
pub fn product_list(result: &Result<Value, FunctionError>, query: &str) -> String {
    match result {
        Ok(found) => {
            let products = found["products"].as_array().cloned().unwrap_or_default();
            if products.is_empty() {
                return format!(
                    "I couldn't find anything matching \"{query}\" in our catalog. Could you try another word, or tell me more about what you need?"
                );
            }
            let lines: Vec<String> = products
                .iter()
                .map(|p| {
                    format!(
                        "{} at {} ({})",
                        p["name"].as_str().unwrap_or("a product"),
                        money(&p["price"]),
                        availability(p)
                    )
                })
                .collect();
            format!(
                "Here's what I found for \"{query}\": {}. Would you like more details on any of them?",
                lines.join("; ")
            )
        }
        Err(FunctionError::Unavailable(_)) => unavailable("catalog"),
        Err(_) => format!("I couldn't search for \"{query}\" just now. Could you rephrase it?"),
    }
}

/// The answer about the product talked about last.
pub fn one_product(result: &Result<Value, FunctionError>, name: &str) -> String {
    match result {
        Ok(found) => match found["products"].get(0) {
            Some(p) => format!(
                "The {} costs {} and is {}.",
                p["name"].as_str().unwrap_or(name),
                money(&p["price"]),
                availability(p)
            ),
            None => format!(
                "I can't find the {name} in our catalog any more; it may have been removed."
            ),
        },
        Err(FunctionError::Unavailable(_)) => unavailable("catalog"),
        Err(_) => format!("I couldn't look up the {name} just now."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_words_are_kept_and_filler_dropped() {
        assert_eq!(
            product_query("Do you have wireless headphones?").as_deref(),
            Some("wireless headphone")
        );
        assert_eq!(
            product_query("I'm looking for a laptop bag").as_deref(),
            Some("laptop bag")
        );
        assert_eq!(product_query("is it in stock?"), None);
        assert_eq!(product_query("how much does it cost"), None);
    }
}
