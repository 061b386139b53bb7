//! The pure parts of the order seed: what goes to `order-service seed` and what it reported.

use super::*;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn only_seeded_customers_go_to_the_seed_with_the_fields_it_reads() {
    let customers = [
        parse(
            r#"{"id":"c1","email":"Demo@Example.com","name":"Alex","role":"customer",
                "phone":"+1","address":{"street":"s","city":"c","zipCode":"z","country":"x"}}"#,
        ),
        parse(r#"{"id":"c2","email":"stranger@example.com","name":"S","address":null}"#),
    ];
    let products = [parse(
        r#"{"id":"p1","name":"Lamp","price":19.99,"stock":3,"category":"Home","tags":[]}"#,
    )];

    let input = input(&customers, &products, &["demo@example.com"]);

    assert_eq!(
        input.to_string(),
        r#"{"customers":[{"id":"c1","email":"Demo@Example.com","name":"Alex","address":{"street":"s","city":"c","zipCode":"z","country":"x"}}],"products":[{"id":"p1","name":"Lamp","price":19.99,"stock":3}]}"#
    );
    assert_eq!(
        (count(&input, "customers"), count(&input, "products")),
        (1, 1)
    );
}

#[test]
fn the_report_line_says_what_was_created_and_what_was_there() {
    let stdout =
        "\n{\"created\":0,\"alreadyThere\":18,\"byStatus\":{\"DELIVERED\":8,\"SHIPPED\":3}}\n";

    let seeded = report(stdout).unwrap();

    assert_eq!(seeded.created, 0);
    assert_eq!(seeded.already_there, 18);
    assert_eq!(
        seeded.line(),
        "0 created, 18 already there (DELIVERED 8, SHIPPED 3)"
    );
    assert!(report("").is_err());
    assert!(report("{\"created\":-1,\"alreadyThere\":0}").is_err());
}

#[test]
fn a_list_page_needs_its_data_and_total() {
    let page = Reply::new(
        200,
        r#"{"success":true,"data":[{"id":"a"}],"meta":{"page":1,"limit":100,"total":1}}"#,
    );
    let (items, total) = page_of(&page).unwrap();
    assert_eq!((items.len(), total), (1, 1));
    let refused = Reply::new(
        403,
        r#"{"success":false,"error":{"code":"FORBIDDEN","message":"admins only"}}"#,
    );
    assert_eq!(
        page_of(&refused).unwrap_err().to_string(),
        "403: admins only"
    );
}
