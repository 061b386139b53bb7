//! The support queue in MongoDB: `support_conversations` (one document per chat session:
//! `{_id: sessionId, customerId, customerName, status, reason, agentId, agentName, queuedAt,
//! updatedAt, lastMessage, leaseId, leaseUntil}`) and `support_messages` (the transcript, one document per message:
//! `{_id, sessionId, role, content, agent, at}`). Messages are inserts of their own rather than
//! a `$push` into the conversation: a transcript has no size limit that way, and no array
//! operator is needed (the stand-in's `$addToSet` on a missing field does nothing; `$push`
//! would be the next such gap). Dates written by `$set` come back from the stand-in as text,
//! so they are read with `shared::store::compat::date`, and the queue sorts on a number. A
//! person's lease on a conversation is in `lease`.

use bson::{Bson, Document, doc};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::{Collection, Database, options::FindOptions};
use serde::{Deserialize, Serialize};
use shared::{
    ApiError,
    api::support::{Conversation, Message, QueueEntry, Status},
};

mod lease;

pub use lease::{claim, is_active, release, renew, requeue_expired};

/// One document per escalated chat session.
pub const CONVERSATIONS: &str = "support_conversations";
/// One document per message of a support transcript.
pub const MESSAGES: &str = "support_messages";

/// A conversation as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The chat session (the document's `_id`).
    #[serde(rename = "_id")]
    pub session_id: String,
    /// The customer; `None` for an anonymous chat.
    pub customer_id: Option<String>,
    /// Their name, when known.
    pub customer_name: Option<String>,
    /// `WAITING`, `ACTIVE` or `CLOSED`.
    pub status: Status,
    /// Why it was escalated.
    pub reason: String,
    /// The admin holding it (the last one, once closed).
    pub agent_id: Option<String>,
    /// Their name.
    pub agent_name: Option<String>,
    /// When it entered the queue.
    #[serde(
        serialize_with = "bson::serde_helpers::chrono_datetime_as_bson_datetime::serialize",
        deserialize_with = "shared::store::compat::date"
    )]
    pub queued_at: DateTime<Utc>,
    /// Its last change.
    #[serde(
        serialize_with = "bson::serde_helpers::chrono_datetime_as_bson_datetime::serialize",
        deserialize_with = "shared::store::compat::date"
    )]
    pub updated_at: DateTime<Utc>,
    /// `queuedAt` in epoch milliseconds: the queue's order. A number, because the stand-in
    /// stores a date written by `$set` (a hand-back put back in the queue) as text, which would
    /// sort apart from the dates written by inserts.
    pub queued_ms: i64,
    /// The last message, for the queue's preview.
    pub last_message: Option<Stored>,
}

/// A message as stored (in `support_messages`, and as `lastMessage`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stored {
    /// `customer`, `assistant` or `agent`.
    pub role: String,
    /// What was said.
    pub content: String,
    /// The agent's name, on theirs.
    pub agent: Option<String>,
    /// When.
    #[serde(
        serialize_with = "bson::serde_helpers::chrono_datetime_as_bson_datetime::serialize",
        deserialize_with = "shared::store::compat::date"
    )]
    pub at: DateTime<Utc>,
}

impl From<Stored> for Message {
    fn from(m: Stored) -> Self {
        Self {
            role: m.role,
            content: m.content,
            agent: m.agent,
            at: m.at,
        }
    }
}

impl From<Record> for QueueEntry {
    fn from(r: Record) -> Self {
        Self {
            session_id: r.session_id,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            status: r.status,
            reason: r.reason,
            agent_id: r.agent_id,
            agent_name: r.agent_name,
            queued_at: r.queued_at,
            updated_at: r.updated_at,
            last_message: r.last_message.map(Message::from),
        }
    }
}

fn conversations(db: &Database) -> Collection<Record> {
    db.collection(CONVERSATIONS)
}

fn messages(db: &Database) -> Collection<Document> {
    db.collection(MESSAGES)
}

fn stored_doc(session_id: &str, m: &Stored) -> Result<Document, ApiError> {
    let mut d = bson::to_document(m).map_err(ApiError::internal)?;
    d.insert("_id", uuid::Uuid::now_v7().to_string());
    d.insert("sessionId", session_id);
    Ok(d)
}

/// The conversation of `session_id`.
pub async fn find(db: &Database, session_id: &str) -> Result<Option<Record>, ApiError> {
    Ok(conversations(db)
        .find_one(doc! { "_id": session_id })
        .await?)
}

/// Inserts a new `WAITING` conversation with `transcript`; `false` when one exists already.
/// The messages go first, so a conversation is never seen without them; when the
/// conversation turns out to exist, they are taken back (best effort), so the one that
/// exists does not show them twice.
pub async fn insert(
    db: &Database,
    record: &Record,
    transcript: &[Stored],
) -> Result<bool, ApiError> {
    let added = add_messages(db, &record.session_id, transcript).await?;
    match conversations(db).insert_one(record).await {
        Ok(_) => Ok(true),
        Err(e) if shared::store::is_duplicate_key(&e) => {
            if let Err(e) = messages(db)
                .delete_many(doc! { "_id": { "$in": added } })
                .await
            {
                tracing::warn!(error = %e, "a transcript's lines were added twice");
            }
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Puts a `CLOSED` conversation back in the queue; `false` when it was not closed.
pub async fn reopen(
    db: &Database,
    session_id: &str,
    reason: &str,
    transcript: &[Stored],
) -> Result<bool, ApiError> {
    add_messages(db, session_id, transcript).await?;
    let now = bson::DateTime::now();
    let mut set = doc! {
        "status": Status::Waiting.as_str(),
        "reason": reason,
        "queuedAt": now,
        "queuedMs": now.timestamp_millis(),
        "updatedAt": now,
    };
    if let Some(last) = transcript.last() {
        set.insert(
            "lastMessage",
            bson::to_document(last).map_err(ApiError::internal)?,
        );
    }
    let done = conversations(db)
        .update_one(
            doc! { "_id": session_id, "status": Status::Closed.as_str() },
            doc! { "$set": set },
        )
        .await?;
    Ok(done.matched_count == 1)
}

/// Adds `transcript` to the messages of `session_id`; their ids.
async fn add_messages(
    db: &Database,
    session_id: &str,
    transcript: &[Stored],
) -> Result<Vec<Bson>, ApiError> {
    if transcript.is_empty() {
        return Ok(Vec::new());
    }
    let docs = transcript
        .iter()
        .map(|m| stored_doc(session_id, m))
        .collect::<Result<Vec<_>, _>>()?;
    let ids = docs.iter().filter_map(|d| d.get("_id").cloned()).collect();
    messages(db).insert_many(docs).await?;
    Ok(ids)
}

/// Adds one message to the transcript and shows it as the conversation's last.
pub async fn append(db: &Database, session_id: &str, message: &Stored) -> Result<(), ApiError> {
    add_messages(db, session_id, std::slice::from_ref(message)).await?;
    let last = bson::to_document(message).map_err(ApiError::internal)?;
    conversations(db)
        .update_one(
            doc! { "_id": session_id },
            doc! { "$set": { "lastMessage": last, "updatedAt": bson::DateTime::now() } },
        )
        .await?;
    Ok(())
}

/// One page of the waiting and active conversations, oldest in the queue first, and how many
/// there are.
pub async fn queue(
    db: &Database,
    page: u64,
    limit: u64,
) -> Result<(Vec<QueueEntry>, u64), ApiError> {
    let filter = doc! { "status": { "$in": [Status::Waiting.as_str(), Status::Active.as_str()] } };
    let options = FindOptions::builder()
        .sort(doc! { "queuedMs": 1, "_id": 1 })
        .skip(page.saturating_sub(1).saturating_mul(limit))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .build();
    let records: Vec<Record> = conversations(db)
        .find(filter.clone())
        .with_options(options)
        .await?
        .try_collect()
        .await?;
    let total = conversations(db).count_documents(filter).await?;
    Ok((records.into_iter().map(QueueEntry::from).collect(), total))
}

/// The conversation of `session_id` with its transcript, oldest message first.
pub async fn conversation(
    db: &Database,
    session_id: &str,
) -> Result<Option<Conversation>, ApiError> {
    let Some(record) = find(db, session_id).await? else {
        return Ok(None);
    };
    let options = FindOptions::builder()
        .sort(doc! { "at": 1, "_id": 1 })
        .build();
    let docs: Vec<Document> = messages(db)
        .find(doc! { "sessionId": session_id })
        .with_options(options)
        .await?
        .try_collect()
        .await?;
    let transcript = docs
        .into_iter()
        .filter_map(|d| bson::from_document::<Stored>(d).ok())
        .map(Message::from)
        .collect();
    Ok(Some(Conversation::new(record.into(), transcript)))
}

/// Removes every support conversation of `customer_id` with its messages (`customer.erased`);
/// how many conversations. Safe to repeat.
pub async fn forget_customer(db: &Database, customer_id: &str) -> Result<u64, ApiError> {
    let conversations = db.collection::<Document>(CONVERSATIONS);
    let theirs: Vec<Document> = conversations
        .find(doc! { "customerId": customer_id })
        .projection(doc! { "_id": 1 })
        .await?
        .try_collect()
        .await?;
    let ids: Vec<&str> = theirs
        .iter()
        .filter_map(|d| d.get_str("_id").ok())
        .collect();
    if !ids.is_empty() {
        db.collection::<Document>(MESSAGES)
            .delete_many(doc! { "sessionId": { "$in": ids } })
            .await?;
    }
    let removed = conversations
        .delete_many(doc! { "customerId": customer_id })
        .await?;
    Ok(removed.deleted_count)
}

/// The indexes of the queue and the transcripts.
pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let queue = mongodb::IndexModel::builder()
        .keys(doc! { "status": 1, "queuedMs": 1 })
        .build();
    db.collection::<Document>(CONVERSATIONS)
        .create_index(queue)
        .await?;
    let leases = mongodb::IndexModel::builder()
        .keys(doc! { "status": 1, "leaseUntil": 1 })
        .build();
    db.collection::<Document>(CONVERSATIONS)
        .create_index(leases)
        .await?;
    let transcript = mongodb::IndexModel::builder()
        .keys(doc! { "sessionId": 1, "at": 1 })
        .build();
    messages(db).create_index(transcript).await.map(drop)
}
