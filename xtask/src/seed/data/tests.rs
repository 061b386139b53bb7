//! The data files against what the suite promises (DESIGN.md, issue 4) and what the services
//! accept, and the request bodies built from them.

use std::collections::BTreeSet;

use super::*;

fn all_products() -> Vec<Product> {
    products().expect("products.json parses")
}

fn all_customers() -> Vec<Customer> {
    customers().expect("customers.json parses")
}

#[test]
fn the_catalog_has_25_products_across_at_least_four_categories() {
    let products = all_products();
    assert_eq!(products.len(), 25);
    let categories: BTreeSet<&str> = products.iter().map(|p| p.category.as_str()).collect();
    assert!(categories.len() >= 4, "only {categories:?}");
    let names: BTreeSet<&str> = products.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.len(), products.len(), "product names repeat");
}

#[test]
fn prices_run_from_5_to_500_dollars_with_both_ends_present() {
    let prices: Vec<u64> = all_products().iter().map(|p| p.price_cents).collect();
    assert!(
        prices.iter().all(|c| (500..=50_000).contains(c)),
        "{prices:?}"
    );
    assert_eq!(prices.iter().min(), Some(&500));
    assert_eq!(prices.iter().max(), Some(&50_000));
}

#[test]
fn every_product_has_a_description_lowercase_tags_and_an_image_named_after_it() {
    for p in all_products() {
        assert!(
            p.description.len() >= 30 && p.description.ends_with('.'),
            "{}: description should be a sentence or two",
            p.name
        );
        assert!(!p.tags.is_empty(), "{}: no tags", p.name);
        for tag in &p.tags {
            let lowercase = tag
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            assert!(lowercase, "{}: tag {tag:?} is not lowercase", p.name);
        }
        assert_eq!(
            p.image_url,
            format!("https://images.example.com/{}.jpg", slug(&p.name))
        );
    }
}

/// `Cast Iron Skillet, 12-inch` → `cast-iron-skillet-12-inch`.
fn slug(name: &str) -> String {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.join("-")
}

#[test]
fn stock_varies_with_some_products_low_and_one_sold_out() {
    let products = all_products();
    assert_eq!(products.iter().filter(|p| p.stock == 0).count(), 1);
    let low = products
        .iter()
        .filter(|p| p.stock > 0 && p.stock <= p.low_stock_threshold)
        .count();
    assert!(
        low >= 2,
        "only {low} in-stock products at or below their threshold"
    );
    assert!(products.iter().all(|p| p.low_stock_threshold > 0));
    let levels: BTreeSet<u64> = products.iter().map(|p| p.stock).collect();
    assert!(levels.len() >= 10, "stock levels hardly vary: {levels:?}");
}

#[test]
fn there_are_12_customers_with_unique_normalised_emails() {
    let customers = all_customers();
    assert_eq!(customers.len(), 12);
    let emails: BTreeSet<&str> = customers.iter().map(|c| c.email.as_str()).collect();
    assert_eq!(emails.len(), customers.len(), "emails repeat");
    for email in emails {
        assert_eq!(
            email,
            email.trim().to_lowercase(),
            "{email} is not normalised"
        );
        assert!(email.ends_with("@example.com"), "{email}: use example.com");
    }
}

#[test]
fn the_demo_customer_is_alex_demo_with_a_complete_profile() {
    let customers = all_customers();
    let demo = customers
        .iter()
        .find(|c| c.email == DEMO_EMAIL)
        .expect("demo@example.com is seeded");
    assert_eq!(demo.name, "Alex Demo");
    assert_eq!(demo.password, "demo-password");
    assert!(!demo.phone.is_empty());
    let a = &demo.address;
    assert!(
        [&a.street, &a.city, &a.zip_code, &a.country]
            .iter()
            .all(|part| !part.trim().is_empty())
    );
}

#[test]
fn every_customer_passes_customer_services_rules() {
    // The rules of customer-service/src/domain (password 8..=128 characters; phone of
    // digits and ` +-().`, 5..=30 characters, at least 5 digits; address parts 1..=200).
    for c in all_customers() {
        assert!(
            (8..=128).contains(&c.password.chars().count()),
            "{}",
            c.email
        );
        let digits = c.phone.chars().filter(char::is_ascii_digit).count();
        let allowed = c
            .phone
            .chars()
            .all(|ch| ch.is_ascii_digit() || " +-().".contains(ch));
        assert!(
            allowed && (5..=30).contains(&c.phone.len()) && digits >= 5,
            "{}",
            c.phone
        );
        let a = &c.address;
        for part in [&a.street, &a.city, &a.zip_code, &a.country] {
            assert!(
                (1..=200).contains(&part.trim().chars().count()),
                "{}",
                c.email
            );
        }
    }
}

#[test]
fn a_product_body_carries_every_field_with_an_exact_price() {
    let product = Product {
        name: "Mug".into(),
        description: "A mug.".into(),
        price_cents: 1999,
        category: "Home & Kitchen".into(),
        tags: vec!["kitchen".into(), "coffee".into()],
        image_url: "https://images.example.com/mug.jpg".into(),
        stock: 0,
        low_stock_threshold: 5,
    };
    assert_eq!(
        product.body(),
        r#"{"name":"Mug","description":"A mug.","price":19.99,"category":"Home & Kitchen","tags":["kitchen","coffee"],"imageUrl":"https://images.example.com/mug.jpg","stock":0,"lowStockThreshold":5}"#
    );
}

#[test]
fn every_seeded_price_is_written_as_it_is_in_the_file() {
    for p in all_products() {
        let body = p.body();
        let written: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
        let price = written.get("price").and_then(serde_json::Value::as_f64);
        assert_eq!(
            cents(price.expect("price")),
            Ok(p.price_cents),
            "{}",
            p.name
        );
        assert!(body.contains(&format!("\"price\":{},", decimal(p.price_cents))));
    }
}

#[test]
fn a_customer_body_carries_the_profile_and_address() {
    let demo = all_customers()
        .into_iter()
        .find(|c| c.email == DEMO_EMAIL)
        .expect("demo customer");
    let body: serde_json::Value = serde_json::from_str(&demo.body()).expect("valid JSON");
    assert_eq!(
        body.get("name").and_then(serde_json::Value::as_str),
        Some("Alex Demo")
    );
    assert_eq!(
        body.get("password").and_then(serde_json::Value::as_str),
        Some("demo-password")
    );
    assert!(
        body.get("phone")
            .and_then(serde_json::Value::as_str)
            .is_some()
    );
    let keys: Vec<&str> = body
        .get("address")
        .expect("address")
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["street", "city", "zipCode", "country"]);
}

#[test]
fn cents_are_written_with_two_decimals_exactly() {
    assert_eq!(decimal(1999), "19.99");
    assert_eq!(decimal(500), "5.00");
    assert_eq!(decimal(5), "0.05");
    assert_eq!(decimal(50_000), "500.00");
    // Beyond what an f64 holds exactly: still every digit.
    assert_eq!(decimal(9_007_199_254_740_993), "90071992547409.93");
}

#[test]
fn prices_must_be_positive_with_at_most_two_decimals() {
    assert_eq!(cents(5.0), Ok(500));
    assert_eq!(cents(19.99), Ok(1999));
    assert_eq!(cents(500.0), Ok(50_000));
    for bad in [0.0, -1.0, 1.999, f64::NAN, 2e6] {
        assert!(cents(bad).is_err(), "{bad} should be refused");
    }
}

#[test]
fn a_typo_in_a_file_names_the_file_the_item_and_the_field() {
    let text = r#"[{"name":"Mug","description":"A mug.","price":1,"category":"Home",
        "tags":[],"imageUrl":"x","stock":1,"lowStockTreshold":5}]"#;
    let error = parse_list(text, "products.json", Product::read).expect_err("typo refused");
    assert!(
        error.starts_with("products.json: item 1 (\"Mug\"): unknown field \"lowStockTreshold\""),
        "{error}"
    );

    let text = r#"[{"name":"A","email":"a@example.com","password":"12345678","phone":"12345",
        "address":{"street":"s","city":"c","zipCode":"","country":"x"}}]"#;
    let error = parse_list(text, "customers.json", Customer::read).expect_err("empty part");
    assert!(error.ends_with("address.zipCode: empty"), "{error}");

    let error = parse_list("{}", "products.json", Product::read).expect_err("not a list");
    assert!(error.contains("expected an array"), "{error}");
}
