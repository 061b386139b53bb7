//! The pricing function: worked examples, then properties over random carts and discounts.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::*;

fn cents(c: i64) -> Money {
    Money::from_cents(c)
}

fn percent(n: u32) -> Option<Coupon> {
    Some(Coupon {
        value: CouponValue::Percent(Percent::whole(n)),
        max_discount: None,
    })
}

fn fixed(c: i64) -> Option<Coupon> {
    Some(Coupon {
        value: CouponValue::Fixed(cents(c)),
        max_discount: None,
    })
}

fn priced(lines: &[i64], discounts: Discounts) -> Quote {
    let lines: Vec<Money> = lines.iter().copied().map(cents).collect();
    quote(&lines, &discounts).unwrap()
}

#[test]
fn without_discounts_a_cart_over_fifty_ships_free_and_pays_eight_percent_tax() {
    // Lamp 19.99 × 3 and Pin 0.10 × 3: tax 8 % of 60.27 = 4.8216, down to 4.82.
    let q = priced(&[5997, 30], Discounts::NONE);
    assert_eq!(q.subtotal, cents(6027));
    assert_eq!(q.shipping, Money::ZERO);
    assert_eq!(q.tax, cents(482));
    assert_eq!(q.total, cents(6509));
    assert_eq!(q.discounted_subtotal(), cents(6027));
}

#[test]
fn a_small_cart_pays_shipping_and_tax_on_the_shipping_too() {
    // 10.00 + 5.99 = 15.99; 8 % = 1.2792, up to 1.28.
    let q = priced(&[1000], Discounts::NONE);
    assert_eq!(q.shipping, cents(599));
    assert_eq!(q.tax, cents(128));
    assert_eq!(q.total, cents(1727));
}

#[test]
fn discounts_apply_coupon_then_tier_then_points() {
    // 120.00 − 10 % coupon (12.00) = 108.00 − 5 % tier (5.40) = 102.60 − 1,250 points
    // (12.50) = 90.10; free shipping; tax 7.208 → 7.21.
    let q = priced(
        &[12_000],
        Discounts {
            coupon: percent(10),
            tier: Percent::whole(5),
            points: 1250,
        },
    );
    assert_eq!(q.coupon_discount, cents(1200));
    assert_eq!(q.tier_discount, cents(540));
    assert_eq!(q.points_discount, cents(1250));
    assert_eq!(q.discounted_subtotal(), cents(9010));
    assert_eq!(q.shipping, Money::ZERO);
    assert_eq!(q.tax, cents(721));
    assert_eq!(q.total, cents(9731));
}

#[test]
fn shipping_is_free_from_fifty_after_discounts() {
    let at = priced(
        &[5500],
        Discounts {
            coupon: fixed(500),
            ..Discounts::NONE
        },
    );
    let below = priced(
        &[5500],
        Discounts {
            coupon: fixed(501),
            ..Discounts::NONE
        },
    );
    assert_eq!(
        (at.shipping, at.tax, at.total),
        (Money::ZERO, cents(400), cents(5400))
    );
    // 49.99 + 5.99 = 55.98; tax 4.4784 → 4.48.
    assert_eq!(
        (below.shipping, below.tax, below.total),
        (cents(599), cents(448), cents(6046))
    );
}

#[test]
fn percentages_round_half_up_to_the_cent() {
    // 5 % of 10.10 is 50.5 cents: 51. 10 % of 0.05 is half a cent: 1.
    let tier = priced(
        &[1010],
        Discounts {
            tier: Percent::whole(5),
            ..Discounts::NONE
        },
    );
    assert_eq!(tier.tier_discount, cents(51));
    assert_eq!(Percent::whole(10).of(cents(5)), cents(1));
    assert_eq!(Percent::whole(10).of(cents(4)), cents(0));
    assert_eq!(Percent::basis_points(250).of(cents(100)), cents(3));
}

#[test]
fn no_discount_takes_off_more_than_it_applies_to() {
    let capped = priced(
        &[10_000],
        Discounts {
            coupon: Some(Coupon {
                value: CouponValue::Percent(Percent::whole(50)),
                max_discount: Some(cents(1000)),
            }),
            ..Discounts::NONE
        },
    );
    assert_eq!(capped.coupon_discount, cents(1000));
    // A 30.00 coupon on 20.00 takes 20.00; the goods are free but still ship and are taxed.
    let free = priced(
        &[2000],
        Discounts {
            coupon: fixed(3000),
            points: 500,
            ..Discounts::NONE
        },
    );
    assert_eq!(free.coupon_discount, cents(2000));
    assert_eq!(
        free.points_discount,
        Money::ZERO,
        "no points are spent on nothing"
    );
    assert_eq!(
        (free.shipping, free.tax, free.total),
        (cents(599), cents(48), cents(647))
    );
    let points = priced(
        &[3000],
        Discounts {
            points: 100_000,
            ..Discounts::NONE
        },
    );
    assert_eq!(points.points_discount, cents(3000));
}

#[test]
fn a_free_shipping_coupon_takes_off_the_shipping_and_nothing_else() {
    let freeship = Some(Coupon {
        value: CouponValue::FreeShipping,
        max_discount: None,
    });
    // 10.00 ships free with it: tax 8 % of 10.00 = 0.80.
    let q = priced(
        &[1000],
        Discounts {
            coupon: freeship,
            ..Discounts::NONE
        },
    );
    assert_eq!((q.coupon_discount, q.shipping), (Money::ZERO, Money::ZERO));
    assert_eq!((q.tax, q.total), (cents(80), cents(1080)));
    // With a tier beside it, the tier still applies to the whole subtotal.
    let q = priced(
        &[1000],
        Discounts {
            coupon: freeship,
            tier: Percent::whole(10),
            points: 0,
        },
    );
    assert_eq!(
        (q.tier_discount, q.shipping, q.total),
        (cents(100), Money::ZERO, cents(972))
    );
}

#[test]
fn an_empty_cart_costs_nothing() {
    assert_eq!(priced(&[], Discounts::NONE), Quote::default());
    assert_eq!(Percent::whole(250), Percent::whole(100), "capped at 100 %");
}

#[test]
fn amounts_too_large_to_add_are_refused() {
    assert_eq!(
        quote(&[Money::MAX, cents(1)], &Discounts::NONE),
        Err(TooLarge)
    );
}

#[test]
fn a_quote_round_trips_through_its_stored_form() {
    let q = priced(
        &[12_345],
        Discounts {
            tier: Percent::whole(15),
            ..Discounts::NONE
        },
    );
    assert_eq!(Quote::from(StoredQuote::from(q)), q);
    let json = serde_json::to_value(q).unwrap();
    assert_eq!(json["subtotal"], serde_json::json!(123.45));
    assert!(json["couponDiscount"].is_number() && json["pointsDiscount"].is_number());
}

fn random_coupon(rng: &mut StdRng) -> Option<Coupon> {
    let value = match rng.random_range(0..4) {
        0 => return None,
        1 => CouponValue::Percent(Percent::basis_points(rng.random_range(0..=10_000))),
        2 => CouponValue::FreeShipping,
        _ => CouponValue::Fixed(cents(rng.random_range(0..=20_000))),
    };
    let max_discount = rng
        .random_bool(0.3)
        .then(|| cents(rng.random_range(0..=10_000)));
    Some(Coupon {
        value,
        max_discount,
    })
}

fn random_line(rng: &mut StdRng) -> Money {
    // Mostly shop-sized prices, sometimes the largest allowed.
    let price = if rng.random_bool(0.9) {
        rng.random_range(1..=20_000)
    } else {
        rng.random_range(1..=Money::MAX_PRICE.cents())
    };
    cents(
        price
            * rng
                .random_range(1..=1000i64)
                .min(if rng.random_bool(0.8) { 5 } else { 1000 }),
    )
}

/// `amount × bp / 10 000` rounded half-up, checked without the code under test:
/// `10 000 × rounded − amount × bp` lies in (−5 000, 5 000]: an exact half goes up.
fn is_half_up(rounded: Money, amount: Money, bp: i64) -> bool {
    let diff = 10_000 * i128::from(rounded.cents()) - i128::from(amount.cents()) * i128::from(bp);
    (-4_999..=5_000).contains(&diff)
}

#[test]
fn random_carts_and_discounts_keep_every_invariant() {
    let mut rng = StdRng::seed_from_u64(15);
    for case in 0..20_000 {
        let lines: Vec<Money> = (0..rng.random_range(0..=12))
            .map(|_| random_line(&mut rng))
            .collect();
        let discounts = Discounts {
            coupon: random_coupon(&mut rng),
            tier: Percent::whole([0, 5, 10, 15][rng.random_range(0..4)]),
            points: if rng.random_bool(0.5) {
                0
            } else {
                rng.random_range(0..=200_000)
            },
        };
        let q = quote(&lines, &discounts).unwrap();
        let ctx = format!("case {case}: {lines:?} {discounts:?} → {q:?}");

        assert_eq!(Some(q.subtotal), Money::sum(lines.iter().copied()), "{ctx}");
        for m in [
            q.subtotal,
            q.coupon_discount,
            q.tier_discount,
            q.points_discount,
            q.shipping,
            q.tax,
            q.total,
        ] {
            assert!(m >= Money::ZERO, "negative amount in {ctx}");
        }
        assert!(q.coupon_discount <= q.subtotal, "{ctx}");
        if let Some(Coupon {
            max_discount: Some(cap),
            ..
        }) = discounts.coupon
        {
            assert!(q.coupon_discount <= cap, "{ctx}");
        }
        if let Some(Coupon {
            value: CouponValue::Percent(p),
            max_discount,
        }) = discounts.coupon
            && max_discount.is_none_or(|cap| q.coupon_discount < cap)
        {
            assert!(
                is_half_up(q.coupon_discount, q.subtotal, i64::from(p.0)),
                "{ctx}"
            );
        }
        let after_coupon = cents(q.subtotal.cents() - q.coupon_discount.cents());
        assert!(q.tier_discount <= after_coupon, "{ctx}");
        assert!(
            is_half_up(q.tier_discount, after_coupon, i64::from(discounts.tier.0)),
            "{ctx}"
        );
        let after_tier = cents(after_coupon.cents() - q.tier_discount.cents());
        assert!(q.points_discount <= after_tier, "{ctx}");
        assert!(
            q.points_discount.cents() <= i64::try_from(discounts.points).unwrap(),
            "{ctx}"
        );
        let discounted = cents(after_tier.cents() - q.points_discount.cents());
        assert_eq!(q.discounted_subtotal(), discounted, "{ctx}");
        let free_shipping = discounts
            .coupon
            .is_some_and(|c| c.value == CouponValue::FreeShipping);
        if free_shipping {
            assert_eq!(q.coupon_discount, Money::ZERO, "{ctx}");
        }
        let ships_free = lines.is_empty() || free_shipping || discounted >= FREE_SHIPPING_FROM;
        assert_eq!(
            q.shipping,
            if ships_free { Money::ZERO } else { SHIPPING },
            "{ctx}"
        );
        let taxable = cents(discounted.cents() + q.shipping.cents());
        assert!(is_half_up(q.tax, taxable, 800), "{ctx}");
        assert_eq!(
            q.total.cents(),
            discounted.cents() + q.shipping.cents() + q.tax.cents(),
            "{ctx}"
        );

        // Without discounts the goods cost the sum of their lines (a stored order's `total`).
        let plain = quote(&lines, &Discounts::NONE).unwrap();
        assert_eq!(plain.discounted_subtotal(), plain.subtotal, "{ctx}");
        assert!(
            q.total <= plain.total || q.shipping > plain.shipping,
            "{ctx}"
        );
    }
}

#[test]
fn points_redeemed_after_the_fact_price_as_if_given_up_front() {
    let mut rng = StdRng::seed_from_u64(1515);
    for case in 0..5_000 {
        let lines: Vec<Money> = (0..rng.random_range(1..=8))
            .map(|_| random_line(&mut rng))
            .collect();
        let points = rng.random_range(0..=300_000);
        let without = Discounts {
            coupon: random_coupon(&mut rng),
            tier: Percent::whole([0, 5, 10, 15][rng.random_range(0..4)]),
            points: 0,
        };
        let base = quote(&lines, &without).unwrap();
        let direct = quote(&lines, &Discounts { points, ..without }).unwrap();

        assert_eq!(base.with_points(points), Ok(direct), "case {case}");
        // Points beyond what is left buy nothing more.
        let usable = base.redeemable_points();
        assert_eq!(
            base.with_points(usable.saturating_add(1 + points)),
            base.with_points(usable),
            "case {case}"
        );
        assert_eq!(direct.points_discount.cents() as u64, points.min(usable));
    }
}
