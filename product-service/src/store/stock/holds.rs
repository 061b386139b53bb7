//! Holds: what one order holds of one product, in its own `stock_holds` document, and the
//! transient markers on the product that make each stock change happen once (issue 22).
//!
//! What an order holds of a product is a document of its own in `stock_holds` (`_id` =
//! `<orderId>/<productId>`, so unique from the first write; `quantity`, `state` `held` or
//! `returned`, `takenBy`, `returnedBy`), never a field of the product: the product keeps only
//! `stock`, `returningUnits` (0 between steps) and, while a step is under way, one marker per
//! order in `taking.<orderId>` or `givingBack.<orderId>` holding the attempt's random token.
//! There is no transaction (the stand-in and a standalone MongoDB have none), so each change
//! is one single-document write, ordered so that whatever a crash leaves is recognisable:
//!
//! Taking a line, `q` units, attempt token `t` (a hold that exists means: already taken):
//! 1. product `{stock ≥ q, taking.<o> absent}` → `stock −= q`, `taking.<o> = t`;
//! 2. insert the hold `{held, takenBy: t}`;
//! 3. product `{taking.<o>: t}` → unset the marker.
//!
//! A marker without a hold (a crash after 1) is adopted: the hold is written with the
//! marker's token, then the marker cleared. A marker beside a hold taken by another token is a
//! second take of the same line by an attempt that looked before the first finished (two
//! copies of one event handled at once): its units are put back as the marker is cleared, in
//! one write. So a line is taken once; a duplicate only borrows units for a moment, and stock
//! never goes below zero, since every decrement is guarded.
//!
//! Giving a hold back, attempt token `t`:
//! 1. product `{givingBack.<o> absent}` → `returningUnits += q`, `givingBack.<o> = t`;
//! 2. hold `{state: held}` → `{returned, returnedBy: t}` (the hold decides which attempt wins);
//! 3. product `{givingBack.<o>: t}` → `returningUnits −= q`, `stock += q` when the hold was
//!    returned by `t`, else only `returningUnits −= q`; the marker is unset in the same write.
//!
//! Units come back through `returningUnits`, which is never sold, because a second attempt
//! that looked at the hold before the first finished cannot be stopped by the (by then
//! removed) marker: its staged units must be droppable without taking back stock a buyer may
//! already have. A marker beside a `held` hold (a crash after 1) is adopted by step 2.
//!
//! After any step has finished, no per-order field remains on the product: its size is
//! bounded by the orders in flight on it at that moment, not by its history.

use bson::{Bson, Document, doc, oid::ObjectId};
use mongodb::options::ReturnDocument;
use shared::store::is_duplicate_key;

use super::{
    Result, Stock, StockError,
    located::{self, Parts, TAKING_FROM},
};
use crate::store::{int, now};

/// The product field mapping an order to the token of the attempt taking its line.
pub const TAKING: &str = "taking";
/// The product field mapping an order to the token of the attempt giving its line back.
pub const GIVING_BACK: &str = "givingBack";
/// Units on their way back to `stock`, not yet sellable (0 between steps).
pub const RETURNING: &str = "returningUnits";
/// Where versions before issue 22 kept what each order held (`{<orderId>: quantity}`).
pub const LEGACY: &str = "reservations";

/// How often giving back is retried when other attempts keep changing the same hold.
const GIVE_BACK_ROUNDS: usize = 6;

/// The `_id` of the hold of `order_id` on `product`: unique from the first write, which an
/// index created in the background could not promise.
pub fn hold_id(order_id: &str, product: ObjectId) -> String {
    format!("{order_id}/{}", product.to_hex())
}

/// The path of `order_id`'s entry in the product map `map`.
pub fn entry_path(map: &str, order_id: &str) -> String {
    format!("{map}.{order_id}")
}

/// `order_id`'s entry in the product map `map`, from a whole document or a projection on the
/// entry: nested on MongoDB, a flat dotted key on the stand-in (`tests/api/gaps.rs`).
pub fn entry<'a>(document: &'a Document, map: &str, order_id: &str) -> Option<&'a Bson> {
    document
        .get_document(map)
        .ok()
        .and_then(|m| m.get(order_id))
        .or_else(|| document.get(entry_path(map, order_id)))
}

/// A marker's token (`taking` or `givingBack`) for `order_id`, if the product carries one.
pub fn marker(document: &Document, map: &str, order_id: &str) -> Option<String> {
    entry(document, map, order_id)
        .and_then(Bson::as_str)
        .map(str::to_owned)
}

/// What an older version recorded `order_id` as holding of this product: `Some(0)` once given
/// back.
pub fn legacy_quantity(document: &Document, order_id: &str) -> Option<i64> {
    match entry(document, LEGACY, order_id)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(n) => Some(*n as i64),
        _ => None,
    }
}

/// A fresh attempt token.
pub fn token() -> String {
    ObjectId::new().to_hex()
}

/// A hold as stored.
#[derive(Debug, Clone)]
pub struct Hold {
    /// Units held.
    pub quantity: i64,
    /// Whether they were given back.
    pub returned: bool,
    /// The attempt whose take the hold records.
    pub taken_by: String,
    /// The attempt whose giving back the hold records.
    pub returned_by: Option<String>,
    /// The locations its units were taken from (empty: all from `stock`, before the product's
    /// stock was kept per location).
    pub from: Parts,
}

impl Hold {
    fn read(document: &Document) -> Result<Self> {
        let state = document.get_str("state").unwrap_or_default();
        let returned = match state {
            "held" => false,
            "returned" => true,
            other => {
                return Err(StockError::Encoding(format!(
                    "unknown hold state {other:?}"
                )));
            }
        };
        Ok(Self {
            quantity: int(document, "quantity").unwrap_or(0),
            returned,
            taken_by: document.get_str("takenBy").unwrap_or_default().to_owned(),
            returned_by: document.get_str("returnedBy").ok().map(str::to_owned),
            from: document
                .get_document("from")
                .map(located::parts_of)
                .unwrap_or_default(),
        })
    }
}

impl Stock {
    /// The hold of `order_id` on `product`, if one was written.
    pub(super) async fn find_hold(
        &self,
        order_id: &str,
        product: ObjectId,
    ) -> Result<Option<Hold>> {
        let found = self
            .holds
            .find_one(doc! { "_id": hold_id(order_id, product) })
            .await?;
        found.as_ref().map(Hold::read).transpose()
    }

    /// The product's markers and legacy entry for `order_id`, with `extra` fields; `None` when
    /// the product does not exist.
    pub(super) async fn markers(
        &self,
        order_id: &str,
        product: ObjectId,
        mut extra: Document,
    ) -> Result<Option<Document>> {
        for map in [TAKING, TAKING_FROM, GIVING_BACK, LEGACY] {
            extra.insert(entry_path(map, order_id), 1);
        }
        Ok(self
            .products
            .find_one(doc! { "_id": product })
            .projection(extra)
            .await?)
    }

    /// Records the take staged under `token` as the order's hold, then clears its marker; the
    /// hold as stored (another attempt's, when one was recorded first).
    pub(super) async fn record_take(
        &self,
        order_id: &str,
        product: ObjectId,
        quantity: i64,
        token: &str,
        from: &[(String, i64)],
    ) -> Result<Hold> {
        let mut document = doc! {
            "_id": hold_id(order_id, product), "orderId": order_id,
            "productId": product.to_hex(), "quantity": quantity,
            "state": "held", "takenBy": token, "createdAt": bson::DateTime::now(),
        };
        if !from.is_empty() {
            document.insert("from", located::parts_doc(from));
        }
        let inserted = self.holds.insert_one(document).await;
        let hold = match inserted {
            Ok(_) => Hold {
                quantity,
                returned: false,
                taken_by: token.to_owned(),
                returned_by: None,
                from: from.to_vec(),
            },
            Err(e) if is_duplicate_key(&e) => self
                .find_hold(order_id, product)
                .await?
                .ok_or_else(|| StockError::Encoding("a written hold vanished".into()))?,
            Err(e) => return Err(e.into()),
        };
        self.settle_take(order_id, product, &hold, Some((token, from.to_vec())))
            .await?;
        Ok(hold)
    }

    /// Clears a `taking` marker left beside a recorded hold: the hold's own attempt's is only
    /// removed; another attempt's took the line a second time, so its units come back (to the
    /// locations that attempt took them from). `seen` is the marker and its split when the
    /// caller knows them; whether stock changed.
    pub(super) async fn settle_take(
        &self,
        order_id: &str,
        product: ObjectId,
        hold: &Hold,
        seen: Option<(&str, Parts)>,
    ) -> Result<bool> {
        let seen = match seen {
            Some((token, parts)) => Some((token.to_owned(), parts)),
            None => self
                .markers(order_id, product, doc! {})
                .await?
                .and_then(|d| {
                    marker(&d, TAKING, order_id).map(|m| (m, located::taking_from(&d, order_id)))
                }),
        };
        let Some((stray, parts)) = seen else {
            return Ok(false);
        };
        let path = entry_path(TAKING, order_id);
        let unset = doc! { &path: "", entry_path(TAKING_FROM, order_id): "" };
        let filter = doc! { "_id": product, &path: &stray };
        let duplicate = stray != hold.taken_by;
        let after = if duplicate {
            let update = doc! {
                "$unset": unset,
                "$inc": { "stock": hold.quantity },
                "$set": { "updatedAt": now().0 },
            };
            let fields = super::lines::low_stock_fields();
            located::put_back(
                &self.products,
                filter,
                update,
                hold.quantity,
                &parts,
                fields,
            )
            .await?
        } else {
            self.products
                .find_one_and_update(filter, doc! { "$unset": unset })
                .projection(super::lines::low_stock_fields())
                .return_document(ReturnDocument::After)
                .await?
        };
        match after {
            Some(after) if duplicate => {
                self.clear_low_if_restored(product, &after).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Gives `hold` back once, whoever else is giving it back or stopped half-way doing so:
    /// stage the units as returning under a marker, record the hold returned by that marker,
    /// then move them into stock (or, for a marker the hold was not returned by, drop them).
    pub(super) async fn return_hold(
        &self,
        order_id: &str,
        product: ObjectId,
        mut hold: Hold,
    ) -> Result<bool> {
        let id = hold_id(order_id, product);
        let path = entry_path(GIVING_BACK, order_id);
        for _ in 0..GIVE_BACK_ROUNDS {
            let Some(current) = self.markers(order_id, product, doc! {}).await? else {
                return Ok(false);
            };
            match (hold.returned, marker(&current, GIVING_BACK, order_id)) {
                (true, None) => return Ok(false),
                (true, Some(staged)) => {
                    let ours = hold.returned_by.as_deref() == Some(staged.as_str());
                    return self
                        .finish_return(order_id, product, &hold, &staged, ours)
                        .await;
                }
                (false, Some(staged)) => self.mark_returned(&id, &staged).await?,
                (false, None) => {
                    let staged = token();
                    let result = self
                        .products
                        .update_one(
                            doc! { "_id": product, &path: { "$exists": false } },
                            doc! {
                                "$inc": { RETURNING: hold.quantity },
                                "$set": { &path: &staged },
                            },
                        )
                        .await?;
                    if result.matched_count == 1 {
                        self.mark_returned(&id, &staged).await?;
                    }
                }
            }
            hold = self
                .find_hold(order_id, product)
                .await?
                .ok_or_else(|| StockError::Encoding("a hold vanished".into()))?;
        }
        Err(StockError::Contended(format!(
            "giving back {id} kept racing other attempts"
        )))
    }

    /// Records the hold `id` returned by the attempt `staged`, unless it already is.
    async fn mark_returned(&self, id: &str, staged: &str) -> Result<()> {
        self.holds
            .update_one(
                doc! { "_id": id, "state": "held" },
                doc! { "$set": {
                    "state": "returned", "returnedBy": staged, "returnedAt": bson::DateTime::now(),
                } },
            )
            .await?;
        Ok(())
    }

    /// Moves the units staged under `staged` into stock when the hold was returned by it
    /// (`ours`), else drops them; clears the marker either way. Whether stock changed.
    async fn finish_return(
        &self,
        order_id: &str,
        product: ObjectId,
        hold: &Hold,
        staged: &str,
        ours: bool,
    ) -> Result<bool> {
        let path = entry_path(GIVING_BACK, order_id);
        let q = hold.quantity;
        let filter = doc! { "_id": product, &path: staged };
        let after = if ours {
            let update = doc! {
                "$inc": { RETURNING: -q, "stock": q },
                "$unset": { &path: "" },
                "$set": { "updatedAt": now().0 },
            };
            let fields = super::lines::low_stock_fields();
            located::put_back(&self.products, filter, update, q, &hold.from, fields).await?
        } else {
            let update = doc! { "$inc": { RETURNING: -q }, "$unset": { &path: "" } };
            self.products
                .find_one_and_update(filter, update)
                .projection(super::lines::low_stock_fields())
                .return_document(ReturnDocument::After)
                .await?
        };
        match after {
            Some(after) if ours => {
                self.clear_low_if_restored(product, &after).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
