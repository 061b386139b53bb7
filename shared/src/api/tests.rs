//! The request types against the wire: what they take, what they refuse and how they name it.

use serde_json::{Value, json};

use super::{auth, cart, customers, orders, parse, parse_optional, products};
use crate::ApiError;

fn problems<T: super::Body + std::fmt::Debug>(body: Value) -> Value {
    match parse::<T>(body.to_string().as_bytes()) {
        Err(ApiError::Validation { details, .. }) => details,
        other => panic!("{body} was not refused: {other:?}"),
    }
}

fn fields(details: &Value) -> Vec<&str> {
    details
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn every_broken_rule_of_a_well_typed_body_is_named_at_once() {
    let details = problems::<products::ProductInput>(json!({
        "name": "  ", "price": 0, "category": "x", "tags": ["ok", ""],
        "imageUrl": "ftp://x", "stock": -1, "lowStockThreshold": 2_000_000_000i64
    }));
    assert_eq!(
        fields(&details),
        [
            "imageUrl",
            "lowStockThreshold",
            "name",
            "price",
            "stock",
            "tags[1]"
        ]
    );
}

#[test]
fn a_type_error_is_named_by_its_path() {
    let details = problems::<orders::OrderRequest>(
        json!({"items": [{"productId": "65a1b2c3d4e5f60718293a4b", "quantity": "2"}]}),
    );
    assert_eq!(fields(&details), ["items[0].quantity"]);
}

#[test]
fn a_missing_field_is_named_by_its_own_path() {
    let details =
        problems::<products::ProductInput>(json!({"price": 1, "category": "c", "stock": 1}));
    assert_eq!(details, json!({"name": "is required"}));
    let details = problems::<orders::OrderRequest>(json!({"items": [{"quantity": 1}]}));
    assert_eq!(details, json!({"items[0].productId": "is required"}));
}

#[test]
fn nested_paths_are_camel_case_like_the_wire() {
    let details = problems::<orders::OrderRequest>(json!({
        "items": [{"productId": "nope", "quantity": 0}],
        "shippingAddress": {"street": "", "city": "c", "zipCode": " ", "country": "x"}
    }));
    assert_eq!(
        fields(&details),
        [
            "items[0].productId",
            "items[0].quantity",
            "shippingAddress.street",
            "shippingAddress.zipCode"
        ]
    );
}

#[test]
fn an_order_names_a_product_once() {
    let id = "65a1b2c3d4e5f60718293a4b";
    let details = problems::<orders::OrderRequest>(json!({"items": [
        {"productId": id, "quantity": 1}, {"productId": id.to_uppercase(), "quantity": 2}
    ]}));
    assert_eq!(fields(&details), ["items"]);
}

#[test]
fn a_carrier_goes_only_with_shipped() {
    let details =
        problems::<orders::StatusChange>(json!({"status": "DELIVERED", "carrier": "UPS"}));
    assert_eq!(fields(&details), ["carrier"]);
    let ok = parse::<orders::StatusChange>(
        br#"{"status":"SHIPPED","carrier":"UPS","trackingNumber":"1Z"}"#,
    );
    assert!(ok.is_ok(), "{ok:?}");
    let details = problems::<orders::StatusChange>(json!({"status": "LOST"}));
    assert_eq!(fields(&details), ["status"]);
}

#[test]
fn null_clears_a_clearable_field_and_absent_keeps_it() {
    let patch: customers::CustomerPatch = parse(br#"{"phone":null}"#).unwrap();
    assert_eq!(patch.phone, Some(None));
    assert_eq!(patch.address, None);
    let details = problems::<customers::CustomerPatch>(
        json!({"phone": "call me", "address": {"street": "s"}}),
    );
    assert_eq!(
        fields(&details),
        ["address.city"],
        "a type error (here: a missing field) comes alone"
    );
}

#[test]
fn unknown_fields_and_passwords_follow_the_wire_rules() {
    let details =
        problems::<auth::Credentials>(json!({"email": "a@b.co", "password": "x", "admin": true}));
    assert_eq!(fields(&details), ["admin"]);
    let registration: auth::Registration =
        parse(br#"{"name":" Ada ","email":"ada@example.com","password":"        "}"#).unwrap();
    assert_eq!(
        registration.password.len(),
        8,
        "a password is taken as typed"
    );
    let details = problems::<auth::Registration>(
        json!({"name": "Ada", "email": "ada\u{200b}@example.com", "password": "short"}),
    );
    assert_eq!(fields(&details), ["email", "password"]);
}

#[test]
fn a_body_is_an_object_not_an_array_by_position() {
    let details = match parse::<auth::Credentials>(br#"["ada@example.com", "secret"]"#) {
        Err(ApiError::Validation { details, .. }) => details,
        other => panic!("{other:?}"),
    };
    assert_eq!(details, json!({"body": "must be a JSON object"}));
}

#[test]
fn an_optional_body_may_be_empty_but_not_wrong() {
    let cancel: orders::Cancellation = parse_optional(b"  ").unwrap();
    assert_eq!(cancel.reason, None);
    assert!(parse_optional::<orders::Cancellation>(br#"{"why":"x"}"#).is_err());
}

#[test]
fn the_schema_carries_the_rules() {
    use utoipa::PartialSchema as _;
    let schema = serde_json::to_value(products::ProductInput::schema()).unwrap();
    assert_eq!(schema["properties"]["name"]["maxLength"], 200);
    assert_eq!(schema["properties"]["price"]["exclusiveMinimum"], 0);
    assert_eq!(schema["properties"]["price"]["multipleOf"], 0.01);
    assert_eq!(schema["properties"]["tags"]["maxItems"], 20);
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["required"],
        json!(["name", "price", "category", "stock"])
    );
    let patch = serde_json::to_value(customers::CustomerPatch::schema()).unwrap();
    assert_eq!(
        patch["properties"]["phone"]["type"],
        json!(["string", "null"])
    );
}

#[test]
fn a_cart_quantity_is_a_whole_number_from_zero_to_a_thousand() {
    for ok in [0, 1, 1000] {
        let body = json!({ "quantity": ok }).to_string();
        assert_eq!(
            parse::<cart::CartQuantity>(body.as_bytes())
                .unwrap()
                .quantity,
            ok
        );
    }
    for bad in [json!(-1), json!(1001), json!(1.5), json!("2"), json!(null)] {
        let details = problems::<cart::CartQuantity>(json!({ "quantity": bad }));
        assert_eq!(fields(&details), ["quantity"], "{bad}");
    }
    assert_eq!(
        problems::<cart::CartQuantity>(json!({})),
        json!({"quantity": "is required"})
    );
    let unknown = problems::<cart::CartQuantity>(json!({"quantity": 1, "price": 1}));
    assert!(!fields(&unknown).is_empty(), "an unknown field is refused");
}
