//! The shop path of `loadgen orders` (issue 15): a customer's visit that ends in a checkout
//! instead of a direct `POST /orders`.
//!
//! After looking around as the direct path does (catalog, search, a product, one sign-in in
//! `login_every`), the session leases a customer of its own ([`super::pool`]: a cart is its
//! customer's), empties the cart if an earlier failed checkout left something in it, puts two
//! lines in it (`PUT /cart/items/:id`, one unit of one product and two of the next), applies the
//! run's 10 % coupon in one session of `coupon_every`, reads the cart with its quote
//! (`GET /cart`), and checks out (`POST /checkout` with an `Idempotency-Key`, the shipping
//! address and the `test` provider's approving card `4242 4242 4242 4242`). The order's
//! quote must be the cart's, every figure to the cent; a difference is counted as an error. Then it gives the
//! customer back and follows the order's stream as the direct path does: its first change,
//! `PENDING → PROCESSING`, comes once the stock is reserved *and* the payment authorised.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Call, Shared, Shop, follow, look_around, note,
    pool::{Customer, Lease},
    sign_in_now_and_then, timed,
};
use crate::{api::address, clock::now_ms};

/// The `test` provider's card that approves (DESIGN.md, "Payment").
pub const APPROVING_CARD: &str = "4242 4242 4242 4242";
/// The percentage the run's coupon takes off.
pub const COUPON_PERCENT: u32 = 10;
/// What a quote that the order did not keep is noted as.
pub const QUOTE_NOT_KEPT: &str = "quote≠order";

/// The run's coupon code: `BENCH-<run>`, cut to the 32 characters a code may have.
pub fn coupon_code(run: &str) -> String {
    let code: String = format!("BENCH-{run}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(32)
        .collect();
    code.to_ascii_uppercase()
}

/// `POST /coupons`: the run's coupon, 10 % off, no limits.
pub fn coupon_body(code: &str) -> Value {
    json!({ "code": code, "kind": "percent", "value": COUPON_PERCENT })
}

/// The year (UTC) at `now_ms` milliseconds since the epoch (Howard Hinnant's
/// `civil_from_days`).
fn this_year(now_ms: f64) -> i64 {
    let days = (now_ms / 86_400_000.0).floor() as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // March-based years: January and February belong to the next one.
    yoe + era * 400 + i64::from(mp >= 10)
}

/// `POST /checkout`'s body: the benchmark's address and the approving card, valid three more
/// years from `year`.
pub fn checkout_body(year: i64) -> Value {
    json!({
        "shippingAddress": address(),
        "card": {
            "number": APPROVING_CARD,
            "expMonth": 12,
            "expYear": year + 3,
            "cvc": "123",
            "holder": "Bench Shopper",
        },
    })
}

/// An amount of the API (a JSON number with two decimals) in cents.
pub fn cents(amount: &Value) -> Option<i64> {
    amount.as_f64().map(|x| (x * 100.0).round() as i64)
}

/// The fields of a quote, each compared to the cent.
pub const QUOTE_FIELDS: [&str; 7] = [
    "subtotal",
    "couponDiscount",
    "tierDiscount",
    "pointsDiscount",
    "shipping",
    "tax",
    "total",
];

/// Whether the order (`POST /checkout`'s `data`) was priced as the cart's quote (`GET /cart`'s
/// `data`) said, every figure to the cent; which figure differs, otherwise.
pub fn quote_kept(cart: &Value, order: &Value) -> Result<(), String> {
    for field in QUOTE_FIELDS {
        let quoted = cents(&cart["quote"][field]);
        let priced = cents(&order["quote"][field]);
        match (quoted, priced) {
            (Some(q), Some(p)) if q == p => {}
            (Some(q), Some(p)) => {
                return Err(format!(
                    "{QUOTE_NOT_KEPT}: the cart quoted {field} {q} cents, order {} has {p}",
                    order["id"]
                ));
            }
            _ => {
                return Err(format!(
                    "{QUOTE_NOT_KEPT}: no {field} to compare (cart {}, order {})",
                    cart["quote"][field], order["quote"][field]
                ));
            }
        }
    }
    Ok(())
}

/// The two products of session `i`'s cart (indexes into the catalog of `n`), and how many of
/// each: one of the session's product and two of the next.
pub fn lines(i: usize, n: usize) -> [(usize, u32); 2] {
    let n = n.max(1);
    [(i % n, 1), ((i + 1) % n, 2)]
}

/// Whether session `i` applies the coupon.
pub fn uses_coupon(i: usize, coupon_every: usize) -> bool {
    i.is_multiple_of(coupon_every.max(1))
}

/// One customer's visit through cart and checkout.
pub(super) async fn session(shop: &Shop, notes: &Shared, stage: usize, i: usize) {
    look_around(shop, notes, i).await;
    let lease = match shop.pool.lease() {
        Some(lease) => lease,
        None => match register(shop, notes, stage, i).await {
            Some(customer) => shop.pool.lease_new(customer),
            None => return,
        },
    };
    sign_in_now_and_then(shop, notes, &lease.customer, i).await;
    let token = lease.customer.token();
    let order = fill_and_check_out(shop, notes, &lease, &token, stage, i).await;
    shop.pool.give_back(lease, order.is_some());
    let Some(order) = order else {
        return;
    };
    note(notes, |n| {
        n.orders_ok += 1;
        n.last_order = Some(std::time::Instant::now());
    });
    follow(shop, notes, &order, &token).await;
}

/// A customer registered because every one of the pool was leased.
async fn register(shop: &Shop, notes: &Shared, stage: usize, i: usize) -> Option<Arc<Customer>> {
    let email = format!("shop-{}-{stage}-{i}@bench.example.com", shop.params.run);
    let body = json!({
        "name": "Bench Shopper", "email": email, "password": super::PASSWORD,
        "address": address(),
    });
    let answer = timed(shop, notes, Call::post("register", "/auth/register", &body)).await?;
    let token = answer["data"]["accessToken"].as_str()?;
    Some(Customer::new(email, token.to_owned()))
}

/// `call` with the customer's token.
fn as_customer<'c>(token: &'c str, call: Call<'c>) -> Call<'c> {
    Call {
        bearer: Some(token),
        ..call
    }
}

/// Empties a cart left dirty, fills it, reads its quote and checks out: the order's id.
async fn fill_and_check_out(
    shop: &Shop,
    notes: &Shared,
    lease: &Lease,
    token: &str,
    stage: usize,
    i: usize,
) -> Option<String> {
    if lease.dirty {
        timed(
            shop,
            notes,
            as_customer(
                token,
                Call {
                    method: Method::DELETE,
                    ..Call::get("clear", "/cart")
                },
            ),
        )
        .await?;
    }
    for (product, quantity) in lines(i, shop.products.len()) {
        let path = format!("/cart/items/{}", shop.products[product]);
        let body = json!({ "quantity": quantity });
        let put = Call {
            method: Method::PUT,
            ..Call::post("cart", &path, &body)
        };
        timed(shop, notes, as_customer(token, put)).await?;
    }
    if let Some(code) = &shop.coupon
        && uses_coupon(i, shop.params.coupon_every)
    {
        let body = json!({ "code": code });
        timed(
            shop,
            notes,
            as_customer(token, Call::post("coupon", "/cart/coupon", &body)),
        )
        .await?;
    }
    let cart = timed(shop, notes, as_customer(token, Call::get("quote", "/cart"))).await?;
    let key = format!("{}-shop-{stage}-{i}", shop.params.run);
    let headers = [("idempotency-key", key.as_str())];
    let body = checkout_body(this_year(now_ms()));
    let answer = timed(
        shop,
        notes,
        Call {
            bearer: Some(token),
            headers: &headers,
            ..Call::post("checkout", "/checkout", &body)
        },
    )
    .await?;
    let order = &answer["data"];
    if let Err(why) = quote_kept(&cart["data"], order) {
        note(notes, |n| {
            *n.errors.entry(QUOTE_NOT_KEPT).or_default() += 1;
            n.first_error.get_or_insert(why);
        });
    }
    if cart["data"]["coupon"].is_null() == uses_coupon(i, shop.params.coupon_every)
        && shop.coupon.is_some()
    {
        note(notes, |n| {
            *n.errors.entry("coupon not applied").or_default() += 1;
            n.first_error
                .get_or_insert(format!("coupon: session {i}'s cart {}", cart["data"]));
        });
    }
    order["id"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_coupon_code_follows_the_rules_of_codes() {
        assert_eq!(coupon_code("19ab3f2c1d0a4f1"), "BENCH-19AB3F2C1D0A4F1");
        let long = coupon_code(&"x".repeat(60));
        assert_eq!(long.len(), 32);
        assert_eq!(coupon_code("a b.c"), "BENCH-ABC");
        assert_eq!(coupon_body("C")["value"], 10);
    }

    #[test]
    fn the_card_is_the_approving_one_and_not_expired() {
        let year = this_year(now_ms());
        assert!(year >= 2026, "{year}");
        assert_eq!(this_year(0.0), 1970);
        // 2026-12-31T23:00:00Z is still 2026, 2027-01-01T00:00:00Z is not; 2000-02-29.
        assert_eq!(this_year(1_798_758_000_000.0), 2026);
        assert_eq!(this_year(1_798_761_600_000.0), 2027);
        assert_eq!(this_year(951_782_400_000.0), 2000);
        assert_eq!(this_year(-1.0), 1969);
        let body = checkout_body(year);
        assert_eq!(body["card"]["number"], APPROVING_CARD);
        assert_eq!(body["card"]["expYear"], year + 3);
        assert_eq!(body["shippingAddress"], address());
    }

    #[test]
    fn the_order_must_be_priced_as_the_quote_to_the_cent() {
        let quote = json!({
            "subtotal": 37.5, "couponDiscount": 3.75, "tierDiscount": 0, "pointsDiscount": 0,
            "shipping": 5.99, "tax": 3.18, "total": 42.92,
        });
        let cart = json!({ "quote": quote });
        // The order's own `total` is the goods net of discounts: not what is compared.
        let order = json!({ "id": "o", "total": 33.75, "quote": quote });
        assert_eq!(quote_kept(&cart, &order), Ok(()));
        let mut other = order.clone();
        other["quote"]["tax"] = json!(3.19);
        let off = quote_kept(&cart, &other).unwrap_err();
        assert!(
            off.starts_with(QUOTE_NOT_KEPT) && off.contains("tax 318") && off.contains("319"),
            "{off}"
        );
        let unpriced = quote_kept(&cart, &json!({ "id": "o", "total": 33.75 })).unwrap_err();
        assert!(unpriced.contains("no subtotal"), "{unpriced}");
        assert_eq!(cents(&json!(0.1)), Some(10));
        assert_eq!(cents(&json!(1234.56)), Some(123_456));
        assert_eq!(cents(&json!("1.00")), None);
    }

    #[test]
    fn a_cart_holds_two_products_and_one_session_in_n_a_coupon() {
        assert_eq!(lines(0, 6), [(0, 1), (1, 2)]);
        assert_eq!(lines(5, 6), [(5, 1), (0, 2)]);
        assert_eq!(lines(3, 1), [(0, 1), (0, 2)]);
        let with: Vec<usize> = (0..6).filter(|i| uses_coupon(*i, 2)).collect();
        assert_eq!(with, [0, 2, 4]);
        assert!((0..4).all(|i| uses_coupon(i, 1)));
        assert!(uses_coupon(0, 0), "0 is read as every session");
    }
}
