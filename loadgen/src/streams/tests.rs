use super::*;

#[test]
fn urls_name_a_socket_address() {
    let addr = socket_addr("http://127.0.0.1:5001").expect("parsed");
    assert_eq!(addr, "127.0.0.1:5001".parse().expect("addr"));
    assert_eq!(
        socket_addr("http://127.0.0.1:80/api")
            .expect("parsed")
            .port(),
        80
    );
    assert!(socket_addr("https://127.0.0.1:1").is_err());
    assert!(socket_addr("http://localhost:1").is_err());
}

#[test]
fn sources_cycle_through_the_loopback_network() {
    assert_eq!(source(0), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
    assert_eq!(source(15), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 16)));
    assert_eq!(source(250), source(0));
}

#[test]
fn the_new_status_is_found_in_the_raw_message() {
    let data = r#"{"at":"x","index":3,"newStatus":"SHIPPED","oldStatus":"PROCESSING","order":{"status":"SHIPPED"}}"#;
    assert_eq!(new_status(data), Some("SHIPPED"));
    assert_eq!(new_status(r#"{"type":"snapshot"}"#), None);
}

#[test]
fn the_stored_time_is_that_of_the_latest_entry_with_the_status() {
    let order = json!({ "statusHistory": [
        { "index": 0, "status": "PENDING", "at": "2026-01-01T00:00:00.000Z" },
        { "index": 1, "status": "PROCESSING", "at": "2026-01-01T00:00:00.250Z" },
        { "index": 2, "status": "SHIPPED", "at": "2026-01-01T00:00:01.500Z" },
    ]});
    let shipped = stored_at(&order, "SHIPPED").expect("found");
    let pending = stored_at(&order, "PENDING").expect("found");
    assert_eq!(shipped - pending, 1500.0);
    assert_eq!(stored_at(&order, "DELIVERED"), None);
}
