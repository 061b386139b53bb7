//! The card rules and the test provider's tokens, without a database.

use chrono::NaiveDate;

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn card(number: &str, exp_month: u8, exp_year: u16, cvc: &str) -> Card {
    Card {
        number: number.to_owned(),
        exp_month,
        exp_year,
        cvc: cvc.to_owned(),
        holder: None,
    }
}

/// A database on a port nothing listens on: enough for what never reaches the ledger.
fn offline_db() -> mongodb::Database {
    let client = mongodb::Client::with_options(
        mongodb::options::ClientOptions::builder()
            .hosts(vec![mongodb::options::ServerAddress::Tcp {
                host: "127.0.0.1".to_owned(),
                port: Some(1),
            }])
            .build(),
    )
    .unwrap();
    client.database(&format!("offline_{}", uuid::Uuid::new_v4().simple()))
}

/// A provider whose ledger is never touched (tokenising needs no database).
fn offline_provider() -> TestProvider {
    TestProvider::new(&offline_db())
}

#[test]
fn luhn_accepts_the_test_cards_and_refuses_a_changed_digit() {
    for good in [
        "4242424242424242",
        "4000000000000002",
        "4000000000009995",
        "378282246310005",
        "6011111111111117",
        "5555555555554444",
        "79927398713",
    ] {
        assert!(luhn(good), "{good}");
    }
    for bad in ["4242424242424241", "79927398710", "", "4242a42424242424"] {
        assert!(!luhn(bad), "{bad}");
    }
}

#[test]
fn digits_drop_spaces_and_name_what_is_wrong() {
    assert_eq!(digits("4242 4242 4242 4242").unwrap(), "4242424242424242");
    assert!(
        digits("4242-4242-4242-4242")
            .unwrap_err()
            .contains("digits")
    );
    assert!(digits("  ").unwrap_err().contains("empty"));
    assert!(
        digits("42424242424").unwrap_err().contains("12 to 19"),
        "11 digits"
    );
    assert!(
        digits("42424242424242424242")
            .unwrap_err()
            .contains("12 to 19"),
        "20 digits"
    );
    assert!(digits("4242424242424241").unwrap_err().contains("Luhn"));
}

#[test]
fn brands_follow_the_networks_prefixes() {
    let cases = [
        ("4242424242424242", "visa"),
        ("4000056655665556", "visa"),
        ("5555555555554444", "mastercard"),
        ("5105105105105100", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("2720990000000007", "mastercard"),
        ("378282246310005", "amex"),
        ("341111111111111", "amex"),
        ("6011111111111117", "discover"),
        ("6445644564456445", "discover"),
        ("6500000000000002", "discover"),
        ("3566002020360505", "unknown"),
        ("2721000000000004", "unknown"),
    ];
    for (number, expected) in cases {
        assert_eq!(brand(number), expected, "{number}");
    }
}

#[test]
fn a_card_is_good_through_the_last_day_of_its_month() {
    let today = day(2026, 6, 30);
    assert_eq!(month_problem(6, 2026, today), None);
    assert_eq!(month_problem(5, 2026, today), Some("the card has expired"));
    assert_eq!(month_problem(1, 2027, today), None);
    assert_eq!(month_problem(13, 2027, today), Some("must be from 1 to 12"));
    assert!(year_problem(2025, today).unwrap().contains("expired"));
    assert_eq!(year_problem(2026, today), None);
    assert_eq!(year_problem(2046, today), None);
    assert!(year_problem(2047, today).unwrap().contains("20 years"));
}

#[test]
fn the_provider_check_names_the_first_bad_field() {
    let today = day(2026, 6, 15);
    let field = |c: &Card| match check(c, today) {
        Err(ProviderError::InvalidCard { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        check(&card("4242 4242 4242 4242", 6, 2026, "123"), today).unwrap(),
        "4242424242424242"
    );
    assert_eq!(field(&card("4242424242424241", 6, 2026, "123")), "number");
    assert_eq!(field(&card("4242424242424242", 5, 2026, "123")), "expMonth");
    assert_eq!(field(&card("4242424242424242", 0, 2027, "123")), "expMonth");
    assert_eq!(field(&card("4242424242424242", 6, 2025, "123")), "expYear");
    assert_eq!(field(&card("4242424242424242", 6, 2027, "12")), "cvc");
    assert_eq!(field(&card("4242424242424242", 6, 2027, "12345")), "cvc");
}

#[test]
fn card_debug_redacts_the_number_and_the_cvc() {
    let printed = format!("{:?}", card("4242424242424242", 6, 2030, "987"));
    assert!(
        !printed.contains("4242") && !printed.contains("987"),
        "{printed}"
    );
}

#[tokio::test]
async fn each_test_card_tokenises_to_its_outcome_class_and_keeps_only_brand_last4_and_expiry() {
    let provider = offline_provider();
    let year = u16::try_from(chrono::Datelike::year(&today()) + 2).unwrap();
    let cases = [
        ("4242 4242 4242 4242", "ok", "visa", "4242"),
        ("4000 0000 0000 0002", "dcl", "visa", "0002"),
        ("4000 0000 0000 9995", "nsf", "visa", "9995"),
        ("5555 5555 5555 4444", "ok", "mastercard", "4444"),
        ("3782 822463 10005", "ok", "amex", "0005"),
    ];
    for (number, class, brand, last4) in cases {
        let t = provider
            .tokenize(&card(number, 12, year, "1234"))
            .await
            .unwrap();
        assert_eq!(
            test_provider::class_of_token(&t.token),
            Some(class),
            "{number}"
        );
        assert_eq!((t.brand.as_str(), t.last4.as_str()), (brand, last4));
        assert_eq!((t.exp_month, t.exp_year), (12, year));
        let digits = number.replace(' ', "");
        assert!(
            !t.token.contains(&digits) && !t.token.contains(&digits[..6]),
            "{}",
            t.token
        );
    }
    let again = provider
        .tokenize(&card("4242424242424242", 12, year, "123"))
        .await
        .unwrap();
    let first = provider
        .tokenize(&card("4242424242424242", 12, year, "123"))
        .await
        .unwrap();
    assert_ne!(again.token, first.token, "a random id in every token");
}

#[tokio::test]
async fn a_bad_card_is_invalid_before_anything_else_and_a_switched_off_provider_is_unavailable() {
    let provider = offline_provider();
    let bad = provider
        .tokenize(&card("4242424242424241", 12, 2099, "123"))
        .await;
    assert!(
        matches!(
            bad,
            Err(ProviderError::InvalidCard {
                field: "number",
                ..
            })
        ),
        "{bad:?}"
    );
    provider.set_unavailable(true);
    let good = card(
        "4242424242424242",
        12,
        u16::try_from(chrono::Datelike::year(&today()) + 1).unwrap(),
        "123",
    );
    assert!(matches!(
        provider.tokenize(&good).await,
        Err(ProviderError::Unavailable(_))
    ));
    provider.set_unavailable(false);
    assert!(provider.tokenize(&good).await.is_ok());
}

#[tokio::test]
async fn a_token_the_provider_did_not_make_is_refused_without_touching_the_ledger() {
    let provider = offline_provider();
    for token in [
        "",
        "tok_test_ok_short",
        "tok_live_ok_0123456789abcdef0123456789abcdef",
        "tok_test_zz_0123456789abcdef0123456789abcdef",
    ] {
        let answer = provider.authorize("order-1", token, 100).await;
        assert!(
            matches!(
                answer,
                Err(ProviderError::InvalidCard { field: "token", .. })
            ),
            "{token}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn providers_are_chosen_by_name() {
    let db = offline_db();
    assert_eq!(provider("test", &db).unwrap().name(), "test");
    assert_eq!(
        provider("stripe", &db).err(),
        Some(UnknownProvider("stripe".to_owned()))
    );
}
