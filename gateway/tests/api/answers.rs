//! One contract for answers: every route of the table that declares what it answers is called
//! for real through the gateway, in an order that makes each call succeed, and its `data` is
//! read back into the declared `shared::api` type (unknown fields refused, and written back
//! the same). A field a service adds, renames or drops without the contract fails here.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::suite_helpers::{Customer, Fulfilment, Shop, WAIT, spawn_shop};
use gateway::api::answer::Shape;
use shared::testing::eventually;

/// Calls routes and compares each answer with what its row of the table declares.
struct Answers<'a> {
    shop: &'a Shop,
    /// `METHOD pattern` of every route called.
    covered: BTreeSet<String>,
    /// Every difference found, to report them all at once.
    differences: Vec<String>,
}

impl<'a> Answers<'a> {
    fn new(shop: &'a Shop) -> Self {
        Self {
            shop,
            covered: BTreeSet::new(),
            differences: Vec::new(),
        }
    }

    /// `method path` with `body` as `bearer`; checks the answer against the route's row and
    /// returns its `data`.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        bearer: Option<&str>,
    ) -> Value {
        let (status, envelope) = self
            .shop
            .call(method.clone(), path, body.as_ref(), bearer)
            .await;
        self.judge(method, path, status, envelope)
    }

    /// `GET path` of a route declared to answer a file: its status and content type.
    async fn download(&mut self, path: &str, bearer: &str, content_type: &'static str) {
        let bare = path.split('?').next().unwrap_or(path);
        let (route, _) = gateway::api::find(&Method::GET, bare).expect("a route of the table");
        let name = format!("GET {}", route.path);
        self.covered.insert(name.clone());
        let response = self
            .shop
            .gateway
            .client
            .get(self.shop.gateway.url(path))
            .header("authorization", bearer)
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status().as_u16();
        let answered = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let declared = route.answer.map(|a| a.shape);
        if status != 200
            || !answered.starts_with(content_type)
            || declared != Some(Shape::File(content_type))
        {
            self.differences.push(format!(
                "{name}: answered {status} {answered}, declared {declared:?}"
            ));
        }
    }

    /// `POST path` with a `multipart/form-data` body (an upload) as `bearer`; checks the
    /// answer against the route's row and returns its `data`.
    async fn upload(&mut self, path: &str, bearer: &str, image: &[u8]) -> Value {
        let (content_type, body) = shared::api::images::form(&[
            ("file", Some("image/png"), image),
            ("alt", None, b"an answer"),
        ]);
        let response = self
            .shop
            .gateway
            .client
            .post(self.shop.gateway.url(path))
            .header("authorization", bearer)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status().as_u16();
        let envelope = response.json().await.unwrap_or(Value::Null);
        self.judge(Method::POST, path, status, envelope)
    }

    /// `GET path` of a route declared to answer an image: its status and content type.
    async fn image(&mut self, path: &str) {
        let (route, _) = gateway::api::find(&Method::GET, path).expect("a route of the table");
        let name = format!("GET {}", route.path);
        self.covered.insert(name.clone());
        let response = self
            .shop
            .gateway
            .client
            .get(self.shop.gateway.url(path))
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status().as_u16();
        let answered = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(shared::api::images::ImageKind::from_content_type);
        let declared = route.answer.map(|a| a.shape);
        if status != 200 || answered.is_none() || declared != Some(Shape::Image) {
            self.differences.push(format!(
                "{name}: answered {status} {answered:?}, declared {declared:?}"
            ));
        }
    }

    /// Checks an answer to `method path` against the route's row; returns its `data`.
    fn judge(&mut self, method: Method, path: &str, status: u16, envelope: Value) -> Value {
        let bare = path.split('?').next().unwrap_or(path);
        let (route, _) = gateway::api::find(&method, bare).expect("a route of the table");
        let answer = route
            .answer
            .unwrap_or_else(|| panic!("{method} {} declares no answer", route.path));
        let name = format!("{method} {}", route.path);
        self.covered.insert(name.clone());
        if !answer.has_status(status) {
            self.differences.push(format!(
                "{name}: answered {status}, declared {}: {envelope}",
                answer.status
            ));
            return Value::Null;
        }
        if answer.shape == Shape::Nothing {
            if !envelope.is_null() {
                self.differences
                    .push(format!("{name}: a body where none is declared: {envelope}"));
            }
            return Value::Null;
        }
        let paged = answer.shape == Shape::Page
            || (answer.shape == Shape::OneOrPage && envelope["data"].is_array());
        let keys: BTreeSet<&str> = envelope
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let expected: BTreeSet<&str> = if paged {
            ["success", "data", "meta"].into()
        } else {
            ["success", "data"].into()
        };
        if keys != expected || envelope["success"] != true {
            self.differences
                .push(format!("{name}: not the success envelope: {envelope}"));
        }
        if paged {
            let meta = &envelope["meta"];
            let fields: Vec<&str> = ["page", "limit", "total"]
                .into_iter()
                .chain(answer.meta.iter().copied())
                .collect();
            if meta.as_object().map(|m| m.len()) != Some(fields.len())
                || fields.iter().any(|f| !meta[f].is_u64())
            {
                self.differences
                    .push(format!("{name}: meta is not {fields:?}: {meta}"));
            }
        }
        if let Err(problem) = (answer.check)(&envelope["data"]) {
            self.differences.push(format!("{name}: {problem}"));
        }
        envelope["data"].clone()
    }
}

fn id(data: &Value) -> String {
    data["id"].as_str().expect("an id").to_owned()
}

fn card(number: &str) -> Value {
    let year: i64 = shared::payment::today()
        .format("%Y")
        .to_string()
        .parse()
        .unwrap();
    json!({"card": {"number": number, "expMonth": 12, "expYear": year + 3, "cvc": "123", "holder": "Ana"}})
}

fn product(name: &str) -> Value {
    json!({"name": name, "description": "Bright.", "price": 19.99, "category": "Home",
        "brand": "Lumen",
        "tags": ["light"], "imageUrl": "https://cdn.example.com/l.png", "stock": 50,
        "lowStockThreshold": 2})
}

/// Sign-up, sign-in, refresh, the data export, sign-out and erasure of an account of its own.
async fn sessions(a: &mut Answers<'_>) {
    let email = "leaver.answers@example.com";
    let body = json!({"name": "Leaver", "email": email, "password": "long enough",
        "phone": "+1 555 0100"});
    let session = a
        .call(Method::POST, "/api/auth/register", Some(body), None)
        .await;
    let login = json!({"email": email, "password": "long enough"});
    a.call(Method::POST, "/api/auth/login", Some(login), None)
        .await;
    let refresh = json!({"refreshToken": session["refreshToken"]});
    let renewed = a
        .call(Method::POST, "/api/auth/refresh", Some(refresh), None)
        .await;
    let bearer = format!(
        "Bearer {}",
        renewed["accessToken"].as_str().unwrap_or_default()
    );
    a.call(Method::GET, "/api/customers/me/export", None, Some(&bearer))
        .await;
    a.call(Method::POST, "/api/auth/logout", None, Some(&bearer))
        .await;
    // Then the account is erased, from a new sign-in.
    let again = a
        .call(
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": email, "password": "long enough"})),
            None,
        )
        .await;
    let bearer = format!(
        "Bearer {}",
        again["accessToken"].as_str().unwrap_or_default()
    );
    let erase = json!({"password": "long enough"});
    a.call(
        Method::DELETE,
        "/api/customers/me",
        Some(erase),
        Some(&bearer),
    )
    .await;
}

/// The super admin makes an account an admin and a customer again, disables and enables it,
/// and reads the audit log.
async fn staff(a: &mut Answers<'_>, admin: &str) {
    let body = json!({"name": "Staffer", "email": "staffer.answers@example.com",
        "password": "long enough"});
    let session = a
        .call(Method::POST, "/api/auth/register", Some(body), None)
        .await;
    let id = session["customer"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let admin = Some(admin);
    let role = format!("/api/customers/{id}/role");
    a.call(Method::PUT, &role, Some(json!({"role": "admin"})), admin)
        .await;
    a.call(
        Method::POST,
        &format!("/api/customers/{id}/disable"),
        Some(json!({"reason": "answers"})),
        admin,
    )
    .await;
    a.call(
        Method::POST,
        &format!("/api/customers/{id}/enable"),
        None,
        admin,
    )
    .await;
    a.call(Method::PUT, &role, Some(json!({"role": "customer"})), admin)
        .await;
    a.call(Method::GET, "/api/admin/audit", None, admin).await;
}

/// The buyer's record, address book, wallet and loyalty; the card to pay with.
async fn records(a: &mut Answers<'_>, buyer: &Customer, admin: &str) {
    let me = Some(buyer.bearer.as_str());
    let own = format!("/api/customers/{}", buyer.id);
    a.call(Method::GET, "/api/auth/me", None, me).await;
    a.call(Method::GET, &own, None, me).await;
    let patch = json!({"name": "Ana Answers", "phone": "+1 555 0199"});
    a.call(Method::PATCH, &own, Some(patch), me).await;

    let book = "/api/customers/me/addresses";
    a.call(Method::GET, book, None, me).await;
    let work = json!({"street": "2 Work Rd", "city": "Springfield", "zipCode": "12345",
        "country": "US", "label": "Work"});
    let saved = id(&a.call(Method::POST, book, Some(work), me).await);
    let one = format!("{book}/{saved}");
    a.call(Method::PATCH, &one, Some(json!({"isDefault": true})), me)
        .await;
    a.call(Method::DELETE, &one, None, me).await;

    let wallet = "/api/customers/me/payment-methods";
    a.call(Method::GET, wallet, None, me).await;
    a.call(Method::POST, wallet, Some(card("4242 4242 4242 4242")), me)
        .await;
    let spare = id(&a
        .call(Method::POST, wallet, Some(card("5555 5555 5555 4444")), me)
        .await);
    let one = format!("{wallet}/{spare}");
    a.call(Method::PATCH, &one, Some(json!({"makeDefault": true})), me)
        .await;
    a.call(Method::DELETE, &one, None, me).await;

    a.call(Method::GET, "/api/loyalty/tiers", None, None).await;
    let adjustment = json!({"points": 100, "reason": "welcome", "id": "answers-1"});
    let path = format!("{own}/loyalty/adjustments");
    a.call(Method::POST, &path, Some(adjustment.clone()), Some(admin))
        .await;
    // The same key again: 200, the same account.
    a.call(Method::POST, &path, Some(adjustment), Some(admin))
        .await;
}

/// The catalog; the id of a product to buy.
async fn catalog(a: &mut Answers<'_>, admin: &str) -> String {
    let bearer = admin;
    let admin = Some(admin);
    let lamp = id(&a
        .call(
            Method::POST,
            "/api/products",
            Some(product("Answer Lamp")),
            admin,
        )
        .await);
    let doomed = id(&a
        .call(
            Method::POST,
            "/api/products",
            Some(product("Answer Bin")),
            admin,
        )
        .await);
    a.call(Method::GET, "/api/products?limit=5", None, None)
        .await;
    let one = format!("/api/products/{lamp}");
    a.call(Method::GET, &one, None, None).await;
    let images = format!("{one}/images");
    let red = shared::api::images::png(2, 2, [200, 0, 0]);
    let blue = shared::api::images::png(2, 2, [0, 0, 200]);
    let pictured = a.upload(&images, bearer, &red).await;
    a.upload(&images, bearer, &blue).await;
    let url = pictured["images"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    a.image(&url).await;
    let second = shared::api::images::image_id(&blue);
    a.call(Method::DELETE, &format!("{images}/{second}"), None, admin)
        .await;
    // Stock per location: a store added, the lamp's units spread, read back.
    a.call(Method::GET, "/api/locations", None, None).await;
    let store = json!({"id": "answer-store", "name": "Answer store", "kind": "store"});
    a.call(Method::POST, "/api/locations", Some(store), admin)
        .await;
    let inventory = format!("{one}/inventory");
    let spread =
        json!({"locations": [{"id": "main", "stock": 40}, {"id": "answer-store", "stock": 10}]});
    a.call(Method::PUT, &inventory, Some(spread), admin).await;
    a.call(Method::GET, &inventory, None, None).await;
    let rename = json!({"name": "Answer corner store", "priority": 7});
    a.call(
        Method::PATCH,
        "/api/locations/answer-store",
        Some(rename),
        admin,
    )
    .await;
    let spare = json!({"id": "answer-spare", "name": "Answer spare", "kind": "warehouse"});
    a.call(Method::POST, "/api/locations", Some(spare), admin)
        .await;
    a.call(Method::DELETE, "/api/locations/answer-spare", None, admin)
        .await;
    a.call(Method::PUT, &one, Some(product("Answer Lamp II")), admin)
        .await;
    // Variants of the product about to go: added, listed, changed, removed.
    let variants = format!("/api/products/{doomed}/variants");
    let red = json!({"sku": "ANS-RED", "color": "Red", "size": "M", "stock": 2});
    let made = id(&a.call(Method::POST, &variants, Some(red), admin).await);
    a.call(Method::GET, &variants, None, None).await;
    let blue = json!({"sku": "ANS-BLUE", "color": "Blue", "stock": 1, "price": 12.5});
    let one_variant = format!("{variants}/{made}");
    a.call(Method::PUT, &one_variant, Some(blue), admin).await;
    a.call(Method::GET, &format!("/api/products/{doomed}"), None, None)
        .await;
    a.call(Method::DELETE, &one_variant, None, admin).await;
    a.call(
        Method::DELETE,
        &format!("/api/products/{doomed}"),
        None,
        admin,
    )
    .await;
    lamp
}

/// The category tree: a parent and a child made, read, renamed and moved, the child deleted.
async fn categories(a: &mut Answers<'_>, admin: &str) {
    let admin = Some(admin);
    let home = id(&a
        .call(
            Method::POST,
            "/api/categories",
            Some(json!({"name": "Answer Home"})),
            admin,
        )
        .await);
    let lights = id(&a
        .call(
            Method::POST,
            "/api/categories",
            Some(json!({"name": "Answer Lights", "parent": home})),
            admin,
        )
        .await);
    a.call(Method::GET, "/api/categories", None, None).await;
    let one = format!("/api/categories/{lights}");
    a.call(Method::GET, &one, None, None).await;
    let change = json!({"name": "Answer Lamps", "slug": "answer-lamps", "parent": null});
    a.call(Method::PATCH, &one, Some(change), admin).await;
    a.call(Method::DELETE, &one, None, admin).await;
}

/// Coupons, the cart, and a checkout with a coupon and the default card; the checkout's order.
async fn cart_and_checkout(
    a: &mut Answers<'_>,
    buyer: &Customer,
    admin: &str,
    lamp: &str,
) -> String {
    let me = Some(buyer.bearer.as_str());
    let admin = Some(admin);
    let coupon = json!({"code": "ANSWERS10", "kind": "percent", "value": 10});
    a.call(Method::POST, "/api/coupons", Some(coupon), admin)
        .await;
    let doomed = json!({"code": "GONE5", "kind": "fixed", "value": 5, "minSubtotal": 20});
    a.call(Method::POST, "/api/coupons", Some(doomed), admin)
        .await;
    a.call(Method::GET, "/api/coupons", None, admin).await;
    a.call(Method::GET, "/api/coupons/ANSWERS10", None, admin)
        .await;
    a.call(
        Method::PATCH,
        "/api/coupons/ANSWERS10",
        Some(json!({"maxDiscount": 15})),
        admin,
    )
    .await;
    a.call(Method::DELETE, "/api/coupons/GONE5", None, admin)
        .await;

    let line = format!("/api/cart/items/{lamp}");
    a.call(Method::PUT, &line, Some(json!({"quantity": 2})), me)
        .await;
    a.call(Method::DELETE, &line, None, me).await;
    a.call(Method::PUT, &line, Some(json!({"quantity": 3})), me)
        .await;
    a.call(
        Method::POST,
        "/api/cart/coupon",
        Some(json!({"code": "ANSWERS10"})),
        me,
    )
    .await;
    a.call(Method::DELETE, "/api/cart/coupon", None, me).await;
    a.call(
        Method::POST,
        "/api/cart/coupon",
        Some(json!({"code": "ANSWERS10"})),
        me,
    )
    .await;
    a.call(Method::GET, "/api/cart", None, me).await;
    let order = id(&a.call(Method::POST, "/api/checkout", None, me).await);
    a.call(Method::DELETE, "/api/cart", None, me).await;
    order
}

/// `data` of a call made until `ready` says it is (without recording it), then checked.
async fn once_ready(
    a: &mut Answers<'_>,
    what: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    bearer: Option<&str>,
    ready: fn(u16, &Value) -> bool,
) -> Value {
    let shop = a.shop;
    let (status, envelope) = eventually(what, WAIT, || async {
        let (status, envelope) = shop.call(method.clone(), path, body.as_ref(), bearer).await;
        ready(status, &envelope).then_some((status, envelope))
    })
    .await;
    a.judge(method, path, status, envelope)
}

/// Whether a list answer has something in it.
fn listed(status: u16, envelope: &Value) -> bool {
    status == 200 && envelope["data"].as_array().is_some_and(|d| !d.is_empty())
}

/// The admin's customer list, and the buyer found by email.
async fn directory(a: &mut Answers<'_>, buyer: &Customer, email: &str, admin: &str) {
    a.call(Method::GET, "/api/customers?limit=5", None, Some(admin))
        .await;
    let path = format!("/api/customers?email={email}");
    a.call(Method::GET, &path, None, Some(&buyer.bearer)).await;
}

/// A review of the delivered lamp, edited and hidden; two returns of it, one taken to
/// received and one rejected.
async fn after_sales(a: &mut Answers<'_>, buyer: &Customer, admin: &str, lamp: &str, paid: &str) {
    let me = Some(buyer.bearer.as_str());
    let reviews = format!("/api/products/{lamp}/reviews");
    let review = json!({"rating": 4, "title": "Bright", "body": "Lights the whole room."});
    // product-service learns of the delivery from order.delivered: 403 until then.
    let made = once_ready(
        a,
        "product-service to see the delivery",
        Method::POST,
        &reviews,
        Some(review),
        me,
        |status, _| status != 403,
    )
    .await;
    a.call(Method::GET, &format!("{reviews}?limit=5"), None, None)
        .await;
    let edit = json!({"rating": 5, "body": "Even better after a week."});
    a.call(Method::PUT, &format!("{reviews}/mine"), Some(edit), me)
        .await;
    let hide = format!("{reviews}/{}", id(&made));
    a.call(
        Method::PATCH,
        &hide,
        Some(json!({"hidden": true})),
        Some(admin),
    )
    .await;

    let path = format!("/api/orders/{paid}/returns");
    let line =
        |reason: &str| json!({"items": [{"productId": lamp, "quantity": 1}], "reason": reason});
    let kept = id(&a
        .call(Method::POST, &path, Some(line("Too bright")), me)
        .await);
    let refused = id(&a
        .call(Method::POST, &path, Some(line("Changed my mind")), me)
        .await);
    a.call(Method::GET, "/api/returns?limit=5", None, me).await;
    a.call(Method::GET, &format!("/api/returns/{kept}"), None, me)
        .await;
    let note = json!({"note": "Parcel intact."});
    for action in ["approve", "receive"] {
        let path = format!("/api/returns/{kept}/{action}");
        a.call(Method::POST, &path, Some(note.clone()), Some(admin))
            .await;
    }
    let path = format!("/api/returns/{refused}/reject");
    a.call(Method::POST, &path, None, Some(admin)).await;
}

/// The admin's alerts (one acknowledged) and the buyer's notifications and mail choices.
async fn messages(a: &mut Answers<'_>, buyer: &Customer, admin: &str) {
    let me = Some(buyer.bearer.as_str());
    let alerts = once_ready(
        a,
        "an alert",
        Method::GET,
        "/api/alerts?limit=5",
        None,
        Some(admin),
        listed,
    )
    .await;
    let ack = format!("/api/alerts/{}/ack", id(&alerts[0]));
    a.call(Method::POST, &ack, None, Some(admin)).await;

    let notes = once_ready(
        a,
        "a notification",
        Method::GET,
        "/api/notifications?limit=5",
        None,
        me,
        listed,
    )
    .await;
    let read = format!("/api/notifications/{}/read", id(&notes[0]));
    a.call(Method::POST, &read, None, me).await;
    a.call(Method::POST, "/api/notifications/read-all", None, me)
        .await;
    let preferences = "/api/notifications/preferences";
    a.call(Method::GET, preferences, None, me).await;
    let patch = json!({"email": {"loyalty": false}});
    a.call(Method::PATCH, preferences, Some(patch), me).await;
}

/// The assistant, then every report once analytics has seen the orders and the reply; the
/// rebuild last, as it rewrites the read models.
async fn reports(a: &mut Answers<'_>, bearer: &str) {
    let admin = Some(bearer);
    a.call(Method::GET, "/api/assistant/functions", None, None)
        .await;
    let question = json!({"message": "What is your return policy?"});
    a.call(Method::POST, "/api/assistant/chat", Some(question), None)
        .await;
    let clicks = json!({"events": [{"id": "answers-1", "type": "search", "query": "lamp",
        "results": 1, "at": chrono::Utc::now().to_rfc3339(), "sessionId": "answers-session"}]});
    a.call(Method::POST, "/api/events", Some(clicks), None)
        .await;
    once_ready(
        a,
        "analytics to count the orders",
        Method::GET,
        "/api/analytics/dashboard-metrics",
        None,
        admin,
        |status, e| status == 200 && e["data"]["orders"].as_i64() >= Some(1),
    )
    .await;
    once_ready(
        a,
        "analytics to count the reply",
        Method::GET,
        "/api/dashboard/assistant-stats",
        None,
        admin,
        |status, e| status == 200 && e["data"]["replies"].as_i64() >= Some(1),
    )
    .await;
    for path in [
        "/api/analytics/daily-revenue?days=7",
        "/api/analytics/top-products?limit=5",
        "/api/analytics/discounts?days=7",
        "/api/analytics/funnel?days=7",
        "/api/analytics/clickstream?days=7",
        "/api/analytics/after-sales?days=7",
        "/api/dashboard/business-metrics?days=7",
        "/api/dashboard/performance",
        "/api/analytics/dead-letters?limit=5",
    ] {
        a.call(Method::GET, path, None, admin).await;
    }
    for (path, kind) in [
        ("/api/analytics/reports/sales.csv?days=7", "text/csv"),
        ("/api/analytics/reports/sales.pdf?days=7", "application/pdf"),
    ] {
        a.download(path, bearer, kind).await;
    }
    // A week long gone: issued by the first call, not again by the second.
    let week = json!({"week": "2025-W10"});
    let path = "/api/analytics/reports/weekly";
    a.call(Method::POST, path, Some(week.clone()), admin).await;
    a.call(Method::POST, path, Some(week), admin).await;
    // An id no dead letter has: nothing goes back to the shared broker's queues.
    let replay = json!({"ids": [uuid::Uuid::new_v4().to_string()]});
    let path = "/api/analytics/dead-letters/replay";
    a.call(Method::POST, path, Some(replay), admin).await;
    a.call(Method::POST, "/api/analytics/rebuild", None, admin)
        .await;
    a.call(Method::GET, "/api/analytics/rebuild", None, admin)
        .await;
}

/// The wishlist: a product wished (201), wished again (200), listed, and let go.
async fn wishes(a: &mut Answers<'_>, me: Option<&str>, lamp: &str) {
    let path = format!("/api/wishlist/{lamp}");
    a.call(
        Method::PUT,
        &path,
        Some(json!({"note": "for the study"})),
        me,
    )
    .await;
    a.call(Method::PUT, &path, None, me).await;
    a.call(Method::GET, "/api/wishlist", None, me).await;
    a.call(Method::DELETE, &path, None, me).await;
}

/// A subscription to `lamp` with a card and an address saved for it, paused, resumed,
/// listed and cancelled.
async fn subscriptions(a: &mut Answers<'_>, buyer: &Customer, lamp: &str) {
    let me = Some(buyer.bearer.as_str());
    let home = json!({"street": "3 Sub St", "city": "Springfield", "zipCode": "12345",
        "country": "US", "label": "Subscriptions"});
    let (_, address) = a
        .shop
        .call(Method::POST, "/api/customers/me/addresses", Some(&home), me)
        .await;
    let (_, wallet) = a
        .shop
        .call(
            Method::POST,
            "/api/customers/me/payment-methods",
            Some(&card("4242 4242 4242 4242")),
            me,
        )
        .await;
    let body = json!({"items": [{"productId": lamp, "quantity": 1}], "intervalDays": 30,
        "paymentMethodId": wallet["data"]["id"], "shippingAddressId": address["data"]["id"]});
    let sub = id(&a
        .call(Method::POST, "/api/subscriptions", Some(body), me)
        .await);
    let one = format!("/api/subscriptions/{sub}");
    a.call(Method::GET, "/api/subscriptions", None, me).await;
    a.call(Method::GET, &one, None, me).await;
    for action in ["pause", "resume", "cancel"] {
        a.call(Method::POST, &format!("{one}/{action}"), None, me)
            .await;
    }
}

#[tokio::test]
async fn every_declared_answer_reads_back_into_its_type_through_the_suite() {
    let shop = spawn_shop(Fulfilment::Off).await;
    let buyer = shop.register("Ana", "ana.answers@example.com").await;
    let admin = shop.admin.clone();
    let me = Some(buyer.bearer.as_str());
    let mut a = Answers::new(&shop);

    a.call(Method::GET, "/api/health", None, None).await;
    sessions(&mut a).await;
    staff(&mut a, &admin).await;
    records(&mut a, &buyer, &admin).await;
    let lamp = catalog(&mut a, &admin).await;
    categories(&mut a, &admin).await;
    let items = json!({"items": [{"productId": lamp, "quantity": 1}]});
    let invoiced = id(&a
        .call(Method::POST, "/api/orders", Some(items.clone()), me)
        .await);
    let cancelled = id(&a.call(Method::POST, "/api/orders", Some(items), me).await);
    a.call(
        Method::POST,
        &format!("/api/orders/{cancelled}/cancel"),
        Some(json!({"reason": "changed my mind"})),
        me,
    )
    .await;
    let paid = cart_and_checkout(&mut a, &buyer, &admin, &lamp).await;
    wishes(&mut a, me, &lamp).await;
    // Delivered, the paid order credits points: the account then has a delivery's entry.
    for order in [&invoiced, &paid] {
        shop.wait_for_status(&buyer, order, "PROCESSING").await;
    }
    let status = format!("/api/orders/{paid}/status");
    a.call(
        Method::PATCH,
        &status,
        Some(json!({"status": "SHIPPED"})),
        Some(&admin),
    )
    .await;
    a.call(
        Method::PATCH,
        &status,
        Some(json!({"status": "DELIVERED"})),
        Some(&admin),
    )
    .await;
    eventually("the delivery's points", WAIT, || async {
        let (_, account) = shop.call(Method::GET, "/api/loyalty", None, me).await;
        let history = account["data"]["history"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        history
            .iter()
            .any(|h| h["reason"] == "ORDER_DELIVERED")
            .then_some(())
    })
    .await;
    a.call(Method::GET, "/api/loyalty", None, me).await;
    a.call(Method::GET, "/api/orders", None, me).await;
    a.call(Method::GET, &format!("/api/orders/{paid}"), None, me)
        .await;
    directory(&mut a, &buyer, "ana.answers@example.com", &admin).await;
    after_sales(&mut a, &buyer, &admin, &lamp, &paid).await;
    messages(&mut a, &buyer, &admin).await;
    reports(&mut a, &admin).await;
    subscriptions(&mut a, &buyer, &lamp).await;

    // Human support: a chat that asked for a person waits in the queue.
    shop.chat("can I talk to a person?", Some("answers-support-1"), me)
        .await;
    a.call(Method::GET, "/api/support/queue", None, Some(&admin))
        .await;
    a.call(
        Method::GET,
        "/api/support/conversations/answers-support-1",
        None,
        Some(&admin),
    )
    .await;

    // Streams and sockets answer with events and messages, checked by their own tests.
    let declared: BTreeSet<String> = gateway::api::routes()
        .filter(|r| r.answer.is_some_and(|a| a.is_envelope()))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let missed: Vec<&String> = declared.difference(&a.covered).collect();
    assert!(
        missed.is_empty(),
        "declared but never called here: {missed:?}"
    );
    assert!(
        declared.len() >= 70,
        "only {} answers declared",
        declared.len()
    );
    assert!(
        a.differences.is_empty(),
        "{} answers differ from their types:\n{}",
        a.differences.len(),
        a.differences.join("\n")
    );
    shop.stop().await;
}
