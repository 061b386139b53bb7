//! Money as integer cents, read from the decimal text of a JSON number (never through a
//! float) and written back as a number with at most two decimals.

use serde_json::Value;

/// An amount in cents.
pub type Cents = i64;

/// Cents from a JSON number such as `19.99`, `12`, `12.5` or `1.25e2`; `None` for anything
/// that is not a number with at most two decimals. Negative amounts are allowed (refunds).
pub fn from_json(value: &Value) -> Option<Cents> {
    parse(&value.as_number()?.to_string())
}

/// Cents from decimal text.
pub fn parse(text: &str) -> Option<Cents> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_ok(whole) || !digits_ok(fraction) || exponent.abs() > 30 {
        return None;
    }
    // value = digits × 10^(exponent − fraction length); cents = value × 100.
    let digits = format!("{whole}{fraction}");
    let shift = exponent - i32::try_from(fraction.len()).ok()? + 2;
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let cents: i64 = if shift >= 0 {
        digits
            .parse::<i64>()
            .ok()?
            .checked_mul(10i64.checked_pow(u32::try_from(shift).ok()?)?)?
    } else {
        let cut = usize::try_from(-shift).ok()?;
        let (kept, dropped) = if cut >= digits.len() {
            ("0", digits)
        } else {
            digits.split_at(digits.len() - cut)
        };
        if dropped.bytes().any(|b| b != b'0') {
            return None;
        }
        kept.parse().ok()?
    };
    Some(if negative { -cents } else { cents })
}

/// Cents as a JSON number with at most two decimals, printed from its decimal text so that
/// it reads back exactly (`1999` → `19.99`).
pub fn to_json(cents: Cents) -> Value {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// `total / count`, rounded half away from zero to the cent; 0 when `count` is 0.
pub fn average(total: Cents, count: i64) -> Cents {
    if count == 0 {
        return 0;
    }
    let (q, r) = (total / count, total % count);
    if 2 * r.abs() >= count.abs() {
        q + total.signum() * count.signum()
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn amounts_are_read_from_the_numbers_text_exactly() {
        assert_eq!(from_json(&json!(19.99)), Some(1999));
        assert_eq!(from_json(&json!(0.1)), Some(10));
        assert_eq!(from_json(&json!(12)), Some(1200));
        assert_eq!(from_json(&json!(12.0)), Some(1200));
        assert_eq!(parse("1.25e2"), Some(12500));
        assert_eq!(parse("1999e-2"), Some(1999));
        assert_eq!(parse("-4.5"), Some(-450));
        assert_eq!(parse("19.999"), None);
        assert_eq!(from_json(&json!("19.99")), None);
    }

    #[test]
    fn cents_print_with_at_most_two_decimals() {
        assert_eq!(to_json(1999).to_string(), "19.99");
        assert_eq!(to_json(30).to_string(), "0.3");
        assert_eq!(to_json(1200).to_string(), "12.0");
        assert_eq!(to_json(-5).to_string(), "-0.05");
    }

    #[test]
    fn averages_round_half_up_to_the_cent() {
        assert_eq!(average(1000, 3), 333);
        assert_eq!(average(1001, 2), 501);
        assert_eq!(average(5, 0), 0);
    }
}
