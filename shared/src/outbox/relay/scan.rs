//! What a pass takes: in each collection the documents whose events are due, the one that
//! has waited longest first ([`DUE`] ascending, a document without it first of all), at most a
//! page of them; then the collections' pages dealt out in turn, so that a backlog in one
//! collection does not put another's fresh event behind all of it.

use std::time::Duration;

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::Collection;

use super::super::{COUNT, DUE, FIELD};

/// One document of a pass and its pending events, in the order they must go out.
pub(super) struct Due {
    /// The index of its collection in the relay's list.
    pub collection: usize,
    pub id: Bson,
    /// `(key, stored text)`, sorted by key: by version, then by time made.
    pub events: Vec<(String, String)>,
}

/// The query of documents with events pending, due or not: which of them are due is decided
/// here, not by the server. The stand-in evaluates any `$or` in Python against every document
/// of the collection (60 ms a query at 5,000 documents against 1 ms without it), and the
/// relay asks on every pass, so a `$or` over "due by now, or without a due time" made each
/// service's relay slower the more documents it had ever written. Sorted by due time, a
/// document without one first, the due documents come before every one still waiting, so a
/// page of `limit` holds every due one it can.
pub(super) fn pending_filter() -> Document {
    doc! { COUNT: { "$gt": 0 } }
}

/// Whether `document`'s events are due at `now`: no due time (written before there were due
/// times, or not a number) or one not after `now`.
pub(super) fn is_due(document: &Document, now: i64) -> bool {
    match document.get(DUE) {
        Some(Bson::Int64(at)) => *at <= now,
        Some(Bson::Int32(at)) => i64::from(*at) <= now,
        Some(Bson::Double(at)) => *at <= now as f64,
        _ => true,
    }
}

/// Up to `limit` due documents of `collection`, the longest waiting first.
pub(super) async fn due(
    collection: &Collection<Document>,
    index: usize,
    now: i64,
    limit: i64,
) -> Result<Vec<Due>, mongodb::error::Error> {
    let found: Vec<Document> = collection
        .find(pending_filter())
        .projection(doc! { FIELD: 1, DUE: 1 })
        .sort(doc! { DUE: 1, "_id": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    let due: Vec<Due> = found
        .into_iter()
        .filter(|document| is_due(document, now))
        .filter_map(|document| {
            let id = document.get("_id")?.clone();
            let mut events: Vec<(String, String)> = document
                .get_document(FIELD)
                .map(|pending| {
                    pending
                        .iter()
                        .map(|(key, raw)| {
                            let text = match raw {
                                Bson::String(text) => text.clone(),
                                other => other.to_string(),
                            };
                            (key.clone(), text)
                        })
                        .collect()
                })
                .unwrap_or_default();
            events.sort_by(|a, b| a.0.cmp(&b.0));
            Some(Due {
                collection: index,
                id,
                events,
            })
        })
        .collect();
    let labels = [("collection", collection.name().to_owned())];
    let backlog: usize = due.iter().map(|d| d.events.len()).sum();
    metrics::gauge!("outbox_backlog", &labels).set(backlog as f64);
    metrics::gauge!("outbox_oldest_age_seconds", &labels).set(oldest_age(&due));
    Ok(due)
}

/// The age of the oldest event due in `page`, in whole seconds (for `/health`).
pub(super) fn oldest_seconds(page: &[Due]) -> u64 {
    oldest_age(page) as u64
}

/// Counted pending documents at most: beyond this `/health` shows the cap.
pub(super) const PENDING_CAP: u64 = 100_000;

/// How many documents of `collection` hold events not yet published, due or not (at most
/// [`PENDING_CAP`]; see [`crate::store::count_up_to`] for why not `count_documents`).
pub(super) async fn pending(
    collection: &Collection<Document>,
) -> Result<u64, mongodb::error::Error> {
    crate::store::count_up_to(collection, doc! { COUNT: { "$gt": 0 } }, PENDING_CAP).await
}

/// What a pass read: when its reads had all answered, and which documents they held.
pub(super) struct Read {
    pub at: std::time::Instant,
    pub documents: std::collections::HashSet<(usize, String)>,
}

impl Read {
    /// What `pages` hold, read by now.
    pub fn of(pages: &[Vec<Due>]) -> Self {
        Self {
            at: std::time::Instant::now(),
            documents: pages
                .iter()
                .flatten()
                .map(|d| key(d.collection, &d.id))
                .collect(),
        }
    }
}

fn key(index: usize, id: &Bson) -> (usize, String) {
    (index, id.to_string())
}

/// The documents handed over (oldest first), as a pass publishes them: one per document,
/// its events in key order, each once. Left out (a pass over the collection finds them):
/// those of a collection the relay does not serve; those this pass read (what was read is
/// the whole of what is pending, and the same document twice would race itself); and those
/// the previous pass read after they were handed over. That pass began before the hand, so
/// its read may have come after later events of the document were staged, and published
/// them: publishing the handed ones now would put an older event after a newer one.
pub(super) fn handed(
    handed: Vec<super::super::Handed>,
    collections: &[String],
    now: &Read,
    previous: Option<&Read>,
) -> Vec<Due> {
    let mut at: std::collections::HashMap<(usize, String), usize> = Default::default();
    let mut dues: Vec<Due> = Vec::new();
    for item in handed {
        let Some(index) = collections.iter().position(|c| *c == item.collection) else {
            continue;
        };
        let this = key(index, &item.id);
        let read_since = previous.is_some_and(|p| p.at >= item.at && p.documents.contains(&this));
        if now.documents.contains(&this) || read_since {
            continue;
        }
        match at.get(&this) {
            Some(&n) => dues[n].events.extend(item.events),
            None => {
                at.insert(this, dues.len());
                dues.push(Due {
                    collection: index,
                    id: item.id,
                    events: item.events,
                });
            }
        }
    }
    for due in &mut dues {
        due.events.sort_by(|a, b| a.0.cmp(&b.0));
        due.events.dedup_by(|a, b| a.0 == b.0);
    }
    dues
}

/// The collections' pages dealt out in turn: the first of each, then the second of each, ….
pub(super) fn interleave(pages: Vec<Vec<Due>>) -> Vec<Due> {
    let total = pages.iter().map(Vec::len).sum();
    let mut pages: Vec<std::vec::IntoIter<Due>> = pages.into_iter().map(Vec::into_iter).collect();
    let mut dealt = Vec::with_capacity(total);
    while dealt.len() < total {
        for page in &mut pages {
            dealt.extend(page.next());
        }
    }
    dealt
}

/// Seconds since the oldest pending event read was created (its UUID v7 carries the time).
fn oldest_age(due: &[Due]) -> f64 {
    let oldest = due
        .iter()
        .flat_map(|d| d.events.iter())
        .filter_map(|(key, _)| super::super::id_in_key(key))
        .filter_map(|id| id.get_timestamp())
        .map(|ts| ts.to_unix())
        .min();
    match oldest {
        Some((secs, nanos)) => {
            let created = Duration::new(secs, nanos);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            now.saturating_sub(created).as_secs_f64()
        }
        None => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(collection: usize, n: i32) -> Vec<Due> {
        (0..n)
            .map(|id| Due {
                collection,
                id: Bson::Int32(id),
                events: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn the_pending_query_has_no_or_because_the_stand_in_scans_every_document_for_one() {
        fn has_or(document: &Document) -> bool {
            document.iter().any(|(key, value)| {
                key == "$or" || matches!(value, Bson::Document(inner) if has_or(inner))
            })
        }
        assert!(!has_or(&pending_filter()), "{}", pending_filter());
    }

    #[test]
    fn a_document_is_due_without_a_due_time_or_with_one_not_after_now() {
        let now = 1_000;
        assert!(is_due(&doc! {}, now));
        assert!(is_due(&doc! { DUE: Bson::Null }, now));
        assert!(is_due(&doc! { DUE: "2026-01-01T00:00:00Z" }, now));
        assert!(is_due(&doc! { DUE: 1_000_i64 }, now));
        assert!(is_due(&doc! { DUE: 999_i32 }, now));
        assert!(is_due(&doc! { DUE: 999.5_f64 }, now));
        assert!(!is_due(&doc! { DUE: 1_001_i64 }, now));
        assert!(!is_due(&doc! { DUE: 1_001_i32 }, now));
        assert!(!is_due(&doc! { DUE: 1_000.5_f64 }, now));
    }

    #[test]
    fn handed_documents_are_merged_in_key_order_and_left_out_when_read_or_unknown() {
        use super::super::super::Handed;
        let hand = |collection: &str, id: i32, keys: &[&str]| Handed {
            collection: collection.to_owned(),
            id: Bson::Int32(id),
            events: keys
                .iter()
                .map(|k| ((*k).to_owned(), format!("text {k}")))
                .collect(),
            at: std::time::Instant::now(),
        };
        let ids = |dues: Vec<Due>| -> Vec<(usize, Bson, Vec<String>)> {
            dues.into_iter()
                .map(|d| {
                    (
                        d.collection,
                        d.id,
                        d.events.into_iter().map(|e| e.0).collect(),
                    )
                })
                .collect()
        };
        let collections = ["orders".to_owned(), "returns".to_owned()];
        let nothing = Read::of(&[]);
        let dues = handed(
            vec![
                hand("orders", 1, &["v2"]),
                hand("returns", 1, &["a"]),
                hand("orders", 1, &["v1", "v2"]),
                hand("orders", 7, &["v1"]),
                hand("unknown", 1, &["x"]),
            ],
            &collections,
            &nothing,
            None,
        );
        assert_eq!(
            ids(dues),
            vec![
                (0, Bson::Int32(1), vec!["v1".to_owned(), "v2".to_owned()]),
                (1, Bson::Int32(1), vec!["a".to_owned()]),
                (0, Bson::Int32(7), vec!["v1".to_owned()]),
            ]
        );
        // Read in this pass: the read is the whole of it.
        let this_pass = Read::of(&[page(0, 3)]);
        let dues = handed(
            vec![hand("orders", 2, &["v1"])],
            &collections,
            &this_pass,
            None,
        );
        assert!(dues.is_empty());
        // Read by the previous pass after the hand: that read may have published later
        // events already. Read before the hand: it saw none of this.
        let early = hand("orders", 2, &["v1"]);
        let previous = Read::of(&[page(0, 3)]);
        let late = hand("orders", 2, &["v1"]);
        let dues = handed(vec![early], &collections, &nothing, Some(&previous));
        assert!(
            dues.is_empty(),
            "handed before the previous pass's read answered"
        );
        let dues = handed(vec![late], &collections, &nothing, Some(&previous));
        assert_eq!(ids(dues), vec![(0, Bson::Int32(2), vec!["v1".to_owned()])]);
    }

    #[test]
    fn pages_are_dealt_out_in_turn_so_a_long_one_does_not_go_first_entirely() {
        let dealt = interleave(vec![page(0, 3), page(1, 1), page(2, 2)]);
        let order: Vec<(usize, Bson)> = dealt.into_iter().map(|d| (d.collection, d.id)).collect();
        assert_eq!(
            order,
            [(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (0, 2)]
                .map(|(c, id)| (c, Bson::Int32(id)))
                .to_vec()
        );
    }
}
