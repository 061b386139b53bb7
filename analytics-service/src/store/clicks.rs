//! The storefront's clickstream (issue 19): one document per event in `clicks`, `_id`
//! `<sessionId>/<event id>`, so a batch sent again adds nothing.
//!
//! ```text
//! { _id, day: "YYYY-MM-DD", kind, atMs, sessionId, customerId?, productId?, query?, results?,
//!   path?, receivedAtMs }
//! ```
//! `query` is kept lower-cased with its spaces folded, so "Desk  Lamp" and "desk lamp" are one
//! search. Reports read a period's events by `day` and group them in the service.

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::{Collection, Database, IndexModel, error::ErrorKind};
use shared::api::clickstream::{ClickEvent, ClickKind, millis};

use crate::domain::{Day, DayRange};

/// The collection name.
pub const COLLECTION: &str = "clicks";

fn clicks(db: &Database) -> Collection<Document> {
    db.collection(COLLECTION)
}

/// A period's reports read events by day.
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    clicks(db)
        .create_index(IndexModel::builder().keys(doc! { "day": 1 }).build())
        .await?;
    Ok(())
}

/// `query` as it is counted: lower-cased, words separated by one space.
pub fn fold(query: &str) -> String {
    query
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn document(event: &ClickEvent, customer: Option<&str>, now_ms: i64) -> Option<Document> {
    let at_ms = millis(&event.at)?;
    let day = Day::of_rfc3339(&event.at)?.text();
    let mut d = doc! {
        "_id": format!("{}/{}", event.session_id, event.id),
        "day": day,
        "kind": event.kind.as_str(),
        "atMs": at_ms,
        "sessionId": &event.session_id,
        "receivedAtMs": now_ms,
    };
    let optional = [
        ("customerId", customer.map(str::to_owned)),
        ("productId", event.product_id.clone()),
        ("query", event.query.as_deref().map(fold)),
        ("path", event.path.clone()),
    ];
    for (field, value) in optional {
        if let Some(value) = value {
            d.insert(field, value);
        }
    }
    if let Some(results) = event.results {
        d.insert("results", results);
    }
    Some(d)
}

/// Stores `events` by `customer` (none: anonymous); `(accepted, duplicates)`. One unordered
/// insert: the events seen before fail alone on their key and the rest go in.
pub async fn insert(
    db: &Database,
    events: &[ClickEvent],
    customer: Option<&str>,
    now_ms: i64,
) -> Result<(u64, u64), mongodb::error::Error> {
    let docs: Vec<Document> = events
        .iter()
        .filter_map(|e| document(e, customer, now_ms))
        .collect();
    let total = docs.len() as u64;
    if docs.is_empty() {
        return Ok((0, 0));
    }
    match clicks(db).insert_many(docs).ordered(false).await {
        Ok(_) => Ok((total, 0)),
        Err(e) => {
            let ErrorKind::InsertMany(failure) = &*e.kind else {
                return Err(e);
            };
            let errors = failure.write_errors.as_deref().unwrap_or_default();
            let duplicates = errors.iter().filter(|w| w.code == 11000).count() as u64;
            if duplicates as usize != errors.len() || failure.write_concern_error.is_some() {
                return Err(e);
            }
            Ok((total - duplicates, duplicates))
        }
    }
}

/// One stored event, as the reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// What happened.
    pub kind: ClickKind,
    /// The browsing session.
    pub session_id: String,
    /// The product, for product events.
    pub product_id: Option<String>,
    /// The folded words, for searches.
    pub query: Option<String>,
    /// How many products a search found.
    pub results: Option<i64>,
}

/// Every event of `range`'s days.
pub async fn in_range(db: &Database, range: DayRange) -> Result<Vec<Click>, mongodb::error::Error> {
    let found: Vec<Document> = clicks(db)
        .find(doc! { "day": { "$gte": range.from.text(), "$lte": range.to.text() } })
        .projection(
            doc! { "day": 1, "kind": 1, "sessionId": 1, "productId": 1, "query": 1, "results": 1 },
        )
        .await?
        .try_collect()
        .await?;
    Ok(found
        .iter()
        .filter_map(|d| {
            let text = |f: &str| d.get_str(f).ok().map(str::to_owned);
            Some(Click {
                day: text("day")?,
                kind: ClickKind::parse(d.get_str("kind").ok()?)?,
                session_id: text("sessionId")?,
                product_id: text("productId"),
                query: text("query"),
                results: super::int(d, "results"),
            })
        })
        .collect())
}
