//! Catalog categories (issue 19): a tree of categories, each product in one of them.
//! `POST /categories` and `PATCH /categories/{id}` (admin) take these bodies; `GET /categories`
//! answers the tree and `GET /categories/{id}` one category with its path from the root.

use garde::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;

/// Longest category name.
pub const MAX_NAME: usize = 100;
/// Longest slug.
pub const MAX_SLUG: usize = 100;
/// Deepest a category may sit (a root is at depth 1).
pub const MAX_DEPTH: usize = 8;

/// A slug as given: lowercase letters, digits and single hyphens between them.
pub fn slug_rule(value: &str, _: &()) -> garde::Result {
    let ok = !value.is_empty()
        && value.chars().count() <= MAX_SLUG
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--")
        && value
            .chars()
            .all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()));
    if ok {
        Ok(())
    } else {
        Err(garde::Error::new(
            "must be 1 to 100 lowercase letters, digits and single hyphens between them",
        ))
    }
}

/// A category's name: 1 to 100 characters once trimmed, at least one of them a letter or a
/// digit (the slug is made of those).
pub fn category_name(value: &str, context: &()) -> garde::Result {
    rules::text(1, MAX_NAME)(value, context)?;
    if value.chars().any(char::is_alphanumeric) {
        Ok(())
    } else {
        Err(garde::Error::new("must contain a letter or a digit"))
    }
}

/// `POST /categories`: a new category, at the top or under `parent`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryInput {
    /// 1 to 100 characters (trimmed), holding at least one letter or digit.
    #[garde(custom(category_name))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// How URLs and filters name it; made from the name when omitted. Unique.
    #[garde(inner(custom(slug_rule)))]
    #[schema(max_length = 100)]
    pub slug: Option<String>,
    /// The parent category's id; a top-level category when omitted or `null`.
    #[garde(inner(custom(rules::object_id)))]
    #[schema(min_length = 24, max_length = 24)]
    pub parent: Option<String>,
}

/// `PATCH /categories/{id}`: rename and/or move. An absent field stays; `parent: null` moves
/// the category to the top.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryPatch {
    /// A new name (1 to 100 characters, trimmed). The slug stays unless given.
    #[garde(inner(custom(category_name)))]
    #[schema(max_length = 100)]
    pub name: Option<String>,
    /// A new slug (unique).
    #[garde(inner(custom(slug_rule)))]
    #[schema(max_length = 100)]
    pub slug: Option<String>,
    /// A new parent, or `null` for the top; never the category itself or one under it.
    #[serde(default, deserialize_with = "super::present")]
    #[garde(inner(inner(custom(rules::object_id))))]
    #[schema(value_type = Option<String>, nullable, min_length = 24, max_length = 24)]
    pub parent: Option<Option<String>>,
}

/// A category as `GET /categories` shows it: with its children, each sorted by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryNode {
    /// Id, 24 hex digits.
    pub id: String,
    /// Name.
    pub name: String,
    /// Slug (unique): `GET /products?category=<slug>` lists it and everything under it.
    pub slug: String,
    /// The parent's id, `null` at the top.
    pub parent: Option<String>,
    /// Products (not deleted) filed directly in it.
    pub product_count: u64,
    /// Products (not deleted) in it and everything under it: what
    /// `GET /products?category=<slug>` lists.
    pub total_count: u64,
    /// The categories directly under it.
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

/// One category on its own, with the way to it from the top.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryDetail {
    /// Id, 24 hex digits.
    pub id: String,
    /// Name.
    pub name: String,
    /// Slug (unique).
    pub slug: String,
    /// The parent's id, `null` at the top.
    pub parent: Option<String>,
    /// From the top category down to this one (itself last): for breadcrumbs.
    pub path: Vec<CategoryRef>,
    /// The categories directly under it (without theirs).
    pub children: Vec<CategoryRef>,
    /// When it was created (RFC 3339, milliseconds).
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// A category named in another answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CategoryRef {
    /// Id, 24 hex digits.
    pub id: String,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        for good in ["shoes", "home-kitchen", "a1", "cafés"] {
            assert!(slug_rule(good, &()).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Shoes",
            "-a",
            "a-",
            "a--b",
            "a b",
            "a_b",
            &"x".repeat(101),
        ] {
            assert!(slug_rule(bad, &()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_patch_tells_a_null_parent_from_an_absent_one() {
        let moved: CategoryPatch = serde_json::from_str(r#"{"parent": null}"#).unwrap();
        assert_eq!(moved.parent, Some(None));
        let renamed: CategoryPatch = serde_json::from_str(r#"{"name": "X"}"#).unwrap();
        assert_eq!(renamed.parent, None);
    }
}
