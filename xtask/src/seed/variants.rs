//! A product sold in variants (issue 19), so a fresh suite shows the colour and size picker:
//! the "Trailhead Running Tee" in two colours and three sizes, one of them sold out and one at
//! its own price. Made through `POST /api/products` and `POST /api/products/:id/variants` as the
//! admin; the product is found by name and a SKU that exists already (409) is left as it is, so
//! a second seed changes nothing.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use super::api::Gateway;
use crate::ctx::Ctx;

/// The product sold in variants.
pub const NAME: &str = "Trailhead Running Tee";

/// Its body.
fn product() -> Value {
    json!({
        "name": NAME,
        "description": "A light, quick-drying running tee with flat seams and a reflective \
                        logo. Sold in two colours and three sizes.",
        "price": 24.0,
        "category": "Clothing",
        "tags": ["t-shirt", "running", "sport"],
        "stock": 0,
        "lowStockThreshold": 3,
    })
}

/// Its variants: (SKU, colour, size, stock, own price).
pub fn variants() -> Vec<Value> {
    let made = [
        ("TRAIL-TEE-BLK-S", "Black", "S", 12, None),
        ("TRAIL-TEE-BLK-M", "Black", "M", 20, None),
        ("TRAIL-TEE-BLK-L", "Black", "L", 2, None),
        ("TRAIL-TEE-SND-S", "Sand", "S", 8, Some(22.0)),
        ("TRAIL-TEE-SND-M", "Sand", "M", 0, Some(22.0)),
        ("TRAIL-TEE-SND-L", "Sand", "L", 6, Some(22.0)),
    ];
    made.iter()
        .map(|(sku, color, size, stock, price)| {
            let mut body = json!({ "sku": sku, "color": color, "size": size, "stock": stock });
            if let Some(price) = price {
                body["price"] = json!(price);
            }
            body
        })
        .collect()
}

/// The product's id: found by its name, or made now.
fn product_id(ctx: &Ctx, gateway: &Gateway, bearer: &str) -> Result<String> {
    let reply = gateway.send(
        ctx,
        &gateway.request("GET", "/products?search=trailhead&limit=20"),
    )?;
    if reply.status != 200 {
        bail!("GET /api/products?search=trailhead {}", reply.describe());
    }
    let found = reply.json["data"].as_array().and_then(|all| {
        all.iter()
            .find(|p| p["name"] == NAME)
            .and_then(|p| p["id"].as_str())
    });
    if let Some(id) = found {
        return Ok(id.to_owned());
    }
    let request = gateway
        .request("POST", "/products")
        .header("authorization", bearer)
        .json(product().to_string());
    let reply = gateway.send(ctx, &request)?;
    super::api::created(&reply).with_context(|| format!("creating {NAME:?}"))?;
    reply.json["data"]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("201 without data.id for {NAME:?}"))
}

/// Whether a listed product is sold in variants (and so not bought itself).
pub fn sold_in_variants(product: &Value) -> bool {
    product["variants"]
        .as_array()
        .is_some_and(|v| !v.is_empty())
}

/// Makes the missing variants with the admin's `token`; says what it did.
pub fn run(ctx: &Ctx, gateway: &Gateway, token: &str) -> Result<String> {
    let bearer = format!("Bearer {token}");
    let id = product_id(ctx, gateway, &bearer)?;
    let (mut created, mut existing) = (0, 0);
    for variant in variants() {
        let request = gateway
            .request("POST", &format!("/products/{id}/variants"))
            .header("authorization", &bearer)
            .json(variant.to_string());
        let reply = gateway.send(ctx, &request)?;
        match reply.status {
            201 => created += 1,
            409 => existing += 1,
            _ => bail!(
                "POST /api/products/{id}/variants {}: {}",
                variant["sku"],
                reply.describe()
            ),
        }
    }
    Ok(format!(
        "variants: {NAME} in {created} variants made now, {existing} there already"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tee_comes_in_two_colours_and_three_sizes_with_distinct_skus() {
        let all = variants();
        let mut skus: Vec<&str> = all.iter().map(|v| v["sku"].as_str().unwrap()).collect();
        skus.sort_unstable();
        skus.dedup();
        assert_eq!(skus.len(), 6);
        let sold_out = all.iter().filter(|v| v["stock"] == 0).count();
        assert_eq!(sold_out, 1, "one size sold out, to show it");
        assert!(
            all.iter().any(|v| v.get("price").is_some()),
            "one colour at its own price"
        );
    }
}
