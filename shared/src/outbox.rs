//! The outbox: a state change and its events in one atomic write (DESIGN.md, "No lost event").
//!
//! Pending events live inside the changed document itself, so a single-document write (atomic
//! on any MongoDB deployment, no transaction needed) holds both:
//!
//! ```text
//! { ..., "outbox": { "<event id, time-ordered>": "<envelope as JSON>" }, "outboxCount": 2 }
//! ```
//!
//! The events are a map keyed by their UUID v7 (which sorts by time) rather than an array,
//! because the MongoDB stand-in stores `$push`ed sub-documents as strings and its `$pull` with
//! a condition empties the whole array (see the tests named after those gaps); `$set` and
//! `$unset` of a dotted key behave the same on both. The envelope is kept as its JSON text, the
//! exact bytes the relay publishes.
//!
//! The [`Relay`] finds documents with `outboxCount > 0`, publishes their events in order with
//! publisher confirms, and removes each one only after the broker took it. A failure leaves the
//! event (and the ones after it in the same document) pending and backs off; nothing needs a
//! human. An event that can never be published is parked in [`PARKED`] instead, so that it
//! cannot stall its document or the relay. Two relays may publish an event twice; consumers
//! deduplicate by event id.

mod relay;

use std::sync::Arc;

use bson::{Bson, Document, doc};
use mongodb::Collection;
use tokio::sync::Notify;

pub use relay::{PARKED, Relay};

use crate::events::Envelope;

/// The field holding pending events.
pub const FIELD: &str = "outbox";
/// The field counting them; the relay's query and index use it.
pub const COUNT: &str = "outboxCount";
/// When the document's pending events are next due, in milliseconds since the epoch: the time
/// its oldest pending event was staged (writers keep the earliest with `$min`), or after a
/// refusal the time of its next attempt (set by the relay). The relay takes documents in this
/// order, so the one that has waited longest goes first. Milliseconds as a 64-bit integer, not
/// a BSON date: the stand-in stores a date written by `$min` or `$set` as text, which sorts
/// apart from dates (see `due_times_are_integers_because_the_stand_in_stores_updated_dates_as_text`).
/// A document without it (written before it existed) counts as due since forever.
pub const DUE: &str = "outboxDueAt";

/// Now, as [`DUE`] counts time.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How many events `document` has pending, whatever integer type the server kept the count
/// in (the stand-in turns an `$inc`ed 64-bit count into a 32-bit one).
pub fn pending_count(document: &Document) -> i64 {
    match document.get(COUNT) {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(n)) => *n as i64,
        _ => 0,
    }
}

/// The map key of an event: its id's simple form, which sorts by creation time.
fn key(event: &Envelope) -> String {
    event.id.simple().to_string()
}

/// The map key of the `n`th event staged with the aggregate's `version`: `v`, the version and
/// `n` in fixed-width hex, then the event id. Keys sort by version first, so the events of one
/// aggregate go out in the order of its versions even when replicas with skewed clocks wrote
/// them (a UUID v7 carries the writer's clock); the `v` sorts them after keys of the plain form
/// left from before.
fn versioned_key(version: i64, n: usize, event: &Envelope) -> String {
    format!(
        "v{:016x}{:04x}{}",
        version.max(0),
        n.min(0xffff),
        event.id.simple()
    )
}

/// The event id in a map key of either form.
pub(crate) fn id_in_key(key: &str) -> Option<uuid::Uuid> {
    let start = key.len().checked_sub(32)?;
    uuid::Uuid::parse_str(key.get(start..)?).ok()
}

fn json(event: &Envelope) -> Result<String, serde_json::Error> {
    serde_json::to_string(event)
}

/// Events as they are stored: `(key, JSON text)` pairs, in the order staged. What
/// [`initial_keyed`] and [`stage_keyed`] store, and what a writer hands the relay
/// ([`Nudge::hand`]), so that each event is written out once.
pub type Keyed = Vec<(String, String)>;

/// `events` keyed by their ids ([`initial`], [`stage`]).
pub fn keyed(events: &[Envelope]) -> Result<Keyed, serde_json::Error> {
    events
        .iter()
        .map(|event| Ok((key(event), json(event)?)))
        .collect()
}

/// `events` of the change that takes an aggregate to `version`, keyed by [`versioned_key`]
/// ([`initial_at`], [`stage_at`]).
pub fn keyed_at(events: &[Envelope], version: i64) -> Result<Keyed, serde_json::Error> {
    events
        .iter()
        .enumerate()
        .map(|(n, event)| Ok((versioned_key(version, n, event), json(event)?)))
        .collect()
}

/// How many events `document` holds unpublished, when it keeps the count (a document written
/// before the outbox kept one does not: `None`).
pub fn known_pending(document: &Document) -> Option<i64> {
    document
        .contains_key(COUNT)
        .then(|| pending_count(document))
}

/// The fields a new document starts with when it is inserted together with `events`.
pub fn initial(events: &[Envelope]) -> Result<Document, serde_json::Error> {
    Ok(initial_keyed(&keyed(events)?))
}

/// [`initial`] for an aggregate with a version: its events keyed by [`versioned_key`].
pub fn initial_at(events: &[Envelope], version: i64) -> Result<Document, serde_json::Error> {
    Ok(initial_keyed(&keyed_at(events, version)?))
}

/// The outbox fields of a new document holding `events`.
pub fn initial_keyed(events: &[(String, String)]) -> Document {
    let pending: Document = events
        .iter()
        .map(|(key, text)| (key.clone(), Bson::String(text.clone())))
        .collect();
    let n = events.len();
    let mut fields = doc! { FIELD: pending, COUNT: i64::try_from(n).unwrap_or(i64::MAX) };
    if n > 0 {
        fields.insert(DUE, now_millis());
    }
    fields
}

/// Adds `events` to an update document (`$set` of each event, `$inc` of the count, `$min` of
/// the due time), merging with the `$set`, `$inc` and `$min` the update already has.
pub fn stage(update: &mut Document, events: &[Envelope]) -> Result<(), serde_json::Error> {
    stage_keyed(update, &keyed(events)?);
    Ok(())
}

/// [`stage`] for the change that takes an aggregate to `version`: its events keyed by
/// [`versioned_key`], so they go out after those of every earlier version.
pub fn stage_at(
    update: &mut Document,
    events: &[Envelope],
    version: i64,
) -> Result<(), serde_json::Error> {
    stage_keyed(update, &keyed_at(events, version)?);
    Ok(())
}

/// [`stage`] of events already keyed.
pub fn stage_keyed(update: &mut Document, events: &[(String, String)]) {
    if events.is_empty() {
        return;
    }
    let mut set = update.get_document("$set").cloned().unwrap_or_default();
    for (key, text) in events {
        set.insert(format!("{FIELD}.{key}"), text.as_str());
    }
    update.insert("$set", set);
    let mut inc = update.get_document("$inc").cloned().unwrap_or_default();
    let added = i64::try_from(events.len()).unwrap_or(i64::MAX);
    let previous = inc.get_i64(COUNT).unwrap_or(0);
    inc.insert(COUNT, previous + added);
    update.insert("$inc", inc);
    // The earliest wins: a document already waiting keeps its place in the relay's queue.
    let mut min = update.get_document("$min").cloned().unwrap_or_default();
    min.insert(DUE, now_millis());
    update.insert("$min", min);
}

/// Wakes the relay at once after a write, instead of at its next poll.
///
/// A nudge that names its collection ([`Nudge::nudge_collection`]) lets the pass it wakes
/// read only the collections named since the last pass: each read is a query to the
/// database, and a relay over five collections used to make five for every order's write.
/// A plain [`Nudge::nudge`] wakes a pass over every collection, as does the relay's own poll.
///
/// A writer that knows the document it wrote holds no events but the ones it just staged
/// (a new document, or a write guarded by a version read with no events pending) can hand
/// them over ([`Nudge::hand`]): the next pass publishes them without reading the collection,
/// then marks them sent as any other. That takes a read off every such event's way to the
/// broker: under `cargo xtask bench orders` the read waited behind the database's queue.
#[derive(Clone, Default)]
pub struct Nudge(Arc<Wake>);

#[derive(Default)]
struct Wake {
    notify: Notify,
    /// What was nudged since the relay last looked: `None` is every collection.
    nudged: std::sync::Mutex<Option<Nudged>>,
    /// Events handed over since the relay last looked, oldest first.
    handed: std::sync::Mutex<Vec<Handed>>,
}

/// Events handed over: every pending event of one document, as staged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Handed {
    pub collection: String,
    pub id: Bson,
    pub events: Keyed,
    /// When it was handed over.
    pub at: std::time::Instant,
}

/// Handed-over documents kept at most while the relay cannot take them (a broker in
/// trouble): beyond, a hand is a plain named nudge. Dropping one loses nothing, since the
/// events are in the database, where a pass over the collection finds them.
const HANDED_CAP: usize = 10_000;

/// Collections nudged since the relay last looked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Nudged {
    /// Some collection not named: read them all.
    #[default]
    All,
    /// Only these.
    Only(std::collections::BTreeSet<String>),
}

impl Nudge {
    /// Tells the relay there is something to publish, without saying where: the pass it wakes
    /// reads every collection.
    pub fn nudge(&self) {
        if let Ok(mut nudged) = self.0.nudged.lock() {
            *nudged = Some(Nudged::All);
        }
        self.0.notify.notify_one();
    }

    /// Tells the relay `collection` has something to publish.
    pub fn nudge_collection(&self, collection: &str) {
        if let Ok(mut nudged) = self.0.nudged.lock() {
            match nudged.get_or_insert_with(|| Nudged::Only(Default::default())) {
                Nudged::All => {}
                Nudged::Only(names) => {
                    if !names.contains(collection) {
                        names.insert(collection.to_owned());
                    }
                }
            }
        }
        self.0.notify.notify_one();
    }

    /// Hands the relay the events just staged in the document `id` of `collection`, which
    /// holds no other pending event (see the type's docs: when unsure, nudge instead). They
    /// go out with the next pass without a read of the collection; a pass that reads it
    /// anyway publishes what it reads instead.
    pub fn hand(&self, collection: &str, id: impl Into<Bson>, events: Keyed) {
        if events.is_empty() {
            return;
        }
        let kept = self.0.handed.lock().is_ok_and(|mut handed| {
            let room = handed.len() < HANDED_CAP;
            if room {
                handed.push(Handed {
                    collection: collection.to_owned(),
                    id: id.into(),
                    events,
                    at: std::time::Instant::now(),
                });
            }
            room
        });
        if !kept {
            self.nudge_collection(collection);
            return;
        }
        // A pass that reads no collection, unless something else was nudged.
        if let Ok(mut nudged) = self.0.nudged.lock() {
            nudged.get_or_insert_with(|| Nudged::Only(Default::default()));
        }
        self.0.notify.notify_one();
    }

    /// The documents handed over since the last call, oldest first, and forgets them.
    pub(crate) fn take_handed(&self) -> Vec<Handed> {
        self.0
            .handed
            .lock()
            .map(|mut handed| std::mem::take(&mut *handed))
            .unwrap_or_default()
    }

    /// Waits for a nudge.
    pub(crate) async fn notified(&self) {
        self.0.notify.notified().await;
    }

    /// What was nudged since the last call, and forgets it (`All` when nothing was named, or
    /// the lock was poisoned).
    pub(crate) fn take(&self) -> Nudged {
        self.0
            .nudged
            .lock()
            .ok()
            .and_then(|mut nudged| nudged.take())
            .unwrap_or_default()
    }
}

/// Removes the `published` event paths (`outbox.<key>`) from the document `id` and lowers its count: one write
/// for all of them (a busy collection sees one update per document, not one per event), guarded
/// so that an event another relay already removed is not counted off twice; when that guard
/// fails, one guarded write per event.
pub async fn remove_published(
    collection: &Collection<Document>,
    id: &Bson,
    published: &[String],
) -> Result<(), mongodb::error::Error> {
    if published.is_empty() {
        return Ok(());
    }
    let mut filter = doc! { "_id": id.clone() };
    let mut unset = Document::new();
    for path in published {
        filter.insert(path, doc! { "$exists": true });
        unset.insert(path, "");
    }
    let removed = i64::try_from(published.len()).unwrap_or(i64::MAX);
    let all = collection
        .update_one(
            filter,
            doc! { "$unset": unset, "$inc": { COUNT: -removed } },
        )
        .await?;
    if all.matched_count == 1 || published.len() == 1 {
        return Ok(());
    }
    for path in published {
        collection
            .update_one(
                doc! { "_id": id.clone(), path: { "$exists": true } },
                doc! { "$unset": { path: "" }, "$inc": { COUNT: -1 } },
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
