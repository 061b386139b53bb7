//! `GET /orders/{id}/stream`: the order's changes as Server-Sent Events, for its owner or an
//! admin (404 for anyone else).
//!
//! The stream subscribes first, then reads the stored order, so nothing falls between the two:
//! a `snapshot` event comes first (its id the order's version), then one
//! `order.status_changed` event per change, with the history index as the SSE id. A client
//! that reconnects with `Last-Event-ID: n` gets the past before the present: a snapshot of the
//! order as it stood at `n` (without an id), then every change after `n` from the stored
//! history, oldest first, each carrying the order as it stood at its index, then the live
//! ones ([`super::resume`]). A final order whose history the client has seen to the end
//! answers 204, which tells an `EventSource` to stop reconnecting. Live changes are
//! deduplicated by index, and a change that skips indices is preceded by the missing ones from
//! the store. Comment lines (`: heartbeat`) keep an idle stream open; the stream ends after
//! `DELIVERED`, `CANCELLED` or `REJECTED`, at shutdown, when the client is dropped for reading
//! too slowly, or when a gap cannot be filled (the client resumes from its last id).

use std::{collections::VecDeque, convert::Infallible};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{Stream, StreamExt, stream};
use mongodb::Database;
use serde_json::Value;
use shared::{ApiError, auth::Caller, extract::ObjectIdPath};

use super::{
    Filter, Subscription, messages,
    resume::{self, Step},
};
use crate::{events::StatusChanged, state::AppState, store::orders};

fn event(kind: &str, data: &Value, id: Option<i64>) -> Event {
    let event = Event::default().event(kind).data(data.to_string());
    match id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}

/// A change rebuilt from the history, as an event with its index as id.
fn change_event(change: &StatusChanged) -> Event {
    event(
        messages::STATUS_CHANGED,
        &messages::status_changed(change),
        Some(change.index),
    )
}

/// The handler.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resume_after: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n >= 0);
    // Subscribe before reading, so that a change made in between is not missed.
    let subscription = state.hub.subscribe("sse", Filter::order(&id.to_hex()));
    let order = orders::by_id(state.infra.db(), id)
        .await?
        .filter(|o| caller.may_see(&o.customer_id))
        .ok_or_else(|| ApiError::NotFound("no such order".to_owned()))?;

    let first = match resume_after {
        Some(after) if after >= order.version && order.status.is_final() => {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        Some(after) if after <= order.version => {
            let snapshot = messages::snapshot_as_of(&order, after);
            let replayed = resume::replay(&order, after);
            std::iter::once(event(messages::SNAPSHOT, &snapshot, None))
                .chain(replayed.iter().map(change_event))
                .collect()
        }
        // No id, or one this order never had: the order as it stands.
        _ => vec![event(
            messages::SNAPSHOT,
            &messages::snapshot(&order),
            Some(order.version),
        )],
    };
    let live = if order.status.is_final() {
        stream::empty().boxed()
    } else {
        live_events(subscription, state.infra.db().clone(), order.version).boxed()
    };
    let cancel = state.cancel.clone();
    // A logout (or any revocation) of the token the stream was opened with ends it within a
    // heartbeat; the client's reconnect with that token is then refused.
    let verifier = state.infra.verifier.clone();
    let every = state.config.streams.heartbeat;
    let revoked = async move { verifier.until_revoked(&caller.claims, every).await };
    let events = stream::iter(first)
        .chain(live)
        .map(Ok::<_, Infallible>)
        .take_until(cancel.cancelled_owned())
        .take_until(revoked);
    Ok(Sse::new(events)
        .keep_alive(
            KeepAlive::new()
                .interval(state.config.streams.heartbeat)
                .text("heartbeat"),
        )
        .into_response())
}

/// Live changes after index `last`: deduplicated by index, a gap filled from the store,
/// ending after a final status or when the hub drops the subscriber.
fn live_events(
    subscription: Subscription,
    db: Database,
    last: i64,
) -> impl Stream<Item = Event> + use<> {
    struct Live {
        subscription: Subscription,
        db: Database,
        last: i64,
        done: bool,
        ready: VecDeque<Event>,
    }
    let start = Live {
        subscription,
        db,
        last,
        done: false,
        ready: VecDeque::new(),
    };
    stream::unfold(start, |mut live| async move {
        loop {
            if let Some(event) = live.ready.pop_front() {
                return Some((event, live));
            }
            if live.done {
                return None;
            }
            let change = live.subscription.rx.recv().await?;
            match resume::step(live.last, change.index) {
                Step::Seen => continue,
                Step::Next => {}
                Step::Gap => {
                    let missed =
                        resume::missed(&live.db, &change.order_id, live.last, change.index).await;
                    match missed {
                        Ok(missed) => live.ready.extend(missed.iter().map(change_event)),
                        Err(e) => {
                            // Ending is better than a gap: the client resumes from its last id.
                            tracing::warn!(error = %e, "cannot fill a gap in a live stream; ending it");
                            return None;
                        }
                    }
                }
            }
            live.last = change.index;
            live.done = change.new_status.is_final();
            live.ready.push_back(
                Event::default()
                    .event(messages::STATUS_CHANGED)
                    .data(change.message.as_str())
                    .id(change.index.to_string()),
            );
        }
    })
}
