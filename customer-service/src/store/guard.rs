//! Optimistic writes: a document's part is read with its version, changed in memory, and
//! written back only if the version is still the one read (else read again). Only `$set` of
//! whole fields and an equality (or `$exists: false`) filter are used, which behave the same
//! on real MongoDB and on the local stand-in, whose array updates are incomplete.

use bson::{Bson, Document, doc, oid::ObjectId};

/// How often a change is re-read and re-applied when other writes keep winning.
pub const ATTEMPTS: usize = 25;

/// The filter matching customer `id` only while its `field` still holds `seen` (is still
/// absent when `seen` is `None`). The value is compared as read, so a count the server keeps
/// as a 32-bit integer still matches.
pub fn unchanged(id: ObjectId, field: &str, seen: Option<&Bson>) -> Document {
    match seen {
        Some(value) => doc! { "_id": id, field: value.clone() },
        None => doc! { "_id": id, field: { "$exists": false } },
    }
}

/// The version after `seen`.
pub fn next(seen: Option<&Bson>) -> i64 {
    let current = match seen {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(n)) => *n as i64,
        _ => 0,
    };
    current.saturating_add(1)
}
