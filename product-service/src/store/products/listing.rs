//! Listing the catalog: filters, sort orders and paging in MongoDB, and search ranking here:
//! by words alone ([`crate::domain::search`]), or, given the query's embedding, by words and
//! meaning ([`crate::domain::semantic`]).

use std::collections::HashMap;

use bson::{Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use shared::ApiError;

use super::{Products, decode, embeddings, live, projection};
use crate::domain::{
    product::Product,
    query::{ListQuery, Sort},
    search::{Search, escape_regex},
    semantic::{self, Candidate},
};

/// Most search candidates ranked for one `relevance` query (or, searching by meaning, for any
/// search); matches beyond them are neither ranked nor counted.
pub const MAX_CANDIDATES: i64 = 5000;

impl Products {
    /// One page of the products matching `query`, and how many match in all. With `meaning`
    /// (the embedding of the query's search words) a search finds products by meaning as well
    /// as by words.
    #[tracing::instrument(skip_all)]
    pub async fn list(
        &self,
        query: &ListQuery,
        meaning: Option<&[f32]>,
    ) -> Result<(Vec<Product>, u64), ApiError> {
        let (page, total) = self.page(query, meaning).await?;
        Ok((self.with_variants(page).await?, total))
    }

    /// [`Products::list`] without the variants attached.
    async fn page(
        &self,
        query: &ListQuery,
        meaning: Option<&[f32]>,
    ) -> Result<(Vec<Product>, u64), ApiError> {
        if let (Some(search), Some(vector)) = (&query.search, meaning) {
            let ids = self.hybrid(query, search, vector).await?;
            if query.sort == Sort::Relevance {
                return self.page_of(query, ids).await;
            }
            let mut filter = base_filter(query);
            filter.insert("_id", doc! { "$in": ids });
            return self.sorted(query, filter).await;
        }
        let filter = filter(query);
        if query.sort == Sort::Relevance {
            return self.ranked(query, filter).await;
        }
        self.sorted(query, filter).await
    }

    /// One page of the products matching `filter` in a stored order, and their count.
    async fn sorted(
        &self,
        query: &ListQuery,
        filter: Document,
    ) -> Result<(Vec<Product>, u64), ApiError> {
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
                let (name, description, tags) = texts(d);
                Some((search.score(name, description, &tags), id))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.page_of(query, scored.into_iter().map(|(_, id)| id).collect())
            .await
    }

    /// Every product passing the filters other than the search that matches `search` by words
    /// or by meaning (`vector` is the query's embedding), best first.
    async fn hybrid(
        &self,
        query: &ListQuery,
        search: &Search,
        vector: &[f32],
    ) -> Result<Vec<ObjectId>, ApiError> {
        let significant = semantic::significant(search);
        let candidates: Vec<Document> = self
            .collection
            .find(base_filter(query))
            .projection(doc! {
                "name": 1, "description": 1, "tags": 1,
                embeddings::FIELD: 1, embeddings::MODEL_FIELD: 1,
            })
            .limit(MAX_CANDIDATES)
            .await?
            .try_collect()
            .await?;
        let candidates = candidates
            .iter()
            .filter_map(|d| {
                let id = d.get_object_id("_id").ok()?;
                let (name, description, tags) = texts(d);
                Some(Candidate {
                    id,
                    keyword: significant.score(name, description, &tags),
                    exact: significant.all_whole_words(name, description, &tags),
                    similarity: embeddings::read(d).map(|e| shared::embed::cosine(&e, vector)),
                })
            })
            .collect();
        Ok(semantic::rank(&significant, candidates))
    }

    /// The page `query` asks for out of `ranked` (best first), loaded in that order, and the
    /// count of all of them.
    async fn page_of(
        &self,
        query: &ListQuery,
        ranked: Vec<ObjectId>,
    ) -> Result<(Vec<Product>, u64), ApiError> {
        let total = ranked.len() as u64;
        let ids: Vec<ObjectId> = ranked
            .into_iter()
            .skip(usize::try_from(query.skip()).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
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

/// The name, description and tags of a product document.
fn texts(d: &Document) -> (&str, &str, Vec<String>) {
    let tags = d
        .get_array("tags")
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (
        d.get_str("name").unwrap_or_default(),
        d.get_str("description").unwrap_or_default(),
        tags,
    )
}

/// The MongoDB filter of a list query. A search matches any of its words, case-insensitively,
/// in the name, the description or a tag.
fn filter(query: &ListQuery) -> Document {
    let mut filter = base_filter(query);
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

/// A list query's filters other than the search: live products, category (with those under
/// it), brand, tag, prices. Category ids are kept as hex text (the stand-in matches no
/// equality on an ObjectId field other than `_id`).
fn base_filter(query: &ListQuery) -> Document {
    let mut filter = live();
    // Variants are listed with their product, not on their own.
    filter.insert("variantOf", doc! { "$exists": false });
    if let Some(within) = &query.within {
        filter.insert("categoryId", doc! { "$in": within });
    }
    if let Some(brand) = &query.brand {
        filter.insert("brandKey", brand);
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
    filter
}
