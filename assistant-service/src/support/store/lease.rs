//! Who holds a conversation: a person's lease on it, claimed with one conditional update,
//! renewed while it runs, released, and put back in the queue by a sweep once it ran out.

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::Database;
use shared::{ApiError, api::support::Status};

use super::{CONVERSATIONS, conversations};

/// Whether a person holds `session_id` now: `ACTIVE` under a lease that has not run out.
pub async fn is_active(db: &Database, session_id: &str, now_ms: i64) -> Result<bool, ApiError> {
    let found = conversations(db)
        .find_one(doc! {
            "_id": session_id,
            "status": Status::Active.as_str(),
            "leaseUntil": { "$gt": now_ms },
        })
        .await?;
    Ok(found.is_some())
}

/// A conversation nobody holds at `now_ms`: waiting, closed, or `ACTIVE` under a lease that
/// ran out (its holder's replica died) or that was never taken (written before leases).
fn free(now_ms: i64) -> Document {
    doc! { "$or": [
        { "status": { "$in": [Status::Waiting.as_str(), Status::Closed.as_str()] } },
        { "status": Status::Active.as_str(), "leaseUntil": { "$lte": now_ms } },
        { "status": Status::Active.as_str(), "leaseUntil": { "$exists": false } },
    ] }
}

/// Marks the conversation `ACTIVE` for `agent_id` under the lease `lease_id` until
/// `until_ms`, if nobody holds it: one conditional update, so two agents (on any replicas)
/// cannot both win. `false` when it is held already or absent.
pub async fn claim(
    db: &Database,
    session_id: &str,
    agent_id: &str,
    agent_name: &str,
    lease_id: &str,
    (now_ms, until_ms): (i64, i64),
) -> Result<bool, ApiError> {
    let mut filter = free(now_ms);
    filter.insert("_id", session_id);
    let done = conversations(db)
        .update_one(
            filter,
            doc! { "$set": {
                "status": Status::Active.as_str(),
                "agentId": agent_id,
                "agentName": agent_name,
                "leaseId": lease_id,
                "leaseUntil": until_ms,
                "updatedAt": bson::DateTime::now(),
            } },
        )
        .await?;
    Ok(done.matched_count == 1)
}

/// Extends the lease `lease_id` on `session_id` to `until_ms`, if it is still running at
/// `now_ms`; `false` when it is not: it ran out (the assistant has been answering since, and a
/// sweep puts the conversation back in the queue, if one has not already, maybe to another
/// agent by now). A lease is never revived, so its end is the same on every replica.
pub async fn renew(
    db: &Database,
    session_id: &str,
    lease_id: &str,
    (now_ms, until_ms): (i64, i64),
) -> Result<bool, ApiError> {
    let done = conversations(db)
        .update_one(
            doc! {
                "_id": session_id,
                "status": Status::Active.as_str(),
                "leaseId": lease_id,
                "leaseUntil": { "$gt": now_ms },
            },
            doc! { "$set": { "leaseUntil": until_ms } },
        )
        .await?;
    Ok(done.matched_count == 1)
}

/// Ends the lease `lease_id` on `session_id`, the conversation becoming `to` (`CLOSED`: handed
/// back; `WAITING`: back in the queue, keeping its place); `true` when that lease held it.
pub async fn release(
    db: &Database,
    session_id: &str,
    lease_id: &str,
    to: Status,
) -> Result<bool, ApiError> {
    let done = conversations(db)
        .update_one(
            doc! { "_id": session_id, "status": Status::Active.as_str(), "leaseId": lease_id },
            doc! {
                "$set": { "status": to.as_str(), "updatedAt": bson::DateTime::now() },
                "$unset": { "leaseId": "", "leaseUntil": "" },
            },
        )
        .await?;
    Ok(done.matched_count == 1)
}

/// The conversations whose lease ran out by `now_ms`, each put back in the queue (`WAITING`)
/// with one conditional update on its lease, so of two replicas sweeping at once exactly one
/// requeues it; the sessions this call requeued.
pub async fn requeue_expired(db: &Database, now_ms: i64) -> Result<Vec<String>, ApiError> {
    let expired: Vec<Document> = db
        .collection::<Document>(CONVERSATIONS)
        .find(doc! { "status": Status::Active.as_str(), "leaseUntil": { "$lte": now_ms } })
        .projection(doc! { "_id": 1, "leaseId": 1 })
        .limit(100)
        .await?
        .try_collect()
        .await?;
    let mut requeued = Vec::new();
    for d in expired {
        let (Ok(session), Ok(lease)) = (d.get_str("_id"), d.get_str("leaseId")) else {
            continue;
        };
        if release(db, session, lease, Status::Waiting).await? {
            requeued.push(session.to_owned());
        }
    }
    Ok(requeued)
}
