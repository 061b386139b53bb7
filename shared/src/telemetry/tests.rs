use std::sync::{Arc, Mutex};

use super::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn request_ids_are_accepted_only_when_short_and_plain() {
    assert!(is_acceptable_request_id(b"req-7"));
    assert!(is_acceptable_request_id(&[b'a'; MAX_REQUEST_ID_LEN]));
    assert!(!is_acceptable_request_id(&[b'a'; MAX_REQUEST_ID_LEN + 1]));
    assert!(!is_acceptable_request_id(b""));
    assert!(!is_acceptable_request_id(b"two words"));
    assert!(!is_acceptable_request_id(b"tab\there"));
    assert!(!is_acceptable_request_id("caf\u{e9}".as_bytes()));
}

#[test]
fn truncation_counts_characters_not_bytes() {
    assert_eq!(truncated("\u{e9}\u{e9}\u{e9}", 2), "\u{e9}\u{e9}");
    assert_eq!(truncated("ab", 5), "ab");
}

#[test]
fn log_lines_are_json_with_the_service_and_the_request_id() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber =
        tracing_subscriber::registry().with(json_layer("order-service", move || sink.clone()));

    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("http", request_id = "req-7", route = "/orders/{id}");
        let _entered = span.enter();
        tracing::info!(status = 201, "response");
    });

    let bytes = captured.0.lock().unwrap().clone();
    let line: serde_json::Value = serde_json::from_slice(bytes.trim_ascii()).unwrap();
    assert_eq!(line["service"], "order-service");
    assert_eq!(line["message"], "response");
    assert_eq!(line["status"], 201);
    assert_eq!(line["span"]["request_id"], "req-7");
    assert_eq!(line["level"], "INFO");
}
