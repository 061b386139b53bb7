//! The one pricing function of the shop (issue 15): the cart, the checkout and the order are
//! all priced by [`quote`], so a quote and the order it becomes never differ by a cent.
//!
//! # Order of discounts
//! Everything is integer cents ([`Money`]); no floating point anywhere.
//! 1. `subtotal`: the sum of the lines (unit price × quantity).
//! 2. `couponDiscount`: the coupon on the subtotal. `percent`: that share of the subtotal;
//!    `fixed`: its amount. Either is capped by the coupon's `maxDiscount`, and by the subtotal.
//!    `free_shipping` (our addition to DESIGN.md's two kinds, for `FREESHIP`) takes nothing
//!    off the subtotal (`couponDiscount` 0): it makes step 6's shipping free instead.
//! 3. `tierDiscount`: the loyalty tier's percentage of what is left after the coupon.
//! 4. `pointsDiscount`: redeemed points on what is left after both (100 points = 1.00, so one
//!    point is one cent); never more than is left, so points beyond that are not spent.
//! 5. The *discounted subtotal* = subtotal − the three discounts (never below zero).
//! 6. `shipping`: 5.99, free when the discounted subtotal is at least 50.00 or the coupon is
//!    `free_shipping`, and nothing when there is nothing to ship (no lines).
//! 7. `tax`: 8 % of (discounted subtotal + shipping).
//! 8. `total` = discounted subtotal + shipping + tax: what the customer pays.
//!
//! # Rounding
//! Every percentage (a percent coupon, the tier, the tax) is rounded half-up to the cent,
//! once, where it is applied: `round(amount × rate)` with exact integer arithmetic, halves
//! going up (amounts are never negative). Nothing else needs rounding.
//!
//! # What a stored order's `total` is
//! An order keeps the whole quote, and its `total` stays the *discounted subtotal* (the goods,
//! net of discounts, without shipping and tax): analytics' revenue sums `total`, and shipping
//! and tax are not revenue. Without discounts it is the sum of the lines, as before. The
//! amount charged is `quote.total`.

use serde::{Deserialize, Serialize};

use super::Money;

/// Shipping when it is charged: 5.99.
pub const SHIPPING: Money = Money::from_cents(599);
/// The discounted subtotal from which shipping is free: 50.00.
pub const FREE_SHIPPING_FROM: Money = Money::from_cents(5000);
/// The tax rate: 8 %.
pub const TAX: Percent = Percent::whole(8);

/// A percentage in basis points (hundredths of a percent), 0 to 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Percent(u32);

impl Percent {
    /// No discount.
    pub const ZERO: Self = Self(0);

    /// `n` percent (capped at 100).
    pub const fn whole(n: u32) -> Self {
        Self::basis_points(n.saturating_mul(100))
    }

    /// `n` hundredths of a percent (capped at 100 %).
    pub const fn basis_points(n: u32) -> Self {
        Self(if n > 10_000 { 10_000 } else { n })
    }

    /// In hundredths of a percent (what [`Self::basis_points`] takes), to store it.
    pub const fn in_basis_points(self) -> u32 {
        self.0
    }

    /// This share of `amount`, rounded half-up to the cent; `amount` must not be negative.
    pub fn of(self, amount: Money) -> Money {
        let exact = i128::from(amount.cents().max(0)) * i128::from(self.0);
        let rounded = (exact + 5_000) / 10_000;
        // At most `amount` (the share is ≤ 100 %), so it fits.
        Money::from_cents(i64::try_from(rounded).unwrap_or(i64::MAX))
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponValue {
    /// A share of the subtotal.
    Percent(Percent),
    /// An amount.
    Fixed(Money),
    /// Free shipping; nothing off the subtotal.
    FreeShipping,
}

/// A coupon as pricing sees it (validity, limits and tiers are checked before pricing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coupon {
    /// What it takes off.
    pub value: CouponValue,
    /// The most it takes off, if capped.
    pub max_discount: Option<Money>,
}

/// Everything that lowers the price besides the lines themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Discounts {
    /// The applied coupon.
    pub coupon: Option<Coupon>,
    /// The customer's loyalty tier's percentage.
    pub tier: Percent,
    /// Points the customer redeems (one point = one cent).
    pub points: u64,
}

impl Discounts {
    /// No coupon, no tier, no points: what `POST /orders` and the cart use until those exist.
    pub const NONE: Self = Self {
        coupon: None,
        tier: Percent::ZERO,
        points: 0,
    };
}

/// A price, itemised as DESIGN.md shows it. Two quotes are equal when their amounts are:
/// `free_shipping` says how one was reached, not what it costs.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The sum of the lines.
    pub subtotal: Money,
    /// Taken off by the coupon.
    pub coupon_discount: Money,
    /// Taken off by the loyalty tier.
    pub tier_discount: Money,
    /// Taken off by redeemed points.
    pub points_discount: Money,
    /// Shipping.
    pub shipping: Money,
    /// Tax.
    pub tax: Money,
    /// What the customer pays.
    pub total: Money,
    /// Whether a `free_shipping` coupon waived shipping, so that re-pricing with points
    /// ([`Quote::with_points`]) keeps it waived; not part of the wire form.
    #[serde(skip)]
    pub free_shipping: bool,
}

impl PartialEq for Quote {
    fn eq(&self, other: &Self) -> bool {
        let amounts = |q: &Quote| {
            [
                q.subtotal,
                q.coupon_discount,
                q.tier_discount,
                q.points_discount,
                q.shipping,
                q.tax,
                q.total,
            ]
        };
        amounts(self) == amounts(other)
    }
}

impl Eq for Quote {}

/// The amounts are too large to add up (far beyond any real cart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the total is too large")]
pub struct TooLarge;

/// Prices lines whose subtotals are `lines` (each ≥ 0) with `discounts`; see the module doc.
pub fn quote(lines: &[Money], discounts: &Discounts) -> Result<Quote, TooLarge> {
    let subtotal = Money::sum(lines.iter().copied())
        .filter(|s| *s <= Money::MAX)
        .ok_or(TooLarge)?;
    let coupon_discount = discounts
        .coupon
        .map_or(Money::ZERO, |c| c.discount(subtotal));
    let after_coupon = less(subtotal, coupon_discount);
    let tier_discount = discounts.tier.of(after_coupon);
    let free = discounts
        .coupon
        .is_some_and(|c| c.value == CouponValue::FreeShipping);
    settle(
        !lines.is_empty(),
        free,
        subtotal,
        coupon_discount,
        tier_discount,
        discounts.points,
    )
}

/// Steps 4 to 8: the points on what is left after the coupon and the tier, then shipping, tax
/// and the total.
fn settle(
    anything: bool,
    free_shipping: bool,
    subtotal: Money,
    coupon_discount: Money,
    tier_discount: Money,
    points: u64,
) -> Result<Quote, TooLarge> {
    let after_tier = less(less(subtotal, coupon_discount), tier_discount);
    let points = i64::try_from(points).unwrap_or(i64::MAX);
    let points_discount = Money::from_cents(points.min(after_tier.cents()));
    let discounted = less(after_tier, points_discount);
    let shipping = if !anything || free_shipping || discounted >= FREE_SHIPPING_FROM {
        Money::ZERO
    } else {
        SHIPPING
    };
    let taxable = discounted.plus(shipping).ok_or(TooLarge)?;
    let tax = TAX.of(taxable);
    let total = taxable.plus(tax).ok_or(TooLarge)?;
    Ok(Quote {
        subtotal,
        coupon_discount,
        tier_discount,
        points_discount,
        shipping,
        tax,
        total,
        free_shipping,
    })
}

/// `a − b` for `b ≤ a` (never below zero).
fn less(a: Money, b: Money) -> Money {
    Money::from_cents((a.cents() - b.cents()).max(0))
}

impl Coupon {
    /// What this coupon takes off `subtotal`: never more than its cap or the subtotal.
    pub fn discount(self, subtotal: Money) -> Money {
        let raw = match self.value {
            CouponValue::Percent(p) => p.of(subtotal),
            CouponValue::Fixed(amount) => amount.max(Money::ZERO),
            CouponValue::FreeShipping => Money::ZERO,
        };
        let capped = self.max_discount.map_or(raw, |cap| raw.min(cap));
        capped.min(subtotal).max(Money::ZERO)
    }
}

impl Quote {
    /// The same price with `points` redeemed instead of what this quote redeems: what checkout
    /// prices once it knows how many points were held (the coupon and the tier stay as they
    /// are; points come off last). Lines whose subtotal is zero count as nothing to ship.
    pub fn with_points(self, points: u64) -> Result<Quote, TooLarge> {
        settle(
            self.subtotal > Money::ZERO,
            self.free_shipping,
            self.subtotal,
            self.coupon_discount,
            self.tier_discount,
            points,
        )
    }

    /// Points that can still buy something: what is left after the coupon and the tier.
    pub fn redeemable_points(&self) -> u64 {
        let left = less(
            less(self.subtotal, self.coupon_discount),
            self.tier_discount,
        );
        u64::try_from(left.cents()).unwrap_or(0)
    }

    /// The goods net of discounts, before shipping and tax: a stored order's `total`.
    pub fn discounted_subtotal(&self) -> Money {
        less(
            self.subtotal,
            Money::from_cents(
                self.coupon_discount.cents()
                    + self.tier_discount.cents()
                    + self.points_discount.cents(),
            ),
        )
    }
}

/// A quote as stored in a document: integer cents (a JSON-style double would not be exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredQuote {
    /// [`Quote::subtotal`].
    pub subtotal_cents: i64,
    /// [`Quote::coupon_discount`].
    pub coupon_discount_cents: i64,
    /// [`Quote::tier_discount`].
    pub tier_discount_cents: i64,
    /// [`Quote::points_discount`].
    pub points_discount_cents: i64,
    /// [`Quote::shipping`].
    pub shipping_cents: i64,
    /// [`Quote::tax`].
    pub tax_cents: i64,
    /// [`Quote::total`].
    pub total_cents: i64,
}

impl From<Quote> for StoredQuote {
    fn from(q: Quote) -> Self {
        Self {
            subtotal_cents: q.subtotal.cents(),
            coupon_discount_cents: q.coupon_discount.cents(),
            tier_discount_cents: q.tier_discount.cents(),
            points_discount_cents: q.points_discount.cents(),
            shipping_cents: q.shipping.cents(),
            tax_cents: q.tax.cents(),
            total_cents: q.total.cents(),
        }
    }
}

impl From<StoredQuote> for Quote {
    fn from(q: StoredQuote) -> Self {
        Self {
            subtotal: Money::from_cents(q.subtotal_cents),
            coupon_discount: Money::from_cents(q.coupon_discount_cents),
            tier_discount: Money::from_cents(q.tier_discount_cents),
            points_discount: Money::from_cents(q.points_discount_cents),
            shipping: Money::from_cents(q.shipping_cents),
            tax: Money::from_cents(q.tax_cents),
            total: Money::from_cents(q.total_cents),
            // How a stored quote was reached is not kept; it is only read, never re-priced.
            free_shipping: false,
        }
    }
}

impl From<Quote> for shared::api::orders::Quote {
    fn from(q: Quote) -> Self {
        Self {
            subtotal: q.subtotal,
            coupon_discount: q.coupon_discount,
            tier_discount: q.tier_discount,
            points_discount: q.points_discount,
            shipping: q.shipping,
            tax: q.tax,
            total: q.total,
        }
    }
}

#[cfg(test)]
mod tests;
