//! Unit tests of [`Money`]: exact parsing, refusals, rendering and sums.

use serde_json::json;

use super::*;

fn cents(text: &str) -> Result<i64, MoneyError> {
    Money::parse(text).map(Money::cents)
}

fn json_cents(json: &str) -> Result<i64, MoneyError> {
    let value: Value = serde_json::from_str(json).unwrap();
    Money::from_json(&value).map(Money::cents)
}

fn price(json: &str) -> Result<i64, MoneyError> {
    let value: Value = serde_json::from_str(json).unwrap();
    Money::price(&value).map(Money::cents)
}

#[test]
fn decimals_become_exact_cents() {
    assert_eq!(cents("19.99"), Ok(1999));
    assert_eq!(cents("0.1"), Ok(10));
    assert_eq!(cents("0.07"), Ok(7));
    assert_eq!(cents("100"), Ok(10000));
    assert_eq!(cents("100.0"), Ok(10000));
    assert_eq!(cents("1.230"), Ok(123));
    assert_eq!(cents(" 12.5 "), Ok(1250));
    assert_eq!(cents("0"), Ok(0));
}

#[test]
fn exponents_are_read_as_json_writes_them() {
    assert_eq!(cents("1e2"), Ok(10000));
    assert_eq!(cents("1E2"), Ok(10000));
    assert_eq!(cents("1.5e1"), Ok(1500));
    assert_eq!(cents("1.25e+2"), Ok(12500));
    assert_eq!(cents("1999e-2"), Ok(1999));
    assert_eq!(cents("1234.5e-1"), Ok(12345));
    assert_eq!(cents("0e-1000"), Ok(0));
    assert_eq!(json_cents("1e2"), Ok(10000));
}

#[test]
fn a_third_decimal_is_refused_rather_than_rounded() {
    for bad in ["19.999", "1.005", "0.001", "1e-7", "1234.5e-2"] {
        assert_eq!(cents(bad), Err(MoneyError::TooManyDecimals), "{bad}");
    }
    assert_eq!(json_cents("19.999"), Err(MoneyError::TooManyDecimals));
}

#[test]
fn negatives_are_refused_but_negative_zero_is_zero() {
    assert_eq!(cents("-5"), Err(MoneyError::Negative));
    assert_eq!(cents("-0.01"), Err(MoneyError::Negative));
    assert_eq!(cents("-0"), Ok(0));
    assert_eq!(json_cents("-0.0"), Ok(0));
    assert_eq!(price("-0"), Err(MoneyError::NotPositive));
}

#[test]
fn huge_amounts_are_refused_instead_of_overflowing() {
    assert_eq!(cents("9999999999999.99"), Ok(Money::MAX.cents()));
    assert_eq!(
        cents("10000000000000"),
        Err(MoneyError::TooLarge(Money::MAX))
    );
    assert_eq!(cents("1e300"), Err(MoneyError::TooLarge(Money::MAX)));
    assert_eq!(json_cents("1e300"), Err(MoneyError::TooLarge(Money::MAX)));
    assert_eq!(
        json_cents("18446744073709551615"),
        Err(MoneyError::TooLarge(Money::MAX))
    );
}

#[test]
fn text_that_is_not_a_plain_number_is_refused() {
    for bad in [
        "", "-", "abc", "1.", ".5", "1,5", "1.2.3", "+5", "0x10", "1e", "NaN", "inf",
    ] {
        assert_eq!(cents(bad), Err(MoneyError::NotANumber), "{bad:?}");
    }
    assert_eq!(
        Money::from_json(&json!("19.99")),
        Err(MoneyError::NotANumber)
    );
    assert_eq!(Money::from_json(&Value::Null), Err(MoneyError::NotANumber));
}

#[test]
fn json_numbers_are_read_from_their_text_not_by_float_arithmetic() {
    // Arithmetic on doubles would give 1998 or 2000 for some of these.
    assert_eq!(json_cents("19.99"), Ok(1999));
    assert_eq!(json_cents("0.29"), Ok(29));
    assert_eq!(json_cents("1.15"), Ok(115));
    assert_eq!(json_cents("4.35"), Ok(435));
    assert_eq!(json_cents("20.0"), Ok(2000));
}

#[test]
fn a_price_is_positive_and_at_most_a_million() {
    assert_eq!(price("0"), Err(MoneyError::NotPositive));
    assert_eq!(price("0.01"), Ok(1));
    assert_eq!(price("1000000"), Ok(Money::MAX_PRICE.cents()));
    assert_eq!(
        price("1000000.01"),
        Err(MoneyError::TooLarge(Money::MAX_PRICE))
    );
    assert_eq!(price("-5"), Err(MoneyError::Negative));
    assert_eq!(price("\"5\""), Err(MoneyError::NotANumber));
}

#[test]
fn problems_read_as_a_fields_message() {
    assert_eq!(
        MoneyError::NotPositive.to_string(),
        "must be greater than 0"
    );
    assert_eq!(
        MoneyError::TooLarge(Money::MAX_PRICE).to_string(),
        "must be at most 1000000.00"
    );
}

#[test]
fn sums_are_exact_where_doubles_are_not() {
    let (a, b) = (Money::parse("0.1").unwrap(), Money::parse("0.2").unwrap());
    assert_eq!(a.plus(b), Some(Money::from_cents(30)));
    assert_eq!(serde_json::to_string(&a.plus(b).unwrap()).unwrap(), "0.3");
    assert_ne!(0.1 + 0.2, 0.3);
    assert_eq!(Money::sum([a; 10]), Some(Money::from_cents(100)));
    assert_eq!(
        Money::from_cents(1999).times(3),
        Some(Money::from_cents(5997))
    );
    assert_eq!(b.minus(a), Some(a));
}

#[test]
fn arithmetic_refuses_to_overflow() {
    let most = Money::from_cents(i64::MAX);
    assert_eq!(most.times(2), None);
    assert_eq!(most.plus(Money::from_cents(1)), None);
    assert_eq!(
        Money::from_cents(i64::MIN).minus(Money::from_cents(1)),
        None
    );
    assert_eq!(Money::sum([most, most]), None);
}

#[test]
fn amounts_print_as_json_numbers_with_at_most_two_decimals() {
    let json = |c| serde_json::to_string(&Money::from_cents(c)).unwrap();
    assert_eq!(json(1999), "19.99");
    assert_eq!(json(10), "0.1");
    assert_eq!(json(7), "0.07");
    assert_eq!(json(2000), "20.0");
    assert_eq!(json(-5), "-0.05");
    assert_eq!(json(Money::MAX.cents()), "9999999999999.99");
    for c in (0..Money::MAX_PRICE.cents()).step_by(9_973) {
        let printed = json(c);
        assert_eq!(cents(&printed), Ok(c), "{printed}");
    }
}

#[test]
fn display_shows_two_decimals() {
    assert_eq!(Money::from_cents(2000).to_string(), "20.00");
    assert_eq!(Money::from_cents(-105).to_string(), "-1.05");
}

#[test]
fn deserializing_reads_numbers_exactly_and_names_the_problem() {
    let read = |text: &str| serde_json::from_str::<Money>(text).map(Money::cents);
    assert_eq!(read("19.99").unwrap(), 1999);
    assert_eq!(read("12").unwrap(), 1200);
    assert_eq!(read("1e2").unwrap(), 10000);
    let err = read("19.999").unwrap_err().to_string();
    assert!(err.contains("must have at most two decimals"), "{err}");
    assert!(read("-1").unwrap_err().to_string().contains("negative"));
    assert!(read("\"19.99\"").is_err());
    assert!(read("null").is_err());
}
