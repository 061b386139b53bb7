//! Concept features: words that mean the same thing to a support desk map to one feature
//! (`@returns`, `@tracking`, `@negative`, ...), so the classifier generalises from a few
//! hundred examples to words it has not seen with a given intent. The model still learns how
//! much each concept weighs for each intent; the lexicon only says which words belong together.

/// Concepts and their words (stems as [`super::text::tokens`] makes them, matched by prefix
/// when at least five letters long).
#[rustfmt::skip]
const CONCEPTS: &[(&str, &[&str])] = &[
    ("@returns", &["return", "refund", "exchange", "restock", "money", "reimburs", "send"]),
    ("@shipping", &["shipping", "shipp", "ship", "express", "international", "overseas",
        "abroad", "weekend", "sunday", "saturday"]),
    ("@payment", &["pay", "payment", "card", "credit", "debit", "paypal", "charg", "installment",
        "instalment", "tax", "checkout", "billing", "secure", "price"]),
    ("@warranty", &["warranty", "guarantee", "repair", "protection", "cover", "coverage"]),
    ("@privacy", &["privacy", "data", "personal", "cookie", "delete", "account", "information",
        "gdpr"]),
    ("@cancel", &["cancel", "cancell", "cancellation"]),
    ("@rules", &["policy", "policy", "rule", "allow", "fee", "free", "cost", "long", "can",
        "option"]),
    ("@tracking", &["track", "tracking", "where", "wher", "status", "arrive", "arrival", "eta",
        "update", "package", "parcel", "shipment", "deliver", "delivery", "courier", "carrier",
        "dispatch", "stuff"]),
    ("@mine", &["my", "mine", "#orderid", "#email"]),
    ("@want", &["looking", "look", "need", "want", "find", "show", "search", "buy", "recommend",
        "sell", "carry", "stock", "available", "cheap", "cheapest", "got", "size", "colour",
        "color", "model"]),
    ("@goods", &["headphone", "shoe", "boot", "laptop", "phone", "jacket", "shirt", "t-shirt",
        "lamp", "desk", "bag", "backpack", "camera", "watch", "keyboard", "mouse", "monitor",
        "tablet", "charger", "cable", "speaker", "blender", "coffee", "tea", "mug", "bottle",
        "book", "toy", "game", "sock", "sofa", "chair", "knive", "knife", "snack", "battery",
        "batterie", "sunglass", "machine", "vacuum", "mat", "gift"]),
    ("@negative", &["upset", "angry", "furious", "disappoint", "frustrat", "terrible", "awful",
        "worst", "horrible", "unacceptable", "ridiculous", "broke", "broken", "damag",
        "defective", "faulty", "wrong", "missing", "late", "delay", "never", "nobody", "rude",
        "scam", "nightmare", "unhappy", "dissatisf", "complain", "complaint", "manager",
        "escalat", "supervisor", "annoy", "satisf", "lied", "joke", "compensation", "overcharg",
        "stolen", "ripp", "fed", "poor", "bad", "empty", "used", "still", "again", "runaround",
        "crash", "denied", "unfair"]),
    ("@greet", &["hi", "hello", "hey", "hiya", "yo", "morning", "afternoon", "evening",
        "greeting", "howdy", "there"]),
    ("@thanks", &["thank", "thanks", "thx", "cheer", "appreciate", "helpful", "great", "awesome",
        "perfect", "ok", "okay", "cool", "lol", "haha", "nice", "good", "sound"]),
    ("@bye", &["bye", "goodbye", "later", "cya", "night", "farewell"]),
    ("@self", &["you", "your", "yourself", "youre", "name", "who", "human", "person", "bot",
        "ai", "real", "anyone"]),
    ("@help", &["help", "assist", "question", "ask", "talk"]),
    ("@world", &["weather", "football", "soccer", "score", "politic", "president", "election",
        "capital", "movie", "film", "song", "music", "poem", "joke", "story", "recipe", "cook",
        "pasta", "cake", "homework", "math", "essay", "physic", "science", "moon", "planet",
        "everest", "mountain", "dinosaur", "dog", "cat", "car", "engine", "flight", "vacation",
        "restaurant", "bitcoin", "crypto", "invest", "translate", "spanish", "python",
        "programming", "code", "twitter", "trending", "news", "advice", "relationship",
        "meaning", "life", "population", "history", "rome", "paint", "quantum", "vaccine",
        "airplane", "fly", "team", "win", "won", "taxes", "time", "color", "favorite",
        "favourite", "instruction", "prompt", "pretend", "restriction", "hidden"]),
];

/// The concepts `tokens` mention, each once.
pub fn concepts(tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (concept, words) in CONCEPTS {
        let hit = tokens.iter().any(|t| {
            words
                .iter()
                .any(|w| t == w || (w.len() >= 5 && t.starts_with(w)))
        });
        if hit {
            out.push((*concept).to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::tokens;

    #[test]
    fn related_words_share_a_concept() {
        assert_eq!(concepts(&tokens("Bye!")), ["@bye"]);
        assert!(concepts(&tokens("my refund was denied")).contains(&"@returns".to_owned()));
        assert!(concepts(&tokens("I'm so disappointed")).contains(&"@negative".to_owned()));
    }
}
