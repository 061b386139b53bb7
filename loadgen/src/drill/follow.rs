//! A live subscriber: follows one order's `GET /orders/:id/stream` until the order is final,
//! reconnecting with `Last-Event-ID` whenever the stream breaks, and keeps the event ids it
//! saw so the checks can tell whether it caught up without a gap or a repeat.

use std::time::Duration;

use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use reqwest::Method;
use serde_json::Value;
use tokio::{task::JoinHandle, time::Instant};

use super::api::{self, Account, Api};

/// A stream quiet for this long is taken for broken (the services send heartbeats).
const IDLE: Duration = Duration::from_secs(30);

/// What one subscriber saw.
#[derive(Debug, Clone, Default)]
pub struct Follow {
    /// The order.
    pub order: String,
    /// The id of the first snapshot (the order's version when the subscriber joined).
    pub joined_at: Option<i64>,
    /// The ids of the status changes, in arrival order.
    pub ids: Vec<i64>,
    /// The last status it learnt.
    pub status: Option<String>,
    /// Times the stream broke and was opened again.
    pub reconnects: u32,
    /// Whether the stream ended after a final status.
    pub finished: bool,
}

impl Follow {
    /// Checks against the order's final version: every change after joining, once, in
    /// order. `None` when it caught up.
    pub fn problem(&self, final_version: i64) -> Option<String> {
        let Some(joined) = self.joined_at else {
            return Some(format!("subscriber of {} never got a snapshot", self.order));
        };
        let expected: Vec<i64> = (joined + 1..=final_version).collect();
        if !self.finished || self.ids != expected {
            return Some(format!(
                "subscriber of {} ({} reconnects) saw changes {:?} after joining at {joined}, \
                 expected {expected:?}{}",
                self.order,
                self.reconnects,
                self.ids,
                if self.finished {
                    ""
                } else {
                    "; the stream never ended"
                },
            ));
        }
        None
    }

    /// One event.
    fn take(&mut self, kind: &str, id: Option<i64>, data: &str) {
        let Ok(json) = serde_json::from_str::<Value>(data) else {
            return;
        };
        match kind {
            // Only the first connection's snapshot carries an id; after a reconnect the
            // changes that follow it say what was missed.
            "snapshot" if self.joined_at.is_none() => {
                self.joined_at = id;
                self.status = json["order"]["status"].as_str().map(str::to_owned);
            }
            "order.status_changed" => {
                self.ids.extend(id);
                self.status = json["newStatus"].as_str().map(str::to_owned);
            }
            _ => {}
        }
    }
}

/// Follows `order` as `customer` until it is final or `deadline` passes.
pub fn follow(api: Api, customer: Account, order: String, deadline: Instant) -> JoinHandle<Follow> {
    tokio::spawn(async move {
        let mut seen = Follow {
            order,
            ..Follow::default()
        };
        while !seen.finished && Instant::now() < deadline {
            let last = seen.ids.last().copied().or(seen.joined_at);
            if read_once(&api, &customer, &mut seen, last).await.is_err() || !seen.finished {
                seen.reconnects += 1;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        seen
    })
}

/// One connection: reads events until the stream ends or breaks.
async fn read_once(
    api: &Api,
    customer: &Account,
    seen: &mut Follow,
    last: Option<i64>,
) -> anyhow::Result<()> {
    let last = last.map(|id| id.to_string());
    let headers: Vec<(&str, &str)> = last
        .as_deref()
        .map(|id| vec![("last-event-id", id)])
        .unwrap_or_default();
    let path = format!("/orders/{}/stream", seen.order);
    let request = api.request(Method::GET, &path, Some(customer), &headers);
    let response = tokio::time::timeout(api::TIMEOUT, request.send()).await??;
    let status = response.status().as_u16();
    if status == 401 {
        // A no-op error for a fixed token: the next connection tries again.
        let _ = api.sign_in(customer).await;
    }
    // 204: the order is final and every change was seen already (an EventSource stops here).
    if status == 204 && seen.status.as_deref().is_some_and(api::is_final) {
        seen.finished = true;
        return Ok(());
    }
    let is_stream = response
        .headers()
        .get("content-type")
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if status != 200 || !is_stream {
        anyhow::bail!("status {status}");
    }
    let mut events = response.bytes_stream().eventsource();
    loop {
        match tokio::time::timeout(IDLE, events.next()).await {
            Ok(Some(Ok(event))) => seen.take(&event.event, event.id.parse().ok(), &event.data),
            Ok(None) => {
                seen.finished = seen.status.as_deref().is_some_and(api::is_final);
                return Ok(());
            }
            Ok(Some(Err(error))) => anyhow::bail!("the stream broke: {error}"),
            Err(_) => anyhow::bail!("the stream was quiet for {} s", IDLE.as_secs()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(joined: Option<i64>, ids: &[i64], finished: bool) -> Follow {
        Follow {
            order: "o".to_owned(),
            joined_at: joined,
            ids: ids.to_vec(),
            finished,
            ..Follow::default()
        }
    }

    #[test]
    fn a_subscriber_that_saw_every_change_after_joining_once_caught_up() {
        assert_eq!(seen(Some(1), &[2, 3], true).problem(3), None);
        assert_eq!(seen(Some(3), &[], true).problem(3), None);
    }

    #[test]
    fn a_gap_a_repeat_an_open_stream_or_no_snapshot_is_a_problem() {
        assert!(seen(Some(1), &[3], true).problem(3).is_some());
        assert!(seen(Some(1), &[2, 2, 3], true).problem(3).is_some());
        assert!(seen(Some(1), &[2, 3], false).problem(3).is_some());
        assert!(seen(None, &[2, 3], true).problem(3).is_some());
    }

    #[test]
    fn events_update_what_the_subscriber_knows() {
        let mut follow = seen(None, &[], false);
        follow.take("snapshot", Some(1), r#"{"order":{"status":"PROCESSING"}}"#);
        // A reconnect's snapshot has no id and does not move the joining point.
        follow.take("snapshot", None, r#"{"order":{"status":"SHIPPED"}}"#);
        follow.take(
            "order.status_changed",
            Some(2),
            r#"{"newStatus":"SHIPPED"}"#,
        );
        assert_eq!(follow.joined_at, Some(1));
        assert_eq!(follow.ids, [2]);
        assert_eq!(follow.status.as_deref(), Some("SHIPPED"));
    }
}
