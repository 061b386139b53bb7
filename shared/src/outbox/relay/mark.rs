//! Marking a pass's published events sent: one `update` command per collection and pass
//! (many statements, unordered), each statement removing one document's published events,
//! lowering its count and moving its due time. A statement is guarded by the events it
//! removes still being there, so an event another relay already removed is not counted off
//! twice; when a guard fails, those documents fall back to one guarded write per event.

use bson::{Bson, Document, doc};

use super::{
    super::{COUNT, DUE, now_millis, remove_published},
    Relay,
    publish::{End, Work},
};

/// Statements per `update` command at most (each is well under a kilobyte: the 16 MB limit of
/// a command stays far away).
const STATEMENTS: usize = 1_000;

/// One document's write: filter and update.
struct Statement<'a> {
    work: &'a Work,
    filter: Document,
    update: Document,
}

impl Relay {
    /// Writes the outcome of a pass's works, one command per collection (and thousand works).
    pub(super) async fn mark(&self, works: &[Work]) -> Result<(), mongodb::error::Error> {
        let now = now_millis();
        for index in 0..self.inner.collections.len() {
            let statements: Vec<Statement<'_>> = works
                .iter()
                .filter(|work| work.due.collection == index)
                .filter_map(|work| statement(work, now))
                .collect();
            for chunk in statements.chunks(STATEMENTS) {
                self.write(index, chunk).await?;
            }
        }
        Ok(())
    }

    async fn write(
        &self,
        index: usize,
        chunk: &[Statement<'_>],
    ) -> Result<(), mongodb::error::Error> {
        let collection = self.collection(index);
        let updates: Vec<Bson> = chunk
            .iter()
            .map(|s| Bson::Document(doc! { "q": s.filter.clone(), "u": s.update.clone() }))
            .collect();
        let reply = self
            .inner
            .db
            .run_command(doc! { "update": collection.name(), "updates": updates, "ordered": false })
            .await?;
        let matched = match reply.get("n") {
            Some(Bson::Int32(n)) => usize::try_from(*n).unwrap_or(0),
            Some(Bson::Int64(n)) => usize::try_from(*n).unwrap_or(0),
            Some(Bson::Double(n)) => *n as usize,
            _ => 0,
        };
        if matched == chunk.len() && !reply.contains_key("writeErrors") {
            return Ok(());
        }
        // Some guard failed (another relay removed an event first) or the document is gone:
        // every write of the chunk again, each event alone. Those already applied match nothing.
        for statement in chunk {
            let id = &statement.work.due.id;
            remove_published(&collection, id, &statement.work.published).await?;
            if let Some(due) = due_change(statement.work.end, now_millis()) {
                collection
                    .update_one(doc! { "_id": id.clone() }, due)
                    .await?;
            }
        }
        Ok(())
    }
}

/// The write for one document, if it needs one.
fn statement(work: &Work, now: i64) -> Option<Statement<'_>> {
    let mut filter = doc! { "_id": work.due.id.clone() };
    let mut update = due_change(work.end, now).unwrap_or_default();
    if !work.published.is_empty() {
        let mut unset = update.get_document("$unset").cloned().unwrap_or_default();
        for path in &work.published {
            filter.insert(path, doc! { "$exists": true });
            unset.insert(path, "");
        }
        update.insert("$unset", unset);
        let removed = i64::try_from(work.published.len()).unwrap_or(i64::MAX);
        update.insert("$inc", doc! { COUNT: -removed });
    }
    (!update.is_empty()).then_some(Statement {
        work,
        filter,
        update,
    })
}

/// How a document's due time changes after its part of a pass.
fn due_change(end: End, now: i64) -> Option<Document> {
    match end {
        // Nothing is due any more: the next event staged sets it afresh (a writer that staged
        // one meanwhile loses its time, and the document counts as due since forever: first).
        End::AllSent => Some(doc! { "$unset": { DUE: "" } }),
        // To the back of those due now.
        End::Quota => Some(doc! { "$set": { DUE: now } }),
        End::Refused(at) => Some(doc! { "$set": { DUE: at } }),
        End::Open | End::Stopped => None,
    }
}
