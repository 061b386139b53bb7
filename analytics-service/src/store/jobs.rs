//! The rebuild's state, one document (`jobs`, `_id: "rebuild"`) that any replica can report:
//! `{state: running|done|failed, startedAt, finishedAt, heartbeatAt (ms), processed, total,
//! pages, error, requestedBy}`. Starting one is a claim: a running job whose heartbeat is
//! older than [`STALE_MS`] (its replica died) may be taken over.

use bson::{Document, doc};
use mongodb::Database;
use shared::api::reports::RebuildStatus;

use super::int;

const COLLECTION: &str = "jobs";
const ID: &str = "rebuild";
/// A running job silent for this long is taken to be dead.
pub const STALE_MS: i64 = 60_000;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn fresh(by: &str, now: i64) -> Document {
    doc! {
        "state": "running", "startedAt": now, "heartbeatAt": now, "finishedAt": null,
        "processed": 0i64, "total": null, "pages": 0i64, "error": null, "requestedBy": by,
    }
}

/// Claims the rebuild for `by`; `false` when one is running already.
pub async fn claim(db: &Database, by: &str) -> Result<bool, mongodb::error::Error> {
    let jobs = db.collection::<Document>(COLLECTION);
    let now = now_ms();
    let mut first = fresh(by, now);
    first.insert("_id", ID);
    match jobs.insert_one(first).await {
        Ok(_) => return Ok(true),
        Err(e) if shared::store::is_duplicate_key(&e) => {}
        Err(e) => return Err(e),
    }
    let finished = jobs
        .update_one(
            doc! { "_id": ID, "state": { "$in": ["done", "failed"] } },
            doc! { "$set": fresh(by, now) },
        )
        .await?;
    if finished.modified_count == 1 {
        return Ok(true);
    }
    let Some(current) = jobs.find_one(doc! { "_id": ID }).await? else {
        return Ok(false);
    };
    let heartbeat = int(&current, "heartbeatAt").unwrap_or(0);
    if now - heartbeat < STALE_MS {
        return Ok(false);
    }
    let taken = jobs
        .update_one(
            doc! { "_id": ID, "heartbeatAt": heartbeat },
            doc! { "$set": fresh(by, now) },
        )
        .await?;
    Ok(taken.modified_count == 1)
}

/// Records progress.
pub async fn progress(
    db: &Database,
    processed: i64,
    total: Option<i64>,
    pages: i64,
) -> Result<(), mongodb::error::Error> {
    db.collection::<Document>(COLLECTION)
        .update_one(
            doc! { "_id": ID },
            doc! { "$set": { "processed": processed, "total": total, "pages": pages, "heartbeatAt": now_ms() } },
        )
        .await?;
    Ok(())
}

/// Records the end: done, or failed with `error`.
pub async fn finish(db: &Database, error: Option<String>) -> Result<(), mongodb::error::Error> {
    let state = if error.is_some() { "failed" } else { "done" };
    db.collection::<Document>(COLLECTION)
        .update_one(
            doc! { "_id": ID },
            doc! { "$set": { "state": state, "error": error, "finishedAt": now_ms(), "heartbeatAt": now_ms() } },
        )
        .await?;
    Ok(())
}

/// The job as the API shows it: `{state, startedAt, finishedAt, processed, total, pages,
/// error}` (times RFC 3339); `state: "idle"` with nothing done when none ever ran.
pub async fn status(db: &Database) -> Result<RebuildStatus, mongodb::error::Error> {
    let Some(job) = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": ID })
        .await?
    else {
        return Ok(RebuildStatus {
            state: "idle".to_owned(),
            started_at: None,
            finished_at: None,
            processed: 0,
            total: None,
            pages: 0,
            error: None,
        });
    };
    let time = |field: &str| {
        int(&job, field)
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    };
    Ok(RebuildStatus {
        state: job.get_str("state").unwrap_or("unknown").to_owned(),
        started_at: time("startedAt"),
        finished_at: time("finishedAt"),
        processed: int(&job, "processed").unwrap_or(0),
        total: int(&job, "total"),
        pages: int(&job, "pages").unwrap_or(0),
        error: job.get_str("error").ok().map(str::to_owned),
    })
}
