//! What `POST /orders` asks for, once its body (`shared::api::orders::OrderRequest`, the type
//! the gateway checks too) has passed its rules: lines with parsed ids and an optional address.

use bson::oid::ObjectId;
use shared::{
    ApiError,
    api::{self, orders::OrderRequest},
};

use super::Address;

pub use shared::api::orders::{MAX_LINES, MAX_QUANTITY};

/// One requested line: a product and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedLine {
    /// The product.
    pub product_id: ObjectId,
    /// 1..=1000.
    pub quantity: u32,
}

/// A valid order request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// 1..=100 lines, one per product.
    pub lines: Vec<RequestedLine>,
    /// Where to ship; the customer's address on file when absent.
    pub shipping_address: Option<Address>,
    /// A new card to pay with (checked by its rules; tokenised when the order is placed).
    pub card: Option<api::payments::NewCard>,
    /// A saved card to pay with.
    pub payment_method_id: Option<String>,
}

impl NewOrder {
    /// A checked request as lines and an address.
    pub fn from_request(request: OrderRequest) -> Result<Self, ApiError> {
        let lines = request
            .items
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let product_id = ObjectId::parse_str(&line.product_id).map_err(|_| {
                    ApiError::field(
                        &format!("items[{i}].productId"),
                        "must be a 24-character hex ObjectId",
                    )
                })?;
                let quantity = u32::try_from(line.quantity).map_err(|_| {
                    ApiError::field(&format!("items[{i}].quantity"), "must be from 1 to 1000")
                })?;
                Ok(RequestedLine {
                    product_id,
                    quantity,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Self {
            lines,
            shipping_address: request.shipping_address.as_ref().map(Address::from),
            card: request.card,
            payment_method_id: request.payment_method_id,
        })
    }
}

impl From<&api::customers::Address> for Address {
    fn from(address: &api::customers::Address) -> Self {
        let address = address.trimmed();
        Self {
            street: address.street,
            city: address.city,
            zip_code: address.zip_code,
            country: address.country,
        }
    }
}

/// An address as another service sent it, if it follows the API's rules.
pub fn address_from_json(value: &serde_json::Value) -> Option<Address> {
    let address = api::parse::<api::customers::Address>(value.to_string().as_bytes()).ok()?;
    Some(Address::from(&address))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const P1: &str = "64b000000000000000000001";
    const P2: &str = "64b000000000000000000002";

    fn parse(body: &Value) -> Result<NewOrder, ApiError> {
        NewOrder::from_request(api::parse::<OrderRequest>(body.to_string().as_bytes())?)
    }

    fn problems(body: &Value) -> Value {
        match parse(body) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    #[test]
    fn a_valid_body_becomes_lines_and_an_optional_address() {
        let order = parse(&json!({
            "items": [{"productId": P1, "quantity": 2}, {"productId": P2, "quantity": 1000}],
            "shippingAddress": {"street": " 1 Main St ", "city": "Springfield", "zipCode": "12345", "country": "US"}
        }))
        .unwrap();
        assert_eq!(order.lines.len(), 2);
        assert_eq!(order.lines[1].quantity, 1000);
        assert_eq!(order.shipping_address.unwrap().street, "1 Main St");
    }

    #[test]
    fn every_bad_field_of_a_well_typed_body_is_named_at_once() {
        let problems = problems(&json!({
            "items": [
                {"productId": "nope", "quantity": 1},
                {"productId": P1, "quantity": 0},
                {"productId": P2, "quantity": 1001},
            ],
            "shippingAddress": {"street": "", "city": "X", "zipCode": " ", "country": "US"},
        }));
        for field in [
            "items[0].productId",
            "items[1].quantity",
            "items[2].quantity",
            "shippingAddress.street",
            "shippingAddress.zipCode",
        ] {
            assert!(
                problems.get(field).is_some(),
                "{field} not named: {problems}"
            );
        }
    }

    #[test]
    fn a_product_appears_on_one_line() {
        let problems = problems(&json!({"items": [
            {"productId": P1, "quantity": 1}, {"productId": P2, "quantity": 1}, {"productId": P1, "quantity": 2}
        ]}));
        assert_eq!(
            problems["items"],
            "items[2] repeats the product of items[0]"
        );
    }

    #[test]
    fn the_number_of_lines_is_bounded() {
        assert!(problems(&json!({"items": []})).get("items").is_some());
        let many: Vec<Value> = (0..101)
            .map(|n| json!({"productId": format!("{n:024x}"), "quantity": 1}))
            .collect();
        let too_many = problems(&json!({ "items": many }));
        assert!(too_many["items"].as_str().unwrap().contains("100"));
        assert_eq!(problems(&json!({}))["items"], "is required");
    }

    #[test]
    fn an_address_from_another_service_follows_the_same_rules() {
        let good = json!({"street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US"});
        assert_eq!(address_from_json(&good).unwrap().city, "Springfield");
        assert!(
            address_from_json(&json!({"street": "", "city": "c", "zipCode": "z", "country": "c"}))
                .is_none()
        );
        assert!(address_from_json(&json!("1 Main St")).is_none());
    }
}
