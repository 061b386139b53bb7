//! The category a product names, and the start-up migration of products written when a
//! category was a free string.

use bson::{Document, doc};
use futures::TryStreamExt;
use shared::ApiError;

use super::{Categories, decode, oid, unprocessable};
use crate::domain::category::{Category, slugify};

impl Categories {
    /// The category a product names in its body: an id (422 when no category has it), else
    /// the category whose slug the text makes, created at the top when there is none.
    #[tracing::instrument(skip(self))]
    pub async fn for_product(&self, named: &str) -> Result<Category, ApiError> {
        let named = named.trim();
        if shared::api::rules::object_id(named, &()).is_ok() {
            let found = self.collection.find_one(doc! { "_id": oid(named) }).await?;
            return found
                .as_ref()
                .and_then(decode)
                .ok_or_else(|| unprocessable("category", "no such category"));
        }
        self.ensure(named).await
    }

    /// The category whose slug `name` makes, made at the top when missing; two callers racing
    /// meet at the unique slug and both get the one that was stored.
    async fn ensure(&self, name: &str) -> Result<Category, ApiError> {
        let slug = slugify(name);
        if slug.is_empty() {
            return Err(unprocessable(
                "category",
                "must contain a letter or a digit",
            ));
        }
        for _ in 0..3 {
            if let Some(found) = self.collection.find_one(doc! { "slug": &slug }).await? {
                return decode(&found).ok_or_else(|| ApiError::internal("a malformed category"));
            }
            match self.create(name, Some(&slug), None).await {
                Err(ApiError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(ApiError::Conflict(format!(
            "the category {slug} kept changing; retry"
        )))
    }

    /// Gives every product without a category id the category its old free-text category
    /// names (made when missing), and writes each category's current name onto its products.
    /// Idempotent, and safe to run on several replicas at once (they meet at the unique
    /// slug). Returns how many products were given a category.
    #[tracing::instrument(skip(self))]
    pub async fn migrate_legacy(&self) -> Result<u64, ApiError> {
        let missing = doc! { "categoryId": { "$exists": false } };
        let old: Vec<Document> = self
            .products
            .find(missing.clone())
            .projection(doc! { "category": 1 })
            .await?
            .try_collect()
            .await?;
        let mut names: Vec<String> = old
            .iter()
            .filter_map(|d| d.get_str("category").ok().map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        let mut moved = 0;
        for name in names {
            let category = match self.ensure(&name).await {
                Ok(category) => category,
                Err(ApiError::Refused { .. }) => self.ensure("Uncategorised").await?,
                Err(other) => return Err(other),
            };
            let mut filter = missing.clone();
            filter.insert("category", &name);
            moved += self
                .products
                .update_many(
                    filter,
                    doc! { "$set": {
                        "categoryId": &category.id,
                        "category": &category.name,
                        "categoryKey": category.name.to_lowercase(),
                    } },
                )
                .await?
                .modified_count;
        }
        let tree = self.tree().await?;
        for category in tree.slugs().values() {
            self.rename_products(category).await?;
        }
        if moved > 0 {
            tracing::info!(moved, "products given a category document");
        }
        Ok(moved)
    }
}
