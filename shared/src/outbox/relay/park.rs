//! Events that can never be published (unreadable, a name too long for AMQP, a publish that
//! panicked) are moved to [`PARKED`] with the reason, so that they cannot stall their
//! document or the relay, and announced as `outbox.parked`.

use bson::{Bson, Document, doc};
use mongodb::Collection;

use super::{FIELD, PARKED, Relay, remove_published};
use crate::events::Envelope;

impl Relay {
    /// Moves one event that can never be published out of the way, keeping it and the reason.
    pub(super) async fn park(
        &self,
        collection: &Collection<Document>,
        id: &Bson,
        key: &str,
        text: &str,
        reason: &str,
    ) -> Result<(), mongodb::error::Error> {
        tracing::error!(
            collection = collection.name(),
            %key,
            reason,
            "outbox event can never be published; parked in {PARKED}"
        );
        let mut record = doc! {
            "_id": format!("{}:{key}", collection.name()),
            "collection": collection.name(),
            "documentId": id.clone(),
            "key": key,
            "event": text,
            "reason": reason,
            "parkedAt": bson::DateTime::now(),
        };
        // Ops learn of it through an alert: a notice, pending in the parked record itself, goes
        // out through this relay with confirms and retries like any event. (Not for a notice
        // that could not go: that would park forever.)
        if collection.name() != PARKED {
            let notice = parked_notice(collection.name(), id, text, reason);
            if let Ok(pending) = super::super::initial(&[notice]) {
                record.extend(pending);
            }
        }
        match self
            .inner
            .db
            .collection::<Document>(PARKED)
            .insert_one(record)
            .await
        {
            Ok(_) => {}
            // Parked already by another relay, or by this one before a failed removal.
            Err(e) if crate::store::is_duplicate_key(&e) => {}
            Err(e) => return Err(e),
        }
        remove_published(collection, id, &[format!("{FIELD}.{key}")]).await?;
        // Its notice goes out with the next pass, not the next poll.
        self.inner.nudge.nudge_collection(PARKED);
        metrics::counter!("outbox_parked_total", "collection" => collection.name().to_owned())
            .increment(1);
        Ok(())
    }
}

/// The `outbox.parked` event telling of a parked event (whose text may not even be readable).
fn parked_notice(collection: &str, id: &Bson, text: &str, reason: &str) -> Envelope {
    let original: Option<Envelope> = serde_json::from_str(text).ok();
    let source = original.as_ref().map_or("outbox", |e| e.source.as_str());
    let correlation = original
        .as_ref()
        .map(|e| e.correlation_id.clone())
        .unwrap_or_default();
    Envelope::new(
        crate::events::keys::OUTBOX_PARKED,
        source,
        correlation,
        serde_json::json!({
            "collection": collection,
            "documentId": match id {
                Bson::ObjectId(oid) => oid.to_hex(),
                Bson::String(s) => s.clone(),
                other => other.to_string(),
            },
            "eventType": original.as_ref().map(|e| e.kind.clone()),
            "eventId": original.as_ref().map(|e| e.id.to_string()),
            "reason": reason,
        }),
    )
}
