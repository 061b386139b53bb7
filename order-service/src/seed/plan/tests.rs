//! The plan without a database: who gets what, when, and how the stock is respected.

use std::collections::HashMap;

use serde_json::json;

use super::*;

fn input(stocks: &[i64]) -> Input {
    let customer = |n: u8, email: &str| {
        json!({ "id": format!("{n:024x}"), "email": email, "name": email,
            "address": { "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" } })
    };
    let products: Vec<_> = stocks
        .iter()
        .enumerate()
        .map(|(i, s)| json!({ "id": format!("{:024x}", 100 + i), "name": format!("P{i}"), "price": 19.99, "stock": s }))
        .collect();
    serde_json::from_value(json!({
        "customers": [
            customer(1, "ann@example.com"),
            customer(2, DEMO_EMAIL),
            customer(3, "bob@example.com"),
            { "id": format!("{:024x}", 4), "email": "admin@example.com", "name": "Admin" },
        ],
        "products": products,
    }))
    .unwrap()
}

#[test]
fn the_plan_is_the_same_on_every_run_whenever_it_runs() {
    let a = orders(&input(&[50, 50, 50]), Utc::now()).unwrap();
    let b = orders(&input(&[50, 50, 50]), Utc::now() - Duration::days(3)).unwrap();
    let ids = |p: &[Planned]| p.iter().map(|o| o.order.id).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.len(), 18);
    assert!(
        a.iter()
            .all(|o| o.order.id.timestamp().timestamp_millis() == 1_704_067_200_000)
    );
}

#[test]
fn customers_without_an_address_get_nothing_and_the_demo_customer_gets_three() {
    let planned = orders(&input(&[50, 50, 50]), Utc::now()).unwrap();
    let mut per_customer: HashMap<&str, usize> = HashMap::new();
    for p in &planned {
        *per_customer
            .entry(p.order.customer_id.as_str())
            .or_default() += 1;
    }
    assert_eq!(per_customer[format!("{:024x}", 2).as_str()], 3);
    assert!(!per_customer.contains_key(format!("{:024x}", 4).as_str()));
    assert_eq!(per_customer.values().sum::<usize>(), 18);
}

#[test]
fn no_product_is_planned_beyond_its_stock_and_rejections_ask_for_more_than_there_ever_was() {
    let stocks = [0, 2, 6, 40];
    let planned = orders(&input(&stocks), Utc::now()).unwrap();
    let mut taken: HashMap<String, i64> = HashMap::new();
    for p in planned
        .iter()
        .filter(|p| p.order.status != Status::Rejected)
    {
        for line in &p.order.items {
            *taken.entry(line.product_id.clone()).or_default() += line.quantity;
        }
    }
    for (i, stock) in stocks.iter().enumerate() {
        let id = format!("{:024x}", 100 + i);
        assert!(taken.get(&id).copied().unwrap_or(0) <= *stock, "{id}");
    }
    let rejected: Vec<&Order> = planned
        .iter()
        .map(|p| &p.order)
        .filter(|o| o.status == Status::Rejected)
        .collect();
    assert_eq!(rejected.len(), 2);
    assert_eq!(
        rejected[0].items[0].quantity, 1,
        "the sold-out product first"
    );
    assert_eq!(rejected[1].items[0].quantity, 3);
    let reason = rejected[0].rejection_reason.as_deref().unwrap();
    assert!(reason.contains("(requested 1, available 0)"), "{reason}");
}

#[test]
fn the_input_is_checked_before_anything_is_planned() {
    let mut no_demo = input(&[5]);
    no_demo.customers.retain(|c| c.email != DEMO_EMAIL);
    assert!(
        orders(&no_demo, Utc::now())
            .unwrap_err()
            .contains(DEMO_EMAIL)
    );
    let mut bad_price = input(&[5]);
    bad_price.products[0].price = serde_json::Number::from_f64(1.999).unwrap();
    assert!(
        orders(&bad_price, Utc::now())
            .unwrap_err()
            .contains("products[0].price")
    );
    assert!(
        orders(&input(&[]), Utc::now())
            .unwrap_err()
            .contains("no products")
    );
    assert!(
        orders(&input(&[0]), Utc::now())
            .unwrap_err()
            .contains("no product has stock left")
    );
}

#[test]
fn tracking_numbers_look_like_the_live_ones() {
    let number = tracking_number(3);
    assert_eq!(number.len(), 15);
    assert!(number.starts_with("TRK"));
    assert_ne!(number, tracking_number(4));
}
