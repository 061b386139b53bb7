//! MongoDB: reviews (`reviews`), who received which product (`purchases`), and the rating sums
//! each review keeps on its product.
//!
//! - A purchase document (`_id` = `<customerId>:<productId>`) is upserted when an order holding
//!   the product is delivered: the same key for every order and every redelivery, so recording
//!   it twice changes nothing. It also holds `reviewId` once the customer reviews the product:
//!   claiming that field with a conditional update is what makes a review unique per customer
//!   and product, on any server and without waiting for an index.
//! - A review document carries `review.created` in its outbox, written in the same insert.
//! - Product ids are kept here as hex text, not ObjectIds: on the stand-in an equality filter
//!   on an ObjectId field other than `_id` matches nothing (pinned in `tests/api/gaps.rs`).
//! - The product keeps the sums of its ratings, recounted as `reviews/rating.rs` says.

use bson::{Bson, Document, doc, oid::ObjectId};
use futures::TryStreamExt;
use mongodb::{Collection, Database};
use shared::{ApiError, events::keys, outbox, store::is_duplicate_key};

mod rating;

pub use rating::{LEGACY_RATINGS, RATING_VERSION};

use super::{flag, int};
use crate::{
    domain::review::{Review, ReviewDraft},
    events::envelope,
};

/// The order of a review list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewSort {
    /// Newest first.
    Recent,
    /// Most stars first, then newest.
    Rating,
}

/// Reviews, purchases and the product sums; cheap to clone.
#[derive(Clone)]
pub struct Reviews {
    reviews: Collection<Document>,
    purchases: Collection<Document>,
    products: Collection<Document>,
}

fn purchase_key(customer: &str, product: ObjectId) -> String {
    format!("{customer}:{}", product.to_hex())
}

fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
    ApiError::internal(e)
}

impl Reviews {
    /// The collections of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            reviews: db.collection(super::REVIEWS),
            purchases: db.collection(super::PURCHASES),
            products: db.collection(super::PRODUCTS),
        }
    }

    /// Records that `customer` received `product` (order `order` was delivered), and, for a
    /// variant, its product (reviews are of the product, whichever colour or size was bought);
    /// whether this was new. Redeliveries and later orders of the same product change nothing.
    #[tracing::instrument(skip(self))]
    pub async fn record_purchase(
        &self,
        customer: &str,
        product: ObjectId,
        order: &str,
    ) -> Result<bool, mongodb::error::Error> {
        let new = self.record_one(customer, product, order).await?;
        let variant_of = self
            .products
            .find_one(doc! { "_id": product })
            .projection(doc! { "variantOf": 1 })
            .await?
            .and_then(|d| {
                d.get_str("variantOf")
                    .ok()
                    .and_then(|p| ObjectId::parse_str(p).ok())
            });
        if let Some(parent) = variant_of {
            self.record_one(customer, parent, order).await?;
        }
        Ok(new)
    }

    async fn record_one(
        &self,
        customer: &str,
        product: ObjectId,
        order: &str,
    ) -> Result<bool, mongodb::error::Error> {
        let key = purchase_key(customer, product);
        let (millis, _) = super::now();
        let update = doc! { "$setOnInsert": {
            "customerId": customer, "productId": product.to_hex(), "orderId": order, "at": millis,
        } };
        let attempt = || {
            self.purchases
                .update_one(doc! { "_id": &key }, update.clone())
                .upsert(true)
        };
        let result = match attempt().await {
            // A concurrent upsert of the same key inserted it first.
            Err(e) if is_duplicate_key(&e) => attempt().await?,
            other => other?,
        };
        Ok(result.upserted_id.is_some())
    }

    /// 404 unless `product` exists and is not deleted.
    pub async fn require_product(&self, product: ObjectId) -> Result<(), ApiError> {
        let filter = doc! { "_id": product, "deletedAt": { "$exists": false } };
        match self
            .products
            .find_one(filter)
            .projection(doc! { "_id": 1 })
            .await?
        {
            Some(_) => Ok(()),
            None => Err(ApiError::NotFound("no such product".to_owned())),
        }
    }

    /// The review `customer` writes of `product`: 403 unless they received it, 409 when they
    /// already reviewed it. Stages `review.created` in the review's insert.
    #[tracing::instrument(skip(self, draft, correlation))]
    pub async fn create(
        &self,
        product: ObjectId,
        customer: &str,
        draft: ReviewDraft,
        correlation: &str,
    ) -> Result<Review, ApiError> {
        self.require_product(product).await?;
        let id = self.claim(product, customer).await?;
        let (millis, now) = super::now();
        let review = Review {
            id: id.to_hex(),
            product_id: product.to_hex(),
            customer_id: customer.to_owned(),
            draft,
            hidden: false,
            created_at: now,
            updated_at: now,
        };
        let data = serde_json::json!({
            "reviewId": review.id, "productId": review.product_id,
            "customerId": customer, "rating": review.draft.rating,
        });
        let event = envelope(keys::REVIEW_CREATED, correlation, data).map_err(internal)?;
        let mut document = doc! {
            "_id": id, "productId": product.to_hex(), "customerId": customer,
            "rating": review.draft.rating, "body": &review.draft.body,
            "title": review.draft.title.as_deref().map_or(Bson::Null, Bson::from),
            // An integer, not a boolean: the stand-in keeps a `$set` boolean as 0 or 1.
            "hidden": 0_i32, "createdAt": millis, "updatedAt": millis,
        };
        document.extend(outbox::initial(&[event]).map_err(internal)?);
        match self.reviews.insert_one(document).await {
            Err(e) if is_duplicate_key(&e) => return Err(already_reviewed()),
            other => other?,
        };
        self.sync(id).await?;
        Ok(review)
    }

    /// The review id reserved for `customer`'s review of `product`: a fresh one, or the one a
    /// previous attempt reserved and never wrote.
    async fn claim(&self, product: ObjectId, customer: &str) -> Result<ObjectId, ApiError> {
        let key = purchase_key(customer, product);
        let fresh = ObjectId::new();
        let claimed = self
            .purchases
            .update_one(
                doc! { "_id": &key, "reviewId": { "$exists": false } },
                doc! { "$set": { "reviewId": fresh } },
            )
            .await?;
        if claimed.matched_count == 1 {
            return Ok(fresh);
        }
        let purchase = self.purchases.find_one(doc! { "_id": &key }).await?;
        let Some(Ok(id)) = purchase.as_ref().map(|p| p.get_object_id("reviewId")) else {
            return Err(ApiError::Forbidden(
                "only a customer who received this product may review it".to_owned(),
            ));
        };
        if self.reviews.find_one(doc! { "_id": id }).await?.is_some() {
            return Err(already_reviewed());
        }
        Ok(id)
    }

    /// Replaces the text and rating of `customer`'s review of `product`; 404 when they wrote
    /// none.
    #[tracing::instrument(skip(self, draft))]
    pub async fn edit(
        &self,
        product: ObjectId,
        customer: &str,
        draft: ReviewDraft,
    ) -> Result<Review, ApiError> {
        self.require_product(product).await?;
        let key = purchase_key(customer, product);
        let purchase = self.purchases.find_one(doc! { "_id": &key }).await?;
        let id = purchase
            .as_ref()
            .and_then(|p| p.get_object_id("reviewId").ok())
            .ok_or_else(no_review)?;
        let (millis, _) = super::now();
        let set = doc! {
            "rating": draft.rating, "body": &draft.body,
            "title": draft.title.as_deref().map_or(Bson::Null, Bson::from),
            "updatedAt": millis,
        };
        let filter = doc! { "_id": id, "productId": product.to_hex(), "customerId": customer };
        if self
            .reviews
            .update_one(filter, doc! { "$set": set })
            .await?
            .matched_count
            == 0
        {
            return Err(no_review());
        }
        self.sync(id).await?;
        self.find(id).await?.ok_or_else(no_review)
    }

    /// Hides (or shows again) review `id` of `product`; 404 when it is not one of its reviews.
    #[tracing::instrument(skip(self))]
    pub async fn set_hidden(
        &self,
        product: ObjectId,
        id: ObjectId,
        hidden: bool,
    ) -> Result<Review, ApiError> {
        let (millis, _) = super::now();
        let update = doc! { "$set": { "hidden": i32::from(hidden), "updatedAt": millis } };
        let filter = doc! { "_id": id, "productId": product.to_hex() };
        if self.reviews.update_one(filter, update).await?.matched_count == 0 {
            return Err(ApiError::NotFound("no such review".to_owned()));
        }
        self.sync(id).await?;
        self.find(id)
            .await?
            .ok_or_else(|| ApiError::NotFound("no such review".to_owned()))
    }

    /// One page of the visible reviews of `product`, and how many there are.
    #[tracing::instrument(skip(self))]
    pub async fn list(
        &self,
        product: ObjectId,
        sort: ReviewSort,
        page: u64,
        limit: u64,
    ) -> Result<(Vec<Review>, u64), ApiError> {
        self.require_product(product).await?;
        let filter = doc! { "productId": product.to_hex(), "hidden": 0_i32 };
        let order = match sort {
            ReviewSort::Recent => doc! { "createdAt": -1, "_id": -1 },
            ReviewSort::Rating => doc! { "rating": -1, "createdAt": -1, "_id": -1 },
        };
        let found = self
            .reviews
            .find(filter.clone())
            .projection(doc! { outbox::FIELD: 0, outbox::COUNT: 0 })
            .sort(order)
            .skip((page - 1) * limit)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await?
            .try_collect::<Vec<Document>>()
            .await?;
        let total = self.reviews.count_documents(filter).await?;
        let reviews = found.iter().map(decode).collect::<Result<_, _>>()?;
        Ok((reviews, total))
    }

    async fn find(&self, id: ObjectId) -> Result<Option<Review>, ApiError> {
        let found = self.reviews.find_one(doc! { "_id": id }).await?;
        found.as_ref().map(decode).transpose()
    }

    /// Makes review `id`'s product count it as it should now (its rating while visible,
    /// nothing when hidden), by recounting the product.
    #[tracing::instrument(skip(self))]
    pub async fn sync(&self, id: ObjectId) -> Result<(), ApiError> {
        let review = self.find(id).await?.ok_or_else(no_review)?;
        let product = ObjectId::parse_str(&review.product_id).map_err(internal)?;
        self.recount(product).await
    }
}

fn already_reviewed() -> ApiError {
    ApiError::Conflict(
        "you already reviewed this product; PUT /products/{id}/reviews/mine edits it".to_owned(),
    )
}

fn no_review() -> ApiError {
    ApiError::NotFound("you have not reviewed this product".to_owned())
}

fn decode(d: &Document) -> Result<Review, ApiError> {
    let oid = |field: &str| d.get_object_id(field).map(|id| id.to_hex());
    let millis = |field: &str| super::from_millis(int(d, field).unwrap_or_default());
    Ok(Review {
        id: oid("_id").map_err(internal)?,
        product_id: d.get_str("productId").map_err(internal)?.to_owned(),
        customer_id: d.get_str("customerId").map_err(internal)?.to_owned(),
        draft: ReviewDraft {
            rating: int(d, "rating").unwrap_or_default(),
            title: d.get_str("title").ok().map(str::to_owned),
            body: d.get_str("body").unwrap_or_default().to_owned(),
        },
        hidden: flag(d, "hidden"),
        created_at: millis("createdAt"),
        updated_at: millis("updatedAt"),
    })
}
