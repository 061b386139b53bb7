//! The `categories` collection: the tree an admin edits; the category a product names, and
//! the start-up migration of products written when a category was a free string, are in
//! `for_products`.
//!
//! A category document: `_id` (ObjectId), `name`, `slug` (unique index), `parent` (the parent's
//! id as hex text, or null: the stand-in matches no equality on an ObjectId field other than
//! `_id`), `createdAt`/`updatedAt` (epoch milliseconds). Products keep `categoryId` (hex text)
//! and the category's `name` (shown and searched; rewritten on a rename).
//!
//! Changes to the tree's shape (create under a parent, move, delete) are checked against the
//! whole tree, so two of them racing could each pass and together break it (A under B while
//! B goes under A). They run one at a time across replicas, under a lease in the `locks`
//! collection that expires should its holder die ([`LEASE`]).
//!
//! Left open: a product saved into a category at the very moment that category is deleted
//! may keep its id; it then shows the old name and lists under no category until it is
//! saved again.

use std::{collections::HashMap, time::Duration};

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::{Collection, Database, options::ReturnDocument};
use shared::{ApiError, store::is_duplicate_key};

use super::{LOCKS, PRODUCTS, int, now};
use crate::domain::category::{Category, MoveError, Tree, slugify};

mod for_products;

/// How long a holder keeps the tree lease; far more than any change takes.
pub const LEASE: Duration = Duration::from_secs(10);
/// How long a change waits for the lease before giving up with 409.
const WAIT_FOR_LEASE: Duration = Duration::from_secs(5);
/// The lease document's `_id`.
const TREE_LEASE: &str = "category-tree";

/// What `PATCH` changes; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// A new name, trimmed.
    pub name: Option<String>,
    /// A new slug.
    pub slug: Option<String>,
    /// A new parent (`Some(None)`: the top).
    pub parent: Option<Option<String>>,
}

/// The categories of one database; cheap to clone.
#[derive(Clone)]
pub struct Categories {
    collection: Collection<Document>,
    products: Collection<Document>,
    locks: Collection<Document>,
}

fn decode(d: &Document) -> Option<Category> {
    Some(Category {
        id: d.get_object_id("_id").ok()?.to_hex(),
        name: d.get_str("name").ok()?.to_owned(),
        slug: d.get_str("slug").ok()?.to_owned(),
        parent: d.get_str("parent").ok().map(str::to_owned),
        created_at: int(d, "createdAt").unwrap_or_default(),
        updated_at: int(d, "updatedAt").unwrap_or_default(),
    })
}

fn unprocessable(field: &str, message: &str) -> ApiError {
    ApiError::Refused {
        message: format!("{field}: {message}"),
        details: serde_json::json!({ field: message }),
    }
}

fn slug_taken(slug: &str) -> ApiError {
    ApiError::Conflict(format!("another category already has the slug {slug}"))
}

fn oid(id: &str) -> Option<ObjectId> {
    ObjectId::parse_str(id).ok()
}

impl Categories {
    /// The categories of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(super::CATEGORIES),
            products: db.collection(PRODUCTS),
            locks: db.collection(LOCKS),
        }
    }

    /// Every category, as a tree.
    #[tracing::instrument(skip(self))]
    pub async fn tree(&self) -> Result<Tree, ApiError> {
        let all: Vec<Document> = self.collection.find(doc! {}).await?.try_collect().await?;
        Ok(Tree::new(all.iter().filter_map(decode).collect()))
    }

    /// Products (not deleted) filed directly in each category, by category id: one `$group`
    /// over the products, done by the database.
    #[tracing::instrument(skip(self))]
    pub async fn counts(&self) -> Result<HashMap<String, u64>, ApiError> {
        let pipeline = [
            doc! { "$match": { "deletedAt": { "$exists": false }, "categoryId": { "$type": "string" } } },
            doc! { "$group": { "_id": "$categoryId", "n": { "$sum": 1 } } },
        ];
        let groups: Vec<Document> = self
            .products
            .aggregate(pipeline)
            .await?
            .try_collect()
            .await?;
        Ok(groups
            .iter()
            .filter_map(|g| {
                let id = g.get_str("_id").ok()?.to_owned();
                Some((id, u64::try_from(int(g, "n")?).ok()?))
            })
            .collect())
    }

    /// Runs `change` holding the tree lease.
    async fn exclusively<T, F, Fut>(&self, change: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        // Hex text: the stand-in matches no equality on an ObjectId field other than `_id`.
        let token = ObjectId::new().to_hex();
        let deadline = tokio::time::Instant::now() + WAIT_FOR_LEASE;
        let mut pause = Duration::from_millis(5);
        loop {
            let (millis, _) = now();
            let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
            let claim = self
                .locks
                .update_one(
                    doc! { "_id": TREE_LEASE, "until": { "$lt": millis } },
                    doc! { "$set": { "holder": &token, "until": millis + lease_ms } },
                )
                .upsert(true)
                .await;
            match claim {
                Ok(_) => break,
                // Held: the upsert met the document it did not match.
                Err(e) if is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ApiError::Conflict(
                    "the category tree is being changed; retry".to_owned(),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
        let result = change().await;
        let released = self
            .locks
            .update_one(
                doc! { "_id": TREE_LEASE, "holder": &token },
                doc! { "$set": { "until": 0_i64 } },
            )
            .await;
        if let Err(error) = released {
            tracing::warn!(%error, "cannot release the category lease; it expires by itself");
        }
        result
    }

    /// Adds a category named `name` (slug `slug`, or made from the name) under `parent`
    /// (`None`: at the top). 422 for an unknown parent or one too deep; 409 for a slug taken.
    #[tracing::instrument(skip(self))]
    pub async fn create(
        &self,
        name: &str,
        slug: Option<&str>,
        parent: Option<&str>,
    ) -> Result<Category, ApiError> {
        let name = name.trim().to_owned();
        let slug = slug.map_or_else(|| slugify(&name), str::to_owned);
        let insert = |parent: Option<String>| async move {
            let (millis, _) = now();
            let category = Category {
                id: ObjectId::new().to_hex(),
                name,
                slug,
                parent,
                created_at: millis,
                updated_at: millis,
            };
            self.insert(&category).await?;
            Ok(category)
        };
        match parent {
            None => insert(None).await,
            Some(parent) => {
                let parent = parent.to_lowercase();
                self.exclusively(|| async {
                    let tree = self.tree().await?;
                    if tree.get(&parent).is_none() {
                        return Err(unprocessable("parent", "no such category"));
                    }
                    if !tree.may_add_under(&parent) {
                        return Err(unprocessable("parent", "the tree would be too deep"));
                    }
                    insert(Some(parent)).await
                })
                .await
            }
        }
    }

    async fn insert(&self, category: &Category) -> Result<(), ApiError> {
        let document = doc! {
            "_id": oid(&category.id),
            "name": &category.name,
            "slug": &category.slug,
            "parent": category.parent.as_deref().map_or(Bson::Null, Bson::from),
            "createdAt": category.created_at,
            "updatedAt": category.updated_at,
        };
        match self.collection.insert_one(document).await {
            Err(e) if is_duplicate_key(&e) => Err(slug_taken(&category.slug)),
            other => other.map(drop).map_err(ApiError::from),
        }
    }

    /// Renames and/or moves the category `id`; `None` when there is none. A rename is
    /// written onto its products too.
    #[tracing::instrument(skip(self))]
    pub async fn change(&self, id: &str, change: Change) -> Result<Option<Category>, ApiError> {
        let id = id.to_lowercase();
        self.exclusively(|| async {
            let tree = self.tree().await?;
            let Some(current) = tree.get(&id).cloned() else {
                return Ok(None);
            };
            if let Some(parent) = &change.parent {
                let parent = parent.as_ref().map(|p| p.to_lowercase());
                if let Some(p) = &parent
                    && tree.get(p).is_none()
                {
                    return Err(unprocessable("parent", "no such category"));
                }
                match tree.check_move(&id, parent.as_deref()) {
                    Err(MoveError::Cycle) => {
                        return Err(unprocessable(
                            "parent",
                            "a category cannot go under itself or a category under it",
                        ));
                    }
                    Err(MoveError::TooDeep) => {
                        return Err(unprocessable("parent", "the tree would be too deep"));
                    }
                    Ok(()) => {}
                }
            }
            // Checked here as well as by the unique index: the stand-in answers a unique
            // violation by an update with no document rather than an error.
            if let Some(slug) = &change.slug
                && tree.slugs().get(slug.as_str()).is_some_and(|c| c.id != id)
            {
                return Err(slug_taken(slug));
            }
            let (millis, _) = now();
            let mut set = doc! { "updatedAt": millis };
            if let Some(name) = &change.name {
                set.insert("name", name.trim());
            }
            if let Some(slug) = &change.slug {
                set.insert("slug", slug);
            }
            if let Some(parent) = &change.parent {
                let parent = parent.as_ref().map(|p| p.to_lowercase());
                set.insert("parent", parent.map_or(Bson::Null, Bson::from));
            }
            let updated = self
                .collection
                .find_one_and_update(doc! { "_id": oid(&id) }, doc! { "$set": set })
                .return_document(ReturnDocument::After)
                .await;
            let updated = match updated {
                Err(e) if is_duplicate_key(&e) => {
                    return Err(slug_taken(change.slug.as_deref().unwrap_or_default()));
                }
                other => other?,
            };
            let Some(updated) = updated.as_ref().and_then(decode) else {
                return Ok(None);
            };
            if updated.name != current.name {
                self.rename_products(&updated).await?;
            }
            Ok(Some(updated))
        })
        .await
    }

    /// Writes the name of `category` onto its products.
    async fn rename_products(&self, category: &Category) -> Result<(), ApiError> {
        self.products
            .update_many(
                doc! { "categoryId": &category.id, "category": { "$ne": &category.name } },
                doc! { "$set": {
                    "category": &category.name,
                    "categoryKey": category.name.to_lowercase(),
                } },
            )
            .await?;
        Ok(())
    }

    /// Deletes the category `id`: `false` when there is none; 409 while a category is under
    /// it or a product (not deleted) is in it.
    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, id: &str) -> Result<bool, ApiError> {
        let id = id.to_lowercase();
        self.exclusively(|| async {
            let tree = self.tree().await?;
            if tree.get(&id).is_none() {
                return Ok(false);
            }
            let children = tree.children(&id).len();
            let products = self
                .products
                .count_documents(doc! { "categoryId": &id, "deletedAt": { "$exists": false } })
                .await?;
            if children > 0 || products > 0 {
                return Err(ApiError::Conflict(format!(
                    "the category still holds {children} categories and {products} products; move or delete them first"
                )));
            }
            Ok(self
                .collection
                .delete_one(doc! { "_id": oid(&id) })
                .await?
                .deleted_count
                == 1)
        })
        .await
    }
}
