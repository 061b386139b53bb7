//! Listing the catalog: filters, sort orders and paging in MongoDB, and search ranking here.

use std::collections::HashMap;

use bson::{Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use shared::ApiError;

use super::{Products, decode, live, projection};
use crate::domain::{
    product::Product,
    query::{ListQuery, Sort},
    search::escape_regex,
};

/// Most search candidates ranked for one `relevance` query; matches beyond them are neither
/// ranked nor counted.
pub const MAX_CANDIDATES: i64 = 5000;

impl Products {
    /// One page of the products matching `query`, and how many match in all.
    #[tracing::instrument(skip_all)]
    pub async fn list(&self, query: &ListQuery) -> Result<(Vec<Product>, u64), ApiError> {
        let filter = filter(query);
        if query.sort == Sort::Relevance {
            return self.ranked(query, filter).await;
        }
        let sort = match query.sort {
            Sort::PriceAsc => doc! { "priceCents": 1, "_id": 1 },
            Sort::PriceDesc => doc! { "priceCents": -1, "_id": 1 },
            Sort::Name => doc! { "nameKey": 1, "_id": 1 },
            Sort::Rating => doc! { "ratingAverage": -1, "ratingCount": -1, "_id": 1 },
            Sort::Newest | Sort::Relevance => doc! { "createdAt": -1, "_id": -1 },
        };
        let page = async {
            self.collection
                .find(filter.clone())
                .projection(projection())
                .sort(sort)
                .skip(query.skip())
                .limit(i64::try_from(query.limit).unwrap_or(i64::MAX))
                .await?
                .try_collect::<Vec<Document>>()
                .await
        };
        let total = async { self.collection.count_documents(filter.clone()).await };
        let (page, total) = tokio::try_join!(page, total)?;
        Ok((decode(page)?, total))
    }

    /// Relevance: ranks every candidate here (see [`crate::domain::search`]), then loads the
    /// page.
    async fn ranked(
        &self,
        query: &ListQuery,
        filter: Document,
    ) -> Result<(Vec<Product>, u64), ApiError> {
        let Some(search) = &query.search else {
            return Ok((Vec::new(), 0));
        };
        let candidates: Vec<Document> = self
            .collection
            .find(filter)
            .projection(doc! { "name": 1, "description": 1, "tags": 1 })
            .limit(MAX_CANDIDATES)
            .await?
            .try_collect()
            .await?;
        let mut scored: Vec<(u32, ObjectId)> = candidates
            .iter()
            .filter_map(|d| {
                let id = d.get_object_id("_id").ok()?;
                let tags: Vec<String> = d
                    .get_array("tags")
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let score = search.score(
                    d.get_str("name").unwrap_or_default(),
                    d.get_str("description").unwrap_or_default(),
                    &tags,
                );
                Some((score, id))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let total = scored.len() as u64;
        let ids: Vec<ObjectId> = scored
            .into_iter()
            .skip(usize::try_from(query.skip()).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .map(|(_, id)| id)
            .collect();
        if ids.is_empty() {
            return Ok((Vec::new(), total));
        }
        let mut filter = live();
        filter.insert("_id", doc! { "$in": &ids });
        let found: Vec<Document> = self
            .collection
            .find(filter)
            .projection(projection())
            .await?
            .try_collect()
            .await?;
        let mut by_id: HashMap<ObjectId, Product> =
            decode(found)?.into_iter().map(|p| (p.id, p)).collect();
        Ok((
            ids.iter().filter_map(|id| by_id.remove(id)).collect(),
            total,
        ))
    }
}

/// The MongoDB filter of a list query. A search matches any of its words, case-insensitively,
/// in the name, the description or a tag.
fn filter(query: &ListQuery) -> Document {
    let mut filter = live();
    if let Some(category) = &query.category {
        filter.insert("categoryKey", category);
    }
    if let Some(tag) = &query.tag {
        filter.insert("tags", tag);
    }
    let mut price = Document::new();
    if let Some(min) = query.min_price {
        price.insert("$gte", min.cents());
    }
    if let Some(max) = query.max_price {
        price.insert("$lte", max.cents());
    }
    if !price.is_empty() {
        filter.insert("priceCents", price);
    }
    if let Some(search) = &query.search {
        let any: Vec<Document> = search
            .terms()
            .iter()
            .flat_map(|term| {
                let pattern = escape_regex(term);
                ["name", "description", "tags"]
                    .map(|field| doc! { field: { "$regex": &pattern, "$options": "i" } })
            })
            .collect();
        filter.insert("$or", any);
    }
    filter
}
