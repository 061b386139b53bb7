//! The demo customer's shop (issue 15): an address book of two, a cart holding two products
//! and 1,250 loyalty points (Silver), each made only where it is missing, so that a second
//! seed changes nothing (the points are one admin adjustment under a fixed key, which
//! customer-service applies once).

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::{api::Gateway, data::Customer, sign_in::sign_in};
use crate::ctx::Ctx;

/// The addresses the demo customer keeps (the one given at sign-up counts as the first).
fn book() -> [Value; 2] {
    [
        json!({"street": "742 Market Street", "city": "San Francisco", "zipCode": "94103", "country": "United States", "label": "Home"}),
        json!({"street": "1 Ferry Building", "city": "San Francisco", "zipCode": "94111", "country": "United States", "label": "Work"}),
    ]
}

/// The demo customer's welcome points, and the key that makes them given once.
const WELCOME_POINTS: i64 = 1_250;
const WELCOME_KEY: &str = "seed-demo-welcome-points";

/// Gives `demo` two saved addresses, a cart of two products and the welcome points (as the
/// admin signed in with `admin_token`), where missing; says what it did.
pub fn run(ctx: &Ctx, gateway: &Gateway, demo: &Customer, admin_token: &str) -> Result<String> {
    let token = sign_in(ctx, gateway, &demo.email, &demo.password)?;
    let bearer = format!("Bearer {token}");
    let as_demo = |method: &str, path: &str| {
        gateway
            .request(method, path)
            .header("authorization", &bearer)
    };

    let saved = gateway.send(ctx, &as_demo("GET", "/customers/me/addresses"))?;
    if saved.status != 200 {
        bail!("GET /api/customers/me/addresses: {}", saved.describe());
    }
    let had = saved.json["data"].as_array().map_or(0, Vec::len);
    let mut added = 0;
    for address in book().iter().skip(had) {
        let reply = gateway.send(
            ctx,
            &as_demo("POST", "/customers/me/addresses").json(address.to_string()),
        )?;
        super::api::created(&reply)?;
        added += 1;
    }

    let cart = gateway.send(ctx, &as_demo("GET", "/cart"))?;
    if cart.status != 200 {
        bail!("GET /api/cart: {}", cart.describe());
    }
    let mut lines = cart.json["data"]["items"].as_array().map_or(0, Vec::len);
    if lines == 0 {
        let products =
            gateway.send(ctx, &gateway.request("GET", "/products?limit=4&sort=price"))?;
        let ids: Vec<String> = products.json["data"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter(|p| !super::variants::sold_in_variants(p))
                    .filter_map(|p| p["id"].as_str().map(str::to_owned))
                    .take(2)
                    .collect()
            })
            .unwrap_or_default();
        for (id, quantity) in ids.iter().zip([1, 2]) {
            let put = as_demo("PUT", &format!("/cart/items/{id}"))
                .json(json!({ "quantity": quantity }).to_string());
            let reply = gateway.send(ctx, &put)?;
            if reply.status != 200 {
                bail!("PUT /api/cart/items/{id}: {}", reply.describe());
            }
            lines += 1;
        }
    }
    let points = welcome_points(ctx, gateway, &as_demo("GET", "/auth/me"), admin_token)?;
    Ok(format!(
        "{}: {} saved addresses ({added} added now), {lines} lines in the cart, {points}",
        demo.email,
        had + added
    ))
}

/// Gives the customer `me` answers for the welcome points, once (a replay is 200).
fn welcome_points(
    ctx: &Ctx,
    gateway: &Gateway,
    me: &crate::http::Request,
    admin_token: &str,
) -> Result<String> {
    let me = gateway.send(ctx, me)?;
    let Some(id) = me.json["data"]["id"].as_str() else {
        bail!("GET /api/auth/me: {}", me.describe());
    };
    let body = json!({ "points": WELCOME_POINTS, "reason": "Welcome to the shop" });
    let adjust = gateway
        .request("POST", &format!("/customers/{id}/loyalty/adjustments"))
        .header("authorization", &format!("Bearer {admin_token}"))
        .header("idempotency-key", WELCOME_KEY)
        .json(body.to_string());
    let reply = gateway.send(ctx, &adjust)?;
    match reply.status {
        201 => Ok(format!("{WELCOME_POINTS} welcome points given")),
        200 => Ok("welcome points given before".to_owned()),
        _ => bail!(
            "POST /api/customers/{id}/loyalty/adjustments: {}",
            reply.describe()
        ),
    }
}
