//! Typed requests of a test: customers and their tokens, order bodies, calls to
//! order-service and product-service, and looks behind the API.

use bson::{doc, oid::ObjectId};
use reqwest::Method;
use serde_json::{Value, json};
use shared::{
    auth::Role,
    testing::{delete_topology, eventually},
};

use crate::helpers::{TestApp, WAIT};

/// A customer: its id and bearer header.
pub struct Customer {
    pub id: String,
    pub bearer: String,
}

/// An order body for `items` (product id, quantity) with a shipping address.
pub fn order_body(items: &[(&str, u32)]) -> Value {
    json!({
        "items": items.iter().map(|(id, q)| json!({ "productId": id, "quantity": q })).collect::<Vec<_>>(),
        "shippingAddress": { "street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US" },
    })
}

/// Sends a request; the status and JSON body.
pub async fn call(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = client.request(method, url);
    if let Some(bearer) = bearer {
        request = request.header("authorization", bearer);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

impl TestApp {
    /// A new customer with a token.
    pub fn customer(&self) -> Customer {
        let id = ObjectId::new().to_hex();
        Customer {
            bearer: self.names.bearer(&id, Role::Customer),
            id,
        }
    }

    /// A request to order-service.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        call(
            &self.orders.app.client,
            method,
            &self.orders.app.url(path),
            bearer,
            body,
        )
        .await
    }

    /// `POST /orders`, with an `Idempotency-Key` when given; status, body and headers.
    pub async fn place_with_key(
        &self,
        bearer: &str,
        body: &Value,
        key: Option<&str>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self
            .orders
            .app
            .client
            .post(self.orders.app.url("/orders"))
            .header("authorization", bearer)
            .json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (
            status,
            response.json().await.unwrap_or(Value::Null),
            headers,
        )
    }

    /// `POST /orders`.
    pub async fn place(&self, bearer: &str, body: &Value) -> (u16, Value) {
        let (status, body, _) = self.place_with_key(bearer, body, None).await;
        (status, body)
    }

    /// Places an order that must be accepted; returns it (`data`).
    pub async fn place_ok(&self, who: &Customer, items: &[(&str, u32)]) -> Value {
        let (status, body) = self.place(&who.bearer, &order_body(items)).await;
        assert_eq!(status, 201, "{body}");
        body["data"].clone()
    }

    /// Places an order that must be accepted; returns its id.
    pub async fn place_id(&self, who: &Customer, items: &[(&str, u32)]) -> String {
        let order = self.place_ok(who, items).await;
        order["id"].as_str().expect("an order id").to_owned()
    }

    /// `GET /orders/{id}`.
    pub async fn order(&self, id: &str, bearer: &str) -> (u16, Value) {
        self.request(Method::GET, &format!("/orders/{id}"), Some(bearer), None)
            .await
    }

    /// Polls the order until it has `status`; returns it.
    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        eventually(&format!("order {id} to be {status}"), WAIT, || async {
            let (_, body) = self.order(id, &self.admin).await;
            (body["data"]["status"] == status).then(|| body["data"].clone())
        })
        .await
    }

    /// Creates a product in product-service; returns its id.
    pub async fn product(&self, name: &str, price: f64, stock: i64) -> String {
        let body = json!({ "name": name, "description": format!("About {name}."), "price": price,
            "category": "General", "tags": [], "stock": stock });
        let (status, answer) = call(
            &self.products.client,
            Method::POST,
            &self.products.url("/products"),
            Some(&self.admin),
            Some(&body),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
        answer["data"]["id"]
            .as_str()
            .expect("a product id")
            .to_owned()
    }

    /// A product's stock as product-service reports it.
    pub async fn stock_of(&self, id: &str) -> i64 {
        let (status, body) = self.products.get(&format!("/products/{id}")).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["stock"].as_i64().expect("a stock")
    }

    /// Polls until the product's stock is `expected`.
    pub async fn wait_for_stock(&self, id: &str, expected: i64) {
        eventually(&format!("stock of {id} to be {expected}"), WAIT, || async {
            (self.stock_of(id).await == expected).then_some(())
        })
        .await;
    }

    /// Orders stored.
    pub async fn order_count(&self) -> u64 {
        self.db
            .collection::<bson::Document>("orders")
            .count_documents(doc! {})
            .await
            .expect("count")
    }

    /// Stops everything and removes what the test created.
    pub async fn stop(self) {
        self.orders.app.stop_and_clean().await;
        self.products.stop_and_clean().await;
        if let Some(customers) = self.customers {
            customers.stop_and_clean().await;
        }
        delete_topology(&self.bus).await;
        self.bus_cancel.cancel();
    }
}
