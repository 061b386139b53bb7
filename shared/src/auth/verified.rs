//! The tokens a verifier has checked the signature of, with their claims, until they expire:
//! the signature check is the costly part and a token's validity never changes (revocation is
//! still looked up on every use). Bounded: when full, the oldest entries go, one at a time. It
//! used to be emptied all at once, and every busy client's next request paid a signature check
//! together.

use std::collections::{HashMap, VecDeque};

use super::Claims;

/// Verified tokens, oldest first out.
#[derive(Debug)]
pub(super) struct Verified {
    claims: HashMap<String, Claims>,
    /// Tokens in the order they were remembered.
    order: VecDeque<String>,
    capacity: usize,
}

impl Verified {
    /// An empty memory of at most `capacity` tokens.
    pub fn new(capacity: usize) -> Self {
        Self {
            claims: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The claims of `token` if it was remembered and has not expired at `now` (seconds).
    pub fn get(&self, token: &str, now: i64) -> Option<Claims> {
        self.claims.get(token).filter(|c| c.exp > now).cloned()
    }

    /// Remembers `token` (again: with these claims), making room by forgetting the oldest.
    pub fn insert(&mut self, token: &str, claims: &Claims) {
        if let Some(known) = self.claims.get_mut(token) {
            *known = claims.clone();
            return;
        }
        while self.claims.len() >= self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.claims.remove(&oldest);
        }
        self.claims.insert(token.to_owned(), claims.clone());
        self.order.push_back(token.to_owned());
    }

    /// How many tokens are remembered.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.claims.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn claims(sub: &str, exp: i64) -> Claims {
        Claims {
            sub: sub.to_owned(),
            role: Role::Customer,
            jti: sub.to_owned(),
            sid: String::new(),
            iat: 0,
            exp,
            iss: crate::auth::ISSUER.to_owned(),
        }
    }

    #[test]
    fn a_full_memory_forgets_its_oldest_token_only() {
        let mut verified = Verified::new(3);
        for token in ["a", "b", "c", "d"] {
            verified.insert(token, &claims(token, 100));
        }

        assert_eq!(verified.len(), 3);
        assert!(verified.get("a", 0).is_none(), "the oldest went");
        for token in ["b", "c", "d"] {
            assert!(verified.get(token, 0).is_some(), "{token} stays");
        }
    }

    #[test]
    fn an_expired_token_is_not_given_back() {
        let mut verified = Verified::new(3);
        verified.insert("a", &claims("a", 100));

        assert!(verified.get("a", 99).is_some());
        assert!(verified.get("a", 100).is_none());
    }

    #[test]
    fn remembering_a_token_twice_keeps_one_entry() {
        let mut verified = Verified::new(2);
        verified.insert("a", &claims("a", 100));
        verified.insert("a", &claims("a", 100));
        verified.insert("b", &claims("b", 100));

        assert!(verified.get("a", 0).is_some());
        assert!(verified.get("b", 0).is_some());
    }
}
