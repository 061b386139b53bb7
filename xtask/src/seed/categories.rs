//! The demo category tree (issue 19), made before the products so that each product's category
//! name finds its place in it: two parents over four of the seed's categories, two at the top.
//! Categories found (by slug) are left alone, so a rerun changes nothing.

use std::collections::HashMap;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::api::{Gateway, Reply};
use crate::ctx::Ctx;

/// Name and parent name, parents first.
pub const TREE: [(&str, Option<&str>); 8] = [
    ("Home & Living", None),
    ("Home & Kitchen", Some("Home & Living")),
    ("Beauty", Some("Home & Living")),
    ("Leisure", None),
    ("Books", Some("Leisure")),
    ("Sports & Outdoors", Some("Leisure")),
    ("Electronics", None),
    ("Clothing", None),
];

/// The slug product-service makes of a name (`Home & Kitchen` → `home-kitchen`).
pub fn slug(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// Slug → id of every category in a `GET /categories` answer.
pub fn ids_by_slug(reply: &Reply) -> Result<HashMap<String, String>> {
    if reply.status != 200 {
        bail!("{}", reply.describe());
    }
    let mut found = HashMap::new();
    let mut stack: Vec<&Value> = reply.json["data"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    while let Some(node) = stack.pop() {
        if let (Some(slug), Some(id)) = (node["slug"].as_str(), node["id"].as_str()) {
            found.insert(slug.to_owned(), id.to_owned());
        }
        stack.extend(node["children"].as_array().into_iter().flatten());
    }
    Ok(found)
}

/// Makes the categories of [`TREE`] that are missing; how many it made.
pub fn run(ctx: &Ctx, gateway: &Gateway, bearer: &str) -> Result<usize> {
    let reply = gateway.send(ctx, &gateway.request("GET", "/categories"))?;
    let mut ids = ids_by_slug(&reply)?;
    let mut made = 0;
    for (name, parent) in TREE {
        if ids.contains_key(&slug(name)) {
            continue;
        }
        let parent = parent.and_then(|p| ids.get(&slug(p)).cloned());
        let request = gateway
            .request("POST", "/categories")
            .header("Authorization", bearer)
            .json(json!({ "name": name, "parent": parent }).to_string());
        let reply = gateway.send(ctx, &request)?;
        match reply.json["data"]["id"].as_str() {
            Some(id) if reply.status == 201 => {
                ids.insert(slug(name), id.to_owned());
                made += 1;
            }
            _ => bail!("creating the category {name:?}: {}", reply.describe()),
        }
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_product_falls_in_the_tree_and_parents_come_first() {
        let names: Vec<&str> = TREE.iter().map(|(n, _)| *n).collect();
        for (i, (_, parent)) in TREE.iter().enumerate() {
            if let Some(parent) = parent {
                let at = names
                    .iter()
                    .position(|n| n == parent)
                    .expect("a parent in the tree");
                assert!(at < i, "{parent} comes after its child");
            }
        }
        for product in super::super::data::products().unwrap() {
            assert!(
                names.contains(&product.category.as_str()),
                "{}",
                product.category
            );
        }
        assert_eq!(slug("Home & Kitchen"), "home-kitchen");
    }

    #[test]
    fn the_tree_is_read_back_by_slug_at_every_depth() {
        let reply = Reply::new(
            200,
            r#"{"success":true,"data":[{"id":"a","slug":"leisure","children":[{"id":"b","slug":"books","children":[]}]}]}"#,
        );
        let ids = ids_by_slug(&reply).unwrap();
        assert_eq!(ids["books"], "b");
        assert_eq!(ids["leisure"], "a");
    }
}
