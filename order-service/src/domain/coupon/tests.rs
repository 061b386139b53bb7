use super::*;

fn coupon(body: serde_json::Value) -> Coupon {
    let input: CouponInput = shared::api::parse(body.to_string().as_bytes()).unwrap();
    Coupon::from_input(&input, 0).unwrap()
}

fn tier(name: &str) -> Tier {
    Tier {
        name: name.to_owned(),
        discount: Percent::ZERO,
    }
}

#[test]
fn a_code_is_kept_upper_cased_and_a_percent_in_basis_points() {
    let c = coupon(serde_json::json!({"code": "welcome10", "kind": "percent", "value": 12.5}));
    assert_eq!(c.code, "WELCOME10");
    assert_eq!(c.value, 1250);
    assert_eq!(
        c.pricing().discount(Money::from_cents(10_000)),
        Money::from_cents(1250)
    );
}

#[test]
fn each_rule_refuses_with_its_own_reason() {
    let c = coupon(
        serde_json::json!({"code": "GOLD20", "kind": "percent", "value": 20,
        "minSubtotal": 30, "validFrom": "1970-01-01T00:00:01Z",
        "validUntil": "1970-01-01T00:00:10Z", "usageLimit": 2, "perCustomerLimit": 1,
        "minTier": "Gold"}),
    );
    let (gold, fifty) = (tier("Gold"), Money::from_cents(5000));
    let ok = |c: &Coupon| c.check("a", &gold, fifty, 5_000, true);
    assert_eq!(ok(&c), Ok(()));
    assert_eq!(
        c.check("a", &gold, fifty, 500, true),
        Err(Refusal::NotYetValid)
    );
    assert_eq!(
        c.check("a", &gold, fifty, 10_000, true),
        Err(Refusal::Expired)
    );
    assert_eq!(
        c.check("a", &tier("Silver"), fifty, 5_000, true),
        Err(Refusal::TierTooLow)
    );
    assert_eq!(
        c.check("a", &gold, Money::from_cents(2999), 5_000, true),
        Err(Refusal::BelowMinimum)
    );
    let mut used = c.clone();
    used.per_customer.insert(customer_key("a"), 1);
    used.used = 1;
    assert_eq!(ok(&used), Err(Refusal::PerCustomerLimit));
    assert_eq!(used.check("b", &gold, fifty, 5_000, true), Ok(()));
    assert_eq!(
        used.check("a", &gold, fifty, 5_000, false),
        Ok(()),
        "a use already held"
    );
    used.used = 2;
    assert_eq!(
        used.check("b", &gold, fifty, 5_000, true),
        Err(Refusal::UsedUp)
    );
    let mut paused = c;
    paused.active = false;
    assert_eq!(ok(&paused), Err(Refusal::Paused));
}
