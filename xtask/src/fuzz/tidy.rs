//! Leaving the catalog as the fuzzer found it: the admin pass creates products with made-up
//! names, so the ids listed before the passes are kept and every product that appeared
//! during them is deleted through the API afterwards. (Accounts the passes registered stay:
//! the API has no way to remove one.)

use serde_json::Value;

use std::collections::BTreeSet;

use anyhow::{Result, bail};

use crate::{ctx::Ctx, seed::Gateway};

/// The catalog's page size (the most `GET /api/products` gives).
const PAGE: usize = 100;
/// A bound on the pages read, in case an answer never shrinks.
const MAX_PAGES: usize = 1000;

/// Every product id in the catalog.
pub fn catalog(ctx: &Ctx, gateway: &Gateway) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    for page in 1..=MAX_PAGES {
        let reply = gateway.send(
            ctx,
            &gateway.request("GET", &format!("/products?limit={PAGE}&page={page}")),
        )?;
        if reply.status != 200 {
            bail!("listing the catalog: {}", reply.describe());
        }
        let listed = ids_of(&reply.json);
        let total = reply
            .json
            .pointer("/meta/total")
            .and_then(Value::as_f64)
            .map_or(usize::MAX, |t| t as usize);
        let last = listed.len() < PAGE;
        ids.extend(listed);
        if last || ids.len() >= total {
            break;
        }
    }
    Ok(ids)
}

/// The `data[].id` of a list answer.
fn ids_of(answer: &Value) -> Vec<String> {
    answer
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// Deletes, as the admin, every product not in `before`; returns how many.
pub fn remove_new(
    ctx: &Ctx,
    gateway: &Gateway,
    admin_token: &str,
    before: &BTreeSet<String>,
) -> Result<usize> {
    let now = catalog(ctx, gateway)?;
    let bearer = format!("Bearer {admin_token}");
    let mut removed = 0;
    for id in now.difference(before) {
        let request = gateway
            .request("DELETE", &format!("/products/{id}"))
            .header("Authorization", &bearer);
        let reply = gateway.send(ctx, &request)?;
        match reply.status {
            200 | 204 | 404 => removed += usize::from(reply.status != 404),
            _ => bail!("deleting product {id}: {}", reply.describe()),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_a_list_answer() {
        let answer = serde_json::from_str::<Value>(
            r#"{"success":true,"data":[{"id":"a","name":"x"},{"id":"b"},{"name":"no id"}],
                "meta":{"page":1,"limit":100,"total":3}}"#,
        )
        .expect("valid");
        assert_eq!(ids_of(&answer), ["a", "b"]);
        assert!(ids_of(&Value::Null).is_empty());
    }
}
