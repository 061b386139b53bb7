//! The `locations` collection: the warehouses and stores stock is kept in (issue 19). The main
//! warehouse is always there (made at start, and read as there when it is not yet); an admin
//! adds others. A location is never removed: holds and their give-backs name it.

use bson::doc;
use futures::TryStreamExt;
use mongodb::{Collection, Database};
use shared::{ApiError, store::is_duplicate_key};

use crate::domain::location::{Location, MAIN, in_taking_order};

/// The locations of one catalog.
#[derive(Clone)]
pub struct Locations {
    collection: Collection<Location>,
}

impl Locations {
    /// The locations of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            collection: db.collection(super::LOCATIONS),
        }
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
