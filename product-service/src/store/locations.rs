//! The `locations` collection: the warehouses and stores stock is kept in (issue 19). The main
//! warehouse is always there (made at start, and read as there when it is not yet); an admin
//! adds others, renames them, moves them in the taking order, and removes one that neither a
//! product's units nor an order's held units are in (holds and their give-backs name it).

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::{Collection, Database, options::ReturnDocument};
use shared::{ApiError, api::inventory::LocationPatch, store::is_duplicate_key};

use crate::domain::location::{Location, MAIN, in_taking_order};

/// The locations of one catalog.
#[derive(Clone)]
pub struct Locations {
    collection: Collection<Location>,
    products: Collection<Document>,
    holds: Collection<Document>,
}

impl Locations {
    /// The locations of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(super::LOCATIONS),
            products: db.collection(super::PRODUCTS),
            holds: db.collection(super::HOLDS),
        }
    }

    /// Changes what `patch` gives of the location `id`; the location as it then is, `None`
    /// when there is no such location.
    pub async fn update(
        &self,
        id: &str,
        patch: &LocationPatch,
    ) -> Result<Option<Location>, ApiError> {
        if id == MAIN {
            self.ensure_main().await?;
        }
        let mut set = Document::new();
        if let Some(name) = &patch.name {
            set.insert("name", name.trim());
        }
        if let Some(kind) = patch.kind {
            set.insert("kind", bson::to_bson(&kind).map_err(ApiError::internal)?);
        }
        if let Some(priority) = patch.priority {
            set.insert("priority", priority);
        }
        if set.is_empty() {
            return Ok(self.collection.find_one(doc! { "_id": id }).await?);
        }
        Ok(self
            .collection
            .find_one_and_update(doc! { "_id": id }, doc! { "$set": set })
            .return_document(ReturnDocument::After)
            .await?)
    }

    /// Removes the location `id`: 409 for the main warehouse, for one a product keeps units
    /// in, or one an order holds units taken from (they would come back to it); `false` when
    /// there is no such location.
    pub async fn remove(&self, id: &str) -> Result<bool, ApiError> {
        if id == MAIN {
            return Err(ApiError::Conflict(
                "the main warehouse stays: every product's stock starts there".to_owned(),
            ));
        }
        let at = format!("{}.{id}", super::stock::located::AT);
        let stocked = self
            .products
            .find_one(doc! { &at: { "$gt": 0 }, "deletedAt": { "$exists": false } })
            .projection(doc! { "name": 1 })
            .await?;
        if let Some(product) = stocked {
            return Err(ApiError::Conflict(format!(
                "{} keeps units there: move them first (PUT /products/{}/inventory)",
                product.get_str("name").unwrap_or("a product"),
                product
                    .get_object_id("_id")
                    .map(|i| i.to_hex())
                    .unwrap_or_default(),
            )));
        }
        let held = self
            .holds
            .find_one(doc! { "state": "held", format!("from.{id}"): { "$gt": 0 } })
            .projection(doc! { "orderId": 1 })
            .await?;
        if let Some(hold) = held {
            let order = hold
                .get("orderId")
                .and_then(Bson::as_str)
                .unwrap_or("an order");
            return Err(ApiError::Conflict(format!(
                "order {order} holds units taken from there; they go back to it if it is \
                 cancelled"
            )));
        }
        let removed = self.collection.delete_one(doc! { "_id": id }).await?;
        Ok(removed.deleted_count == 1)
    }

    /// Makes the main warehouse unless it exists (safe on every replica at once).
    pub async fn ensure_main(&self) -> Result<(), mongodb::error::Error> {
        match self.collection.insert_one(Location::main()).await {
            Err(e) if !is_duplicate_key(&e) => Err(e),
            _ => Ok(()),
        }
    }

    /// Every location, in the order a reservation takes from them; the main warehouse is there
    /// even before start-up made it.
    pub async fn in_taking_order(&self) -> Result<Vec<Location>, mongodb::error::Error> {
        let mut all: Vec<Location> = self.collection.find(doc! {}).await?.try_collect().await?;
        if !all.iter().any(|l| l.id == MAIN) {
            all.push(Location::main());
        }
        in_taking_order(&mut all);
        Ok(all)
    }

    /// Adds `location`; 409 when its id is taken.
    pub async fn create(&self, location: &Location) -> Result<(), ApiError> {
        match self.collection.insert_one(location).await {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(ApiError::Conflict(format!(
                "a location with the id {} exists",
                location.id
            ))),
            Err(e) => Err(e.into()),
        }
    }
}
