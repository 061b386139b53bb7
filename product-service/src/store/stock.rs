//! Reserving and releasing stock for orders, exactly once per order whatever is redelivered
//! and wherever a previous attempt stopped.
//!
//! Reserving (`order.created`):
//! 1. Claim the order: insert its reservation (`_id` = order id, status `pending`, its lines).
//!    A duplicate key means it was seen before: when its status is final nothing is done again
//!    (a `rejected`/`released` one only has its lines given back once more, which is a no-op
//!    unless a crash interrupted that); when it is still `pending` a previous attempt stopped
//!    half-way, and this one carries on from step 2 with the stored lines.
//! 2. Take each line (below). After the first line that cannot be taken, the remaining lines
//!    are only checked, so the rejection names every short line without holding stock that
//!    would then be given back.
//! 3. Decide, with a write guarded by `status: pending` that also stages the outcome event:
//!    `reserved` + `stock.reserved`, or `rejected` + `stock.rejected`, and then give back what
//!    the order holds. The decision is written before the giving back, so a crash in between
//!    is finished by the redelivery (step 1) rather than decided again.
//!
//! Releasing (`order.cancelled`, `order.expired`): `reserved` (or `pending`) → `released` with
//! an [`ANNOUNCE`] marker in one guarded write, then give back every line, then stage
//! `stock.released` as the marker is cleared (guarded by it, so once). The event goes out
//! only after the stock is back, so a live stream that reads the stock on it sees the units
//! returned; a crash before the event is finished by the redelivery, which gives back (a
//! no-op by then) and announces. A cancellation for an order never seen records it as
//! `released` with no lines and no marker, so a late `order.created` reserves nothing.
//!
//! # Holds (issue 22)
//! What an order holds of a product is a document of its own in `stock_holds`, never a field
//! of the product; how a line is taken and given back once, with no transaction, is told in
//! `stock/holds.rs`.
//!
//! Products written before holds had their own collection keep `reservations.<orderId>`
//! (0 once given back). This service does both: a start-up migration moves them into holds
//! (`stock/legacy.rs`, run with the index creation), and until it has, every step reads both
//! shapes, so the migration and the order consumer may run in any order.
//!
//! Low stock: after stock falls, `stockLow: {$ne: true}` → `true` with `product.stock_low`
//! staged in the same write, guarded by the stock still being below the threshold; after it
//! rises back to or above the threshold, the flag is cleared. One event per low period.

use bson::{Bson, Document, doc};
use mongodb::{Collection, Database};
use shared::{
    events::keys,
    outbox::{self, Nudge},
    store::is_duplicate_key,
};

use crate::{
    domain::stock::{Held, OrderItem, Rejected, Request, Status},
    events::envelope,
};

mod holds;
mod legacy;
mod lines;
pub mod located;

pub use holds::{
    GIVING_BACK, LEGACY, RETURNING, TAKING, entry, entry_path, hold_id, legacy_quantity, marker,
};
use lines::Take;

/// The reservation's field naming the event its release still owes: `stock.released` is
/// staged only after the stock is given back, so that whoever reads the stock on that event
/// (live stock streams) sees it back.
pub const ANNOUNCE: &str = "announce";

/// Why a stock operation did not complete; the event is retried.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    /// MongoDB failed or could not be reached.
    #[error("database: {0}")]
    Database(#[from] mongodb::error::Error),
    /// An event or a document could not be encoded or read.
    #[error("encoding: {0}")]
    Encoding(String),
    /// Other attempts at the same order kept changing what this one was about to change.
    #[error("contended: {0}")]
    Contended(String),
}

impl From<serde_json::Error> for StockError {
    fn from(e: serde_json::Error) -> Self {
        Self::Encoding(e.to_string())
    }
}

impl From<bson::de::Error> for StockError {
    fn from(e: bson::de::Error) -> Self {
        Self::Encoding(e.to_string())
    }
}

type Result<T, E = StockError> = std::result::Result<T, E>;

/// What handling an order event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The order's status afterwards.
    pub status: Status,
    /// Whether this call decided it (and staged the event), rather than finding it decided.
    pub decided_now: bool,
    /// Whether some product's stock changed.
    pub stock_changed: bool,
}

/// Reservations over the `products`, `reservations` and `stock_holds` collections.
///
/// Whatever it stages it tells the relay about itself, naming the collection, and only then:
/// a fresh reservation's decision is handed over whole (the document was inserted with no
/// events and the decision, guarded by `pending`, is the only one it can stage), so the relay
/// publishes `stock.reserved` or `stock.rejected` without reading `reservations`; a resumed
/// decision and `stock.released` nudge `reservations`; `product.stock_low` nudges `products`.
/// An order event that stages nothing on a product wakes no read of `products`.
#[derive(Clone)]
pub struct Stock {
    products: Collection<Document>,
    reservations: Collection<Document>,
    holds: Collection<Document>,
    locations: super::locations::Locations,
    nudge: Nudge,
}

impl Stock {
    /// Reservations in `db`, staging events for a relay that nothing wakes (see
    /// [`Self::with_nudge`]).
    pub fn new(db: &Database) -> Self {
        Self {
            products: db.collection(super::PRODUCTS),
            reservations: db.collection(super::RESERVATIONS),
            holds: db.collection(super::HOLDS),
            locations: super::locations::Locations::new(db),
            nudge: Nudge::default(),
        }
    }

    /// Wakes (or hands events to) the relay behind `nudge` after each event staged.
    pub fn with_nudge(mut self, nudge: Nudge) -> Self {
        self.nudge = nudge;
        self
    }

    /// The locations in the order a take goes through them.
    async fn taking_order(&self) -> Result<Vec<crate::domain::location::Location>> {
        Ok(self.locations.in_taking_order().await?)
    }

    /// Reserves every line of an order, or none (see the module docs).
    #[tracing::instrument(skip_all, fields(order.id = %request.order_id))]
    pub async fn reserve(&self, request: &Request, correlation: &str) -> Result<Outcome> {
        let order_id = request.order_id.as_str();
        let (lines, resumed) = match self.claim(request).await? {
            None => (request.lines.clone(), false),
            Some((Status::Pending, lines)) => (lines, true),
            Some((status, lines)) => {
                let changed = status.holds_nothing() && self.give_back(order_id, &lines).await?;
                return Ok(Outcome {
                    status,
                    decided_now: false,
                    stock_changed: changed,
                });
            }
        };
        let mut changed = false;
        let mut short = Vec::new();
        for line in &lines {
            if short.is_empty() {
                match self.take(order_id, line, correlation, resumed).await? {
                    Take::Held { changed: c } => changed |= c,
                    Take::Short(s) => short.push(s),
                }
            } else if let Some(s) = self.shortfall(line).await? {
                short.push(s);
            }
        }
        let (status, event) = if short.is_empty() {
            let data = Held {
                order_id,
                items: &lines,
            };
            (
                Status::Reserved,
                envelope(keys::STOCK_RESERVED, correlation, data)?,
            )
        } else {
            let data = Rejected {
                order_id,
                lines: &short,
            };
            (
                Status::Rejected,
                envelope(keys::STOCK_REJECTED, correlation, data)?,
            )
        };
        let staged = self
            .decide(order_id, &[Status::Pending], status, event)
            .await?;
        let decided_now = staged.is_some();
        let status = if decided_now {
            status
        } else {
            self.status(order_id).await?
        };
        if status.holds_nothing() {
            changed |= self.give_back(order_id, &lines).await?;
        }
        // Told only now, after a rejected order's lines are back, so whoever reads the stock
        // on `stock.rejected` sees them returned.
        match staged {
            // Inserted by this call with no events, and moved from `pending` with its one.
            Some(keyed) if !resumed => self.nudge.hand(super::RESERVATIONS, order_id, keyed),
            Some(_) => self.nudge.nudge_collection(super::RESERVATIONS),
            None => {}
        }
        Ok(Outcome {
            status,
            decided_now,
            stock_changed: changed,
        })
    }

    /// Gives back what a cancelled order holds, once (see the module docs).
    #[tracing::instrument(skip(self, correlation))]
    pub async fn release(&self, order_id: &str, correlation: &str) -> Result<Outcome> {
        for _ in 0..3 {
            let Some(found) = self.reservations.find_one(doc! { "_id": order_id }).await? else {
                let now = bson::DateTime::now();
                let mut record = doc! {
                    "_id": order_id, "status": Status::Released.as_str(), "lines": [],
                    "cancelledUnseen": true, "createdAt": now, "updatedAt": now,
                };
                record.extend(outbox::initial(&[])?);
                match self.reservations.insert_one(record).await {
                    Ok(_) => {
                        return Ok(Outcome {
                            status: Status::Released,
                            decided_now: true,
                            stock_changed: false,
                        });
                    }
                    Err(e) if is_duplicate_key(&e) => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            let (status, lines) = read_reservation(&found)?;
            let event = envelope(
                keys::STOCK_RELEASED,
                correlation,
                Held {
                    order_id,
                    items: &lines,
                },
            )?;
            if status.holds_nothing() {
                let changed = self.give_back(order_id, &lines).await?;
                // A release that stopped between its decision and its event.
                self.announce_release(order_id, event).await?;
                return Ok(Outcome {
                    status,
                    decided_now: false,
                    stock_changed: changed,
                });
            }
            let from = [Status::Reserved, Status::Pending];
            if self.decide_release(order_id, &from).await? {
                let changed = self.give_back(order_id, &lines).await?;
                self.announce_release(order_id, event).await?;
                return Ok(Outcome {
                    status: Status::Released,
                    decided_now: true,
                    stock_changed: changed,
                });
            }
        }
        let status = self.status(order_id).await?;
        Ok(Outcome {
            status,
            decided_now: false,
            stock_changed: false,
        })
    }

    /// Inserts the pending reservation; `Some` with what is stored when it already exists.
    async fn claim(&self, request: &Request) -> Result<Option<(Status, Vec<OrderItem>)>> {
        let now = bson::DateTime::now();
        let mut record = doc! {
            "_id": &request.order_id,
            "status": Status::Pending.as_str(),
            "lines": bson::to_bson(&request.lines).map_err(|e| StockError::Encoding(e.to_string()))?,
            "createdAt": now,
            "updatedAt": now,
        };
        record.extend(outbox::initial(&[])?);
        match self.reservations.insert_one(record).await {
            Ok(_) => Ok(None),
            Err(e) if is_duplicate_key(&e) => {
                let found = self
                    .reservations
                    .find_one(doc! { "_id": &request.order_id })
                    .await?
                    .ok_or_else(|| StockError::Encoding("claimed reservation vanished".into()))?;
                read_reservation(&found).map(Some)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn status(&self, order_id: &str) -> Result<Status> {
        let found = self
            .reservations
            .find_one(doc! { "_id": order_id })
            .projection(doc! { "status": 1 })
            .await?
            .ok_or_else(|| StockError::Encoding(format!("no reservation for {order_id}")))?;
        read_status(&found)
    }

    /// Moves the reservation from one of `from` to `released`, marking [`ANNOUNCE`] so that
    /// `stock.released` is staged once the stock is back ([`Self::announce_release`]);
    /// whether this call made the move.
    async fn decide_release(&self, order_id: &str, from: &[Status]) -> Result<bool> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let update = doc! {
            "$set": { "status": Status::Released.as_str(), ANNOUNCE: keys::STOCK_RELEASED },
            "$currentDate": { "updatedAt": true },
        };
        let result = self
            .reservations
            .update_one(doc! { "_id": order_id, "status": { "$in": from } }, update)
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Stages `event` (`stock.released`) when the release of `order_id` has not announced it
    /// yet: the marker's guard makes a redelivery or a second consumer stage it once.
    async fn announce_release(
        &self,
        order_id: &str,
        event: shared::events::Envelope,
    ) -> Result<()> {
        let mut update = doc! { "$unset": { ANNOUNCE: "" } };
        outbox::stage(&mut update, &[event])?;
        let result = self
            .reservations
            .update_one(
                doc! { "_id": order_id, ANNOUNCE: keys::STOCK_RELEASED },
                update,
            )
            .await?;
        if result.modified_count == 1 {
            self.nudge.nudge_collection(super::RESERVATIONS);
        }
        Ok(())
    }

    /// Moves the reservation from one of `from` to `to`, staging `event` in the same write;
    /// the event as stored when this call made the move (for the caller to hand over or
    /// nudge).
    async fn decide(
        &self,
        order_id: &str,
        from: &[Status],
        to: Status,
        event: shared::events::Envelope,
    ) -> Result<Option<outbox::Keyed>> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let mut update = doc! {
            "$set": { "status": to.as_str() },
            "$currentDate": { "updatedAt": true },
        };
        let keyed = outbox::keyed(&[event])?;
        outbox::stage_keyed(&mut update, &keyed);
        let result = self
            .reservations
            .update_one(doc! { "_id": order_id, "status": { "$in": from } }, update)
            .await?;
        Ok((result.matched_count == 1).then_some(keyed))
    }
}

fn read_status(document: &Document) -> Result<Status> {
    let raw = document.get_str("status").unwrap_or_default();
    Status::parse(raw).ok_or_else(|| StockError::Encoding(format!("unknown status {raw:?}")))
}

fn read_reservation(document: &Document) -> Result<(Status, Vec<OrderItem>)> {
    let lines = match document.get("lines") {
        Some(lines @ Bson::Array(_)) => bson::from_bson(lines.clone())?,
        _ => Vec::new(),
    };
    Ok((read_status(document)?, lines))
}
