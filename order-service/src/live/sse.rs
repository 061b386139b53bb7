//! `GET /orders/{id}/stream`: the order's changes as Server-Sent Events, for its owner or an
//! admin (404 for anyone else).
//!
//! The stream subscribes first, then reads the stored order, so nothing falls between the two:
//! a `snapshot` event comes first, then one `order.status_changed` event per change, with the
//! history index as the SSE id, deduplicated by that index. A client that reconnects with
//! `Last-Event-ID: n` gets the snapshot (without an id) and then every change after `n` from
//! the stored history before the live ones. Comment lines (`: heartbeat`) keep an idle stream
//! open; the stream ends after `DELIVERED`, `CANCELLED` or `REJECTED`, at shutdown, or when
//! the client is dropped for reading too slowly.

use std::convert::Infallible;

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt, stream};
use serde_json::Value;
use shared::{ApiError, auth::Caller, extract::ObjectIdPath};

use super::{Filter, Subscription, messages};
use crate::{domain::Order, state::AppState, store::orders};

fn event(kind: &str, data: &Value, id: Option<i64>) -> Event {
    let event = Event::default().event(kind).data(data.to_string());
    match id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}

/// The handler.
#[tracing::instrument(skip_all, fields(order.id = %id))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    ObjectIdPath(id): ObjectIdPath,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let resume_after: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    // Subscribe before reading, so that a change made in between is not missed.
    let subscription = state.hub.subscribe("sse", Filter::order(&id.to_hex()));
    let order = orders::by_id(state.infra.db(), id)
        .await?
        .filter(|o| caller.may_see(&o.customer_id))
        .ok_or_else(|| ApiError::NotFound("no such order".to_owned()))?;

    let mut first = Vec::new();
    match resume_after {
        Some(after) => {
            first.push(event(messages::SNAPSHOT, &messages::snapshot(&order), None));
            for (index, _) in order.history().into_iter().filter(|(i, _)| *i > after) {
                if let Some(change) = messages::from_history(&order, index) {
                    first.push(event(
                        messages::STATUS_CHANGED,
                        &messages::status_changed(&change),
                        Some(index),
                    ));
                }
            }
        }
        None => first.push(event(
            messages::SNAPSHOT,
            &messages::snapshot(&order),
            Some(order.version),
        )),
    }
    let live = if order.status.is_final() {
        stream::empty().boxed()
    } else {
        live_events(subscription, &order).boxed()
    };
    let cancel = state.cancel.clone();
    let events = stream::iter(first)
        .chain(live)
        .map(Ok)
        .take_until(cancel.cancelled_owned());
    Ok(Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(state.config.streams.heartbeat)
            .text("heartbeat"),
    ))
}

/// Live changes after the snapshot: deduplicated by history index, ending after a final status
/// or when the hub drops the subscriber.
fn live_events(subscription: Subscription, order: &Order) -> impl Stream<Item = Event> + use<> {
    struct Live {
        subscription: Subscription,
        last: i64,
        done: bool,
    }
    let start = Live {
        subscription,
        last: order.version,
        done: false,
    };
    stream::unfold(start, |mut live| async move {
        if live.done {
            return None;
        }
        loop {
            let change = live.subscription.rx.recv().await?;
            if change.index <= live.last {
                continue;
            }
            live.last = change.index;
            live.done = change.new_status.is_final();
            let out = Event::default()
                .event(messages::STATUS_CHANGED)
                .data(change.message.as_str())
                .id(change.index.to_string());
            return Some((out, live));
        }
    })
}
