//! One contract: for every route of the OpenAPI document that takes a body, the gateway's check
//! and the owning service give the same verdict on the same bad bodies. Each body is a valid
//! one with one thing broken (a field missing, `null`, of the wrong type, out of its bounds,
//! an unknown field beside it), made from the document's own schemas; the gateway's verdict is
//! its check of that route, the service's is what it answers when sent the body directly.

use reqwest::Method;
use serde_json::{Map, Value, json};
use shared::ApiError;

use crate::suite_helpers::{Fulfilment, Shop, spawn_shop};

/// An id that names nothing.
const UNKNOWN_ID: &str = "65a1b2c3d4e5f60718293a4b";

/// A valid body of each body type, to break one part at a time.
fn valid(schema: &str, product: &str) -> Value {
    let address =
        json!({"street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US"});
    match schema {
        "Registration" => {
            json!({"name": "Ada", "email": "ada.agreement@example.com", "password": "long enough", "phone": "+1 555 0100", "address": address})
        }
        "Credentials" => json!({"email": "nobody@example.com", "password": "wrong"}),
        "Refresh" => json!({"refreshToken": "not-a-token"}),
        "Logout" => json!({"refreshToken": "not-a-token"}),
        "CustomerPatch" => json!({"name": "Ada", "phone": "+1 555 0100", "address": address}),
        "AddressInput" => {
            json!({"street": "1 Main St", "city": "Springfield", "zipCode": "12345", "country": "US", "label": "Home", "isDefault": true})
        }
        "AddressPatch" => {
            json!({"street": "2 Main St", "city": "Springfield", "zipCode": "12345", "country": "US", "label": "Work", "isDefault": true})
        }
        "NewPaymentMethod" => {
            let year: i64 = shared::payment::today()
                .format("%Y")
                .to_string()
                .parse()
                .unwrap();
            json!({"card": {"number": "4242 4242 4242 4242", "expMonth": 12, "expYear": year + 3, "cvc": "123", "holder": "Ada"}, "makeDefault": true})
        }
        "PaymentMethodPatch" => json!({"makeDefault": true}),
        "CategoryInput" => {
            json!({"name": "Agreement Lamps", "slug": "agreement-lamps", "parent": UNKNOWN_ID})
        }
        "CategoryPatch" => {
            json!({"name": "Agreement Shades", "slug": "agreement-shades", "parent": UNKNOWN_ID})
        }
        "ProductInput" => {
            json!({"name": "Lamp", "description": "Bright.", "price": 19.99, "category": "Home", "brand": "Lumen", "tags": ["light"], "imageUrl": "https://cdn.example.com/l.png", "stock": 5, "lowStockThreshold": 1})
        }
        "OrderRequest" => {
            json!({"items": [{"productId": product, "quantity": 1}], "shippingAddress": address})
        }
        "Cancellation" => json!({"reason": "changed my mind"}),
        "WeeklyRequest" => json!({"week": "2025-W10"}),
        "LocationInput" => {
            json!({"id": "agreement-store", "name": "Agreement store", "kind": "store", "priority": 5})
        }
        "VariantInput" => {
            json!({"sku": "AGREE-RED-M", "color": "Red", "size": "M", "price": 21.5, "stock": 3})
        }
        "LocationPatch" => json!({"name": "Agreement depot", "kind": "warehouse", "priority": 3}),
        "InventoryInput" => json!({"locations": [{"id": "main", "stock": 5}]}),
        "CartQuantity" => json!({"quantity": 1}),
        "Checkout" => json!({"shippingAddress": address}),
        "CouponInput" => {
            json!({"code": "AGREE10", "kind": "percent", "value": 10, "minSubtotal": 20, "maxDiscount": 15, "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2999-01-01T00:00:00Z", "usageLimit": 100, "perCustomerLimit": 2, "minTier": "Silver", "active": true})
        }
        "CouponPatch" => {
            json!({"kind": "fixed", "value": 5, "minSubtotal": 20, "maxDiscount": 15, "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2999-01-01T00:00:00Z", "usageLimit": 100, "perCustomerLimit": 2, "minTier": "Gold", "active": false})
        }
        "CartCoupon" => json!({"code": "AGREE10"}),
        // Never the caller's password: a valid body is refused (403) and erases nothing.
        "Erasure" => json!({"password": "agreement-not-the-password"}),
        "RoleChange" => json!({"role": "customer"}),
        "Disabling" => json!({"reason": "agreement"}),
        "Adjustment" => json!({"points": 5, "reason": "agreement", "id": "agreement-1"}),
        "StatusChange" => json!({"status": "SHIPPED", "carrier": "UPS", "trackingNumber": "1Z"}),
        "Replay" => {
            json!({"queue": "nothing.here", "ids": ["0190c8a4-7b1e-7c3d-8e9f-0a1b2c3d4e5f"]})
        }
        "ClickBatch" => {
            json!({"events": [{"id": "agreement-1", "type": "view_product", "productId": product,
                "at": chrono::Utc::now().to_rfc3339(), "sessionId": "agreement-session"}]})
        }
        "ReviewInput" => json!({"rating": 4, "title": "Good lamp", "body": "Bright enough."}),
        "ReviewVisibility" => json!({"hidden": true}),
        "ChatRequest" => {
            json!({"message": "What is your return policy?", "sessionId": "agreement-1"})
        }
        "PreferencesPatch" => {
            json!({"email": {"orders": false, "payments": true, "loyalty": true}})
        }
        "ReturnRequest" => {
            json!({"items": [{"productId": product, "quantity": 1}], "reason": "Too bright"})
        }
        "ReturnNote" => json!({"note": "the parcel arrived whole"}),
        "WishlistAdd" => json!({"note": "for the study"}),
        "SubscriptionRequest" => {
            json!({"items": [{"productId": product, "quantity": 1}], "intervalDays": 30, "paymentMethodId": UNKNOWN_ID, "shippingAddressId": UNKNOWN_ID})
        }
        other => panic!("no valid example of {other}: add one"),
    }
}

/// `#/components/schemas/X` → the schema of X.
fn resolve<'a>(schemas: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

/// Wrong values for a property of this schema: another type, and each bound crossed.
fn wrong_values(schemas: &Value, schema: &Value) -> Vec<Value> {
    let schema = match schema.get("oneOf") {
        Some(Value::Array(options)) => options
            .iter()
            .find(|o| o["type"] != "null")
            .unwrap_or(schema),
        _ => schema,
    };
    let schema = resolve(schemas, schema);
    let kind = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    let mut values = vec![json!(true)];
    match kind.as_str() {
        Some("string") => {
            values.extend([
                json!(7),
                json!(""),
                json!("   "),
                json!("\u{200b}"),
                json!(["x"]),
            ]);
            if let Some(max) = schema["maxLength"].as_u64() {
                values.push(json!("x".repeat(usize::try_from(max).unwrap() + 1)));
            }
            if schema["enum"].is_array() {
                values.push(json!("NOT_A_VALUE"));
            }
        }
        Some("integer") | Some("number") => {
            values.extend([json!("1"), json!(1.5), json!(0.001), json!(-1), json!(0)]);
            if let Some(max) = schema["maximum"].as_f64() {
                values.push(json!(max + 1.0));
            }
        }
        Some("array") => {
            values.extend([json!({}), json!([]), json!([null]), json!([7])]);
            if let Some(max) = schema["maxItems"].as_u64() {
                values.push(Value::Array(vec![
                    json!("x");
                    usize::try_from(max).unwrap() + 1
                ]));
            }
        }
        Some("object") => values.extend([json!("x"), json!([]), json!({}), json!({"zz": 1})]),
        _ => values.push(json!("x")),
    }
    values
}

/// The valid body with one thing broken, for every thing the schema lets us break (one level
/// into nested objects, which the services check the same way).
fn broken(schemas: &Value, schema: &Value, body: &Value) -> Vec<Value> {
    let mut bodies = vec![json!([]), json!("x"), json!(1), json!({"zz": 1})];
    let Some(properties) = schema["properties"].as_object() else {
        return bodies;
    };
    let object = body.as_object().cloned().unwrap_or_default();
    let with = |name: &str, value: Option<Value>| {
        let mut copy: Map<String, Value> = object.clone();
        match value {
            Some(v) => copy.insert(name.to_owned(), v),
            None => copy.remove(name),
        };
        Value::Object(copy)
    };
    let mut extra = object.clone();
    extra.insert("zz".to_owned(), json!(1));
    bodies.push(Value::Object(extra));
    for (name, property) in properties {
        bodies.push(with(name, None));
        bodies.push(with(name, Some(Value::Null)));
        for value in wrong_values(schemas, property) {
            bodies.push(with(name, Some(value)));
        }
        let nested = resolve(
            schemas,
            property
                .get("oneOf")
                .and_then(|o| o.get(1))
                .unwrap_or(property),
        );
        if nested["type"] == "object" && object.get(name).is_some_and(Value::is_object) {
            for inner in broken(schemas, nested, &object[name]) {
                bodies.push(with(name, Some(inner)));
            }
        }
        if nested["type"] == "array"
            && let Some(first) = object
                .get(name)
                .and_then(|v| v.get(0))
                .filter(|v| v.is_object())
        {
            let item = resolve(schemas, &nested["items"]);
            for inner in broken(schemas, item, first) {
                bodies.push(with(name, Some(json!([inner]))));
            }
        }
    }
    bodies
}

/// The fields a 400 names, or `None` when the answer is not a validation error.
fn refused(status: u16, answer: &Value) -> Option<Vec<String>> {
    (status == 400 && answer["error"]["code"] == "VALIDATION_ERROR").then(|| {
        let mut fields: Vec<String> = answer["error"]["details"]
            .as_object()
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default();
        fields.sort();
        fields
    })
}

/// The fields the gateway's check names, or `None` when it lets the input through.
fn gateway_verdict(checked: Result<(), ApiError>) -> Option<Vec<String>> {
    match checked {
        Ok(()) => None,
        Err(ApiError::Validation { details, .. }) => {
            let mut fields: Vec<String> = details
                .as_object()
                .map(|d| d.keys().cloned().collect())
                .unwrap_or_default();
            fields.sort();
            Some(fields)
        }
        Err(other) => panic!("the check answered {other:?}"),
    }
}

fn no_disagreement(disagreements: &[String]) {
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

/// The service that owns a path (`/api/<area>/...`), and the path as that service sees it.
fn owner<'a>(shop: &'a Shop, path: &'a str) -> (&'a shared::testing::Spawned, &'a str) {
    let local = path.strip_prefix("/api").unwrap();
    let area = local.split('/').nth(1).unwrap();
    let service = match area {
        "auth" | "customers" | "loyalty" | "wishlist" | "admin" => &shop.customers,
        "products" | "categories" | "locations" => &shop.products,
        "orders" | "cart" | "checkout" | "coupons" | "returns" | "subscriptions" => &shop.orders,
        "alerts" | "notifications" => &shop.alerts,
        "analytics" | "dashboard" | "events" => &shop.analytics,
        "assistant" | "support" => &shop.assistant,
        other => panic!("no owner for /{other}"),
    };
    (service, local)
}

#[tokio::test]
async fn the_gateway_and_the_owning_service_agree_on_every_bad_body_of_every_route() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let buyer = shop.register("Buyer", "buyer.agreement@example.com").await;
    let leaver = shop
        .register("Leaver", "leaver.agreement@example.com")
        .await;
    let product = shop.product("Agreement Lamp", 10.0, 1000, &[]).await;
    let product_id = product["id"].as_str().unwrap().to_owned();
    let order = shop.place(&buyer, &product_id, 1).await;
    // Variants go to a product of their own: once sold in variants, a product is not ordered.
    let tee = shop.product("Agreement Tee", 12.0, 0, &[]).await;
    let tee_id = tee["id"].as_str().unwrap().to_owned();
    let (status, doc) = shop
        .call(Method::GET, "/api/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    let schemas = &doc["components"]["schemas"];

    let mut compared = 0;
    let mut disagreements = Vec::new();
    for (pattern, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(reference) =
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            let name = reference.trim_start_matches("#/components/schemas/");
            // No review exists: a valid body meets 404 there, never a 400 the gateway lacks.
            let path = pattern
                .replace("{reviewId}", UNKNOWN_ID)
                .replace("{variantId}", UNKNOWN_ID)
                .replace("{locationId}", "agreement-nowhere");
            // Nobody's role or access changes: a valid body meets 404 there.
            let path = if pattern.ends_with("/role") || pattern.ends_with("/disable") {
                path.replace("{id}", UNKNOWN_ID)
            } else {
                path
            };
            let path = path.replace("{productId}", &product_id).replace(
                "{id}",
                if pattern.starts_with("/api/products/{id}/variants") {
                    &tee_id
                } else if pattern.starts_with("/api/products") {
                    &product_id
                } else if pattern.starts_with("/api/customers") {
                    &buyer.id
                } else {
                    &order
                },
            );
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (route, _) =
                gateway::api::find(&method, &path).expect("the document's route is in the table");
            let check = route.body.expect("a route with a body").check;
            let bearer = match (route.access, name) {
                (_, "Logout") => Some(leaver.bearer.as_str()),
                (gateway::access::Access::Admin | gateway::access::Access::SuperAdmin, _) => {
                    Some(shop.admin.as_str())
                }
                (gateway::access::Access::Authenticated, _) => Some(buyer.bearer.as_str()),
                (gateway::access::Access::Public, _) => None,
            };
            let (service, local) = owner(&shop, &path);
            let schema = &schemas[name];
            let mut bodies = broken(schemas, schema, &valid(name, &product_id));
            // Refusals first: a valid body may change what later ones meet (a logout, a move).
            bodies.sort_by_key(|b| check(b.to_string().as_bytes()).is_ok());
            for body in bodies {
                let bytes = body.to_string();
                let gateway = gateway_verdict(check(bytes.as_bytes()));
                let mut request = service
                    .client
                    .request(method.clone(), service.url(local))
                    .header("content-type", "application/json")
                    .body(bytes.clone());
                if let Some(bearer) = bearer {
                    request = request.header("authorization", bearer);
                }
                let answer = request.send().await.expect("the service answers");
                let status = answer.status().as_u16();
                let answer: Value = answer.json().await.unwrap_or(Value::Null);
                let service = refused(status, &answer);
                compared += 1;
                if gateway != service {
                    disagreements.push(format!(
                        "{method} {pattern} {bytes}\n  gateway: {gateway:?}\n  service: {status} {answer}"
                    ));
                }
            }
        }
    }

    assert!(compared > 300, "only {compared} bodies compared");
    no_disagreement(&disagreements);
    shop.stop().await;
}

/// Bad values for a query parameter of this schema.
fn bad_parameters(schema: &Value) -> Vec<String> {
    let mut values = vec!["x".repeat(300)];
    match schema["type"].as_str() {
        Some("integer") => {
            values.extend(["x", "1.5", "-1", "0", "99999999999999999999999"].map(String::from));
            if let Some(max) = schema["maximum"].as_i64() {
                values.push((max + 1).to_string());
            }
        }
        Some("number") => values.extend(["x", "-1", "1.234", "1e400"].map(String::from)),
        Some("boolean") => values.extend(["yes", "1"].map(String::from)),
        _ => values.extend(["NOT_A_VALUE", "2026-13-40", "nope", "123"].map(String::from)),
    }
    values
}

#[tokio::test]
async fn the_gateway_and_the_owning_service_agree_on_every_bad_query_of_every_route() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let buyer = shop.register("Asker", "asker.agreement@example.com").await;
    let (status, doc) = shop
        .call(Method::GET, "/api/openapi.json", None, None)
        .await;
    assert_eq!(status, 200);
    // Rules that span parameters, which no single bad value reaches.
    let across = [
        "from=2026-02-04&to=2026-02-01",
        "from=2026-01-01",
        "to=2026-01-01",
        "from=2000-01-01&to=2026-01-01",
        "minPrice=10&maxPrice=5",
        "sort=relevance",
        "search=a+b+c+d+e+f+g+h+i+j+k",
        "search=%20%20",
        "page=2&page=0",
        "topic=orders,nope",
        "unknown=1",
    ];

    let mut compared = 0;
    let mut disagreements = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let Some(parameters) = operations["get"]["parameters"].as_array() else {
            continue;
        };
        let names: Vec<(&str, &Value)> = parameters
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| (p["name"].as_str().unwrap(), &p["schema"]))
            .collect();
        if names.is_empty() {
            continue;
        }
        let (route, _) = gateway::api::find(&Method::GET, path).expect("a route of the table");
        let check = route.query.expect("a route with a query").check;
        let bearer = match route.access {
            gateway::access::Access::Admin | gateway::access::Access::SuperAdmin => {
                Some(shop.admin.as_str())
            }
            gateway::access::Access::Authenticated => Some(buyer.bearer.as_str()),
            gateway::access::Access::Public => None,
        };
        let mut queries: Vec<String> = across.iter().map(|q| (*q).to_owned()).collect();
        for (name, schema) in &names {
            for value in bad_parameters(schema) {
                queries.push(format!("{name}={}", value.replace(' ', "+")));
            }
        }
        // A product that does not exist: a valid query meets 404, a bad one the same 400.
        let concrete = path.replace("{id}", UNKNOWN_ID);
        let (service, local) = owner(&shop, &concrete);
        for query in queries {
            let gateway = gateway_verdict(check(Some(&query)));
            let mut request = service
                .client
                .get(format!("{}?{query}", service.url(local)));
            if let Some(bearer) = bearer {
                request = request.header("authorization", bearer);
            }
            let answer = request.send().await.expect("the service answers");
            let status = answer.status().as_u16();
            let answer: Value = answer.json().await.unwrap_or(Value::Null);
            compared += 1;
            if gateway != refused(status, &answer) {
                disagreements.push(format!(
                    "GET {path}?{query}\n  gateway: {gateway:?}\n  service: {status} {answer}"
                ));
            }
        }
    }

    assert!(compared > 100, "only {compared} queries compared");
    no_disagreement(&disagreements);
    shop.stop().await;
}
