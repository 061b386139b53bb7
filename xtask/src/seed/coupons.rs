//! The catalog's coupons (issue 15): `WELCOME10` (10 %), `FREESHIP` (free shipping) and
//! `GOLD20` (20 %, Gold and above), created through `POST /api/coupons` as the admin. A code
//! that exists already (409) is left as it is, so a second seed changes nothing.

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::api::Gateway;
use crate::ctx::Ctx;

/// The coupons the seed creates.
pub fn coupons() -> [Value; 3] {
    [
        json!({"code": "WELCOME10", "kind": "percent", "value": 10}),
        json!({"code": "FREESHIP", "kind": "free_shipping"}),
        json!({"code": "GOLD20", "kind": "percent", "value": 20, "minTier": "Gold"}),
    ]
}

/// Creates the missing coupons with the admin's `token`; says what it did.
pub fn run(ctx: &Ctx, gateway: &Gateway, token: &str) -> Result<String> {
    let bearer = format!("Bearer {token}");
    let mut created = Vec::new();
    let mut existing = 0;
    for coupon in coupons() {
        let request = gateway
            .request("POST", "/coupons")
            .header("authorization", &bearer)
            .json(coupon.to_string());
        let reply = gateway.send(ctx, &request)?;
        match reply.status {
            201 => created.push(coupon["code"].as_str().unwrap_or("?").to_owned()),
            409 => existing += 1,
            _ => bail!("POST /api/coupons {}: {}", coupon["code"], reply.describe()),
        }
    }
    Ok(format!(
        "coupons: {} created now{}, {existing} there already",
        created.len(),
        if created.is_empty() {
            String::new()
        } else {
            format!(" ({})", created.join(", "))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_gets_welcome10_freeship_and_gold20_for_gold_only() {
        let all = coupons();
        let codes: Vec<(&str, &str)> = all
            .iter()
            .map(|c| (c["code"].as_str().unwrap(), c["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(
            codes,
            [
                ("WELCOME10", "percent"),
                ("FREESHIP", "free_shipping"),
                ("GOLD20", "percent")
            ]
        );
        assert_eq!(all[2]["minTier"], "Gold");
    }
}
