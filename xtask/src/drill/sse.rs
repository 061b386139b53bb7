//! A live subscriber: follows one order's `GET /api/orders/:id/stream` until the order is
//! final, reconnecting with `Last-Event-ID` whenever the stream breaks, and keeps the event
//! ids it saw so the checks can tell whether it caught up without a gap or a repeat.

use std::{
    io::{BufRead as _, BufReader},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use super::api::{self, Account, Api};
use crate::json::Json;

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
}

/// Follows `order` as `customer` until it is final or `deadline` passes.
pub fn follow(api: Api, customer: Account, order: String, deadline: Instant) -> JoinHandle<Follow> {
    std::thread::spawn(move || {
        let mut seen = Follow {
            order,
            ..Follow::default()
        };
        while !seen.finished && Instant::now() < deadline {
            let last = seen.ids.last().copied().or(seen.joined_at);
            if read_once(&api, &customer, &mut seen, last).is_err() || !seen.finished {
                seen.reconnects += 1;
                std::thread::sleep(Duration::from_millis(300));
            }
        }
        seen
    })
}

/// One connection: reads events until the stream ends or breaks.
fn read_once(
    api: &Api,
    customer: &Account,
    seen: &mut Follow,
    last: Option<i64>,
) -> std::io::Result<()> {
    let last = last.map(|id| id.to_string());
    let headers: Vec<(&str, &str)> = last
        .as_deref()
        .map(|id| vec![("Last-Event-ID", id)])
        .unwrap_or_default();
    let path = format!("/orders/{}/stream", seen.order);
    let stream = api
        .request("GET", &path, Some(customer), None, &headers)
        .open(api::TIMEOUT, IDLE)?;
    let is_stream = stream
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if stream.status == 401 {
        api.sign_in(customer).map_err(std::io::Error::other)?;
    }
    // 204: the order is final and every change was seen already (an EventSource stops here).
    if stream.status == 204 && seen.status.as_deref().is_some_and(api::is_final) {
        seen.finished = true;
        return Ok(());
    }
    if stream.status != 200 || !is_stream {
        return Err(std::io::Error::other(format!("status {}", stream.status)));
    }
    let mut reader = BufReader::new(stream);
    let (mut kind, mut id, mut data) = (String::new(), None::<i64>, String::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            seen.finished = seen.status.as_deref().is_some_and(api::is_final);
            return Ok(());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !data.is_empty() {
                take(seen, &kind, id, &data);
            }
            (kind, id, data) = (String::new(), None, String::new());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => kind = value.to_owned(),
            "id" => id = value.trim().parse().ok(),
            "data" => data.push_str(value),
            _ => {}
        }
    }
}

/// One event.
fn take(seen: &mut Follow, kind: &str, id: Option<i64>, data: &str) {
    let Ok(json) = Json::parse(data) else {
        return;
    };
    match kind {
        // Only the first connection's snapshot carries an id; after a reconnect the changes
        // that follow it say what was missed.
        "snapshot" if seen.joined_at.is_none() => {
            seen.joined_at = id;
            seen.status = json
                .pointer(&["order", "status"])
                .and_then(Json::as_str)
                .map(str::to_owned);
        }
        "order.status_changed" => {
            if let Some(id) = id {
                seen.ids.push(id);
            }
            seen.status = json
                .get("newStatus")
                .and_then(Json::as_str)
                .map(str::to_owned);
        }
        _ => {}
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
        take(
            &mut follow,
            "snapshot",
            Some(1),
            r#"{"order":{"status":"PROCESSING"}}"#,
        );
        // A reconnect's snapshot has no id and does not move the joining point.
        take(
            &mut follow,
            "snapshot",
            None,
            r#"{"order":{"status":"SHIPPED"}}"#,
        );
        take(
            &mut follow,
            "order.status_changed",
            Some(2),
            r#"{"newStatus":"SHIPPED"}"#,
        );
        assert_eq!(follow.joined_at, Some(1));
        assert_eq!(follow.ids, [2]);
        assert_eq!(follow.status.as_deref(), Some("SHIPPED"));
    }
}
