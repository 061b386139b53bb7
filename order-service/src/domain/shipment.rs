//! Carriers, tracking numbers and delivery estimates for shipped orders.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

/// Carriers the fulfilment schedule picks from.
pub const CARRIERS: [&str; 4] = ["UPS", "FedEx", "DHL", "USPS"];

/// Days from placing an order to its estimated delivery.
pub const DAYS_TO_DELIVER_FROM_ORDER: i64 = 5;
/// Days from shipping to the estimated delivery.
pub const DAYS_TO_DELIVER_FROM_SHIPPING: i64 = 3;

/// A carrier picked at random.
pub fn any_carrier() -> String {
    CARRIERS[rand::rng().random_range(0..CARRIERS.len())].to_owned()
}

/// A fresh tracking number: `TRK` and 12 digits or capitals.
pub fn tracking_number() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let tail: String = (0..12)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("TRK{tail}")
}

/// The estimated delivery of an order placed at `at`.
pub fn estimate_from_order(at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::days(DAYS_TO_DELIVER_FROM_ORDER)
}

/// The estimated delivery of an order shipped at `at`.
pub fn estimate_from_shipping(at: DateTime<Utc>) -> DateTime<Utc> {
    at + Duration::days(DAYS_TO_DELIVER_FROM_SHIPPING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_are_distinct_and_well_formed() {
        let a = tracking_number();
        let b = tracking_number();
        assert_ne!(a, b);
        assert_eq!(a.len(), 15);
        assert!(a.starts_with("TRK"));
        assert!(
            a[3..]
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }

    #[test]
    fn a_made_up_carrier_is_a_known_one() {
        assert!(CARRIERS.contains(&any_carrier().as_str()));
    }
}
