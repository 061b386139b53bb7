//! The fast lane's parsing and writing of heads, and the chunked-body follower.

use bytes::BytesMut;

use super::*;

fn peer() -> std::net::SocketAddr {
    "127.0.0.1:5000".parse().unwrap()
}

fn parse(text: &str) -> Parsed {
    parse_request(text.as_bytes(), None)
}

#[test]
fn a_plain_get_is_taken_with_what_the_door_and_the_service_need() {
    let text = "GET /api/products/1?x=2 HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\
                Authorization: Bearer t\r\nX-User-Id: forged\r\nX-Request-Id: r1\r\n\
                Keep-Alive: 5\r\nX-Forwarded-For: 10.0.0.1\r\n\r\nGET";
    let Parsed::Complete(head) = parse(text) else {
        panic!("not taken")
    };
    let part =
        |range: &Option<Range<usize>>| range.as_ref().map(|r| super::text(text.as_bytes(), r));
    assert!(!head.close);
    assert_eq!(super::text(text.as_bytes(), &head.path), "/api/products/1");
    assert_eq!(part(&head.query), Some("x=2"));
    assert_eq!(part(&head.authorization), Some("Bearer t"));
    assert_eq!(part(&head.request_id), Some("r1"));
    assert_eq!(part(&head.forwarded_for), Some("10.0.0.1"));
    assert_eq!(
        String::from_utf8_lossy(&head.lines),
        "X-A: b\r\nAuthorization: Bearer t\r\n"
    );
    assert_eq!(head.len, text.len() - 3);
}

#[test]
fn a_json_body_of_one_plain_length_is_taken_and_its_content_type_passed_on() {
    let text = "PUT /api/products/1 HTTP/1.1\r\nHost: a\r\n\
                Content-Type: application/json; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}";
    let Parsed::Complete(head) = parse(text) else {
        panic!("not taken")
    };
    assert_eq!((head.method, head.body), (Method::PUT, 2));
    assert_eq!(head.len, text.len() - 2);
    let content_type = head
        .content_type
        .as_ref()
        .map(|r| super::text(text.as_bytes(), r));
    assert_eq!(content_type, Some("application/json; charset=utf-8"));
    assert_eq!(
        String::from_utf8_lossy(&head.lines),
        "Content-Type: application/json; charset=utf-8\r\n"
    );
    // No body at all (a POST that carries none): taken, with nothing to read after the head.
    let Parsed::Complete(head) = parse("POST /api/orders/1/cancel HTTP/1.1\r\n\r\n") else {
        panic!("not taken")
    };
    assert_eq!(head.body, 0);
}

#[test]
fn bodies_the_lane_does_not_take_are_declined() {
    let json = "content-type: application/json";
    for text in [
        format!(
            "POST /api/orders HTTP/1.1\r\n{json}\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n{{}}"
        ),
        format!("POST /api/orders HTTP/1.1\r\n{json}\r\ncontent-length: +2\r\n\r\n{{}}"),
        format!("POST /api/orders HTTP/1.1\r\n{json}\r\ncontent-length: 2, 2\r\n\r\n{{}}"),
        format!(
            "POST /api/orders HTTP/1.1\r\n{json}\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n"
        ),
        format!(
            "POST /api/orders HTTP/1.1\r\n{json}\r\ncontent-length: {}\r\n\r\n",
            MAX_BODY + 1
        ),
        format!(
            "POST /api/orders HTTP/1.1\r\n{json}\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n"
        ),
        "POST /api/orders HTTP/1.1\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\n{}"
            .to_owned(),
        format!("POST /api/auth/logout HTTP/1.1\r\n{json}\r\ncontent-length: 2\r\n\r\n{{}}"),
        "POST /api/auth/logout/ HTTP/1.1\r\n\r\n".to_owned(),
        format!("DELETE /api/orders/1 HTTP/1.1\r\n{json}\r\ncontent-length: 2\r\n\r\n{{}}"),
        "OPTIONS /api/orders HTTP/1.1\r\n\r\n".to_owned(),
    ] {
        assert!(matches!(parse(&text), Parsed::Declined), "{text}");
    }
}

#[test]
fn the_upstream_head_of_a_body_carries_its_length_then_the_body() {
    let head = RequestHead {
        method: &Method::POST,
        target: Target {
            base_path: "",
            path: "/orders",
            query: None,
        },
        authority: "svc:1",
        lines: b"content-type: application/json\r\n",
        request_id: b"r1",
        trace: (None, None),
        forwarded_for: None,
        client: None,
        user: None,
        body: Some(b"{}"),
    };
    assert_eq!(
        String::from_utf8(head.write()).unwrap(),
        "POST /orders HTTP/1.1\r\nhost: svc:1\r\ncontent-type: application/json\r\n\
         x-request-id: r1\r\ncontent-length: 2\r\n\r\n{}"
    );
}

#[test]
fn the_trusted_proxy_header_is_read_only_when_configured() {
    let text = "GET /api/p HTTP/1.1\r\nX-Real-Ip: 10.1.1.1\r\n\r\n";
    let name = HeaderName::from_static("x-real-ip");
    let Parsed::Complete(head) = parse_request(text.as_bytes(), Some(&name)) else {
        panic!("not taken")
    };
    let value = head.proxy_header.map(|r| super::text(text.as_bytes(), &r));
    assert_eq!(value, Some("10.1.1.1"));
    let Parsed::Complete(head) = parse(text) else {
        panic!("not taken")
    };
    assert_eq!(head.proxy_header, None);
}

#[test]
fn what_the_fast_lane_does_not_serve_is_declined() {
    for text in [
        "POST /api/orders HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}",
        "GET /api/products HTTP/1.0\r\n\r\n",
        "GET /api/health HTTP/1.1\r\n\r\n",
        "GET /api/ws/orders/1 HTTP/1.1\r\n\r\n",
        "GET /api/docs HTTP/1.1\r\n\r\n",
        "GET /health HTTP/1.1\r\n\r\n",
        "GET /api/products HTTP/1.1\r\norigin: http://shop\r\n\r\n",
        "GET /api/products HTTP/1.1\r\nconnection: upgrade\r\n\r\n",
        "DELETE /api/x HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
        "GET /api/products HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n",
        "GET http://x/api/products HTTP/1.1\r\n\r\n",
        "GET /api/products HTTP/1.1\r\nbad header\r\n\r\n",
        "GET /api/products/{x} HTTP/1.1\r\n\r\n",
        "GET /api/products?q=\"x\" HTTP/1.1\r\n\r\n",
    ] {
        assert!(matches!(parse(text), Parsed::Declined), "{text}");
    }
}

#[test]
fn special_headers_are_found_whatever_their_case_and_only_they() {
    for (name, special) in [
        ("Transfer-Encoding", Special::Decline),
        ("ORIGIN", Special::Decline),
        ("Expect", Special::Decline),
        ("upgrade", Special::Decline),
        ("Content-Length", Special::ContentLength),
        ("Connection", Special::Connection),
        ("Host", Special::Host),
        ("Authorization", Special::Authorization),
        ("X-Request-Id", Special::RequestId),
        ("X-Forwarded-For", Special::ForwardedFor),
        ("X-User-Id", Special::Dropped),
        ("x-user-role", Special::Dropped),
        ("Keep-Alive", Special::Dropped),
        ("TE", Special::Dropped),
        ("Trailer", Special::Dropped),
        ("Proxy-Authorization", Special::Dropped),
        ("Proxy-Authenticate", Special::Dropped),
    ] {
        assert_eq!(Special::of(name), Some(special), "{name}");
    }
    for name in ["accept", "x-user", "cookie", "x-request-ie", "user-agent"] {
        assert_eq!(Special::of(name), None, "{name}");
    }
}

#[test]
fn a_partial_head_waits_and_connection_close_is_noticed() {
    assert!(matches!(
        parse("GET /api/products HTTP/1.1\r\nho"),
        Parsed::Partial
    ));
    let parsed = parse("GET /api/p HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n");
    assert!(matches!(parsed, Parsed::Complete(Head { close: true, .. })));
}

#[test]
fn the_upstream_head_has_the_target_host_lines_and_the_gateways_headers() {
    let mut head = RequestHead {
        method: &Method::GET,
        target: Target {
            base_path: "/base",
            path: "/products/1",
            query: Some("q=2"),
        },
        authority: "svc:80",
        lines: b"x-a: 1\r\n",
        request_id: b"r1",
        trace: (None, None),
        forwarded_for: Some(b"10.0.0.1"),
        client: Some(peer().ip()),
        user: Some(("u1", "admin")),
        body: None,
    };
    assert_eq!(
        String::from_utf8(head.write()).unwrap(),
        "GET /base/products/1?q=2 HTTP/1.1\r\nhost: svc:80\r\nx-a: 1\r\nx-request-id: r1\r\n\
         x-forwarded-for: 10.0.0.1, 127.0.0.1\r\nx-user-id: u1\r\nx-user-role: admin\r\n\r\n"
    );
    head.forwarded_for = None;
    head.user = None;
    assert!(
        String::from_utf8(head.write())
            .unwrap()
            .ends_with("\r\nx-request-id: r1\r\nx-forwarded-for: 127.0.0.1\r\n\r\n")
    );
    head.trace = (Some(b"00-a-b-01"), Some(b"v=1"));
    assert!(
        String::from_utf8(head.write())
            .unwrap()
            .contains("\r\nx-request-id: r1\r\ntraceparent: 00-a-b-01\r\ntracestate: v=1\r\n")
    );
}

#[test]
fn the_trace_context_is_taken_out_of_the_lines_to_be_written_apart() {
    let text = "GET /api/p HTTP/1.1\r\nTraceparent: 00-x-y-01\r\ntracestate: v=1\r\nx-a: 1\r\n\r\n";
    let Parsed::Complete(head) = parse(text) else {
        panic!("taken by the lane")
    };
    let frame = text.as_bytes();
    assert_eq!(text_of(frame, head.traceparent.as_ref()), "00-x-y-01");
    assert_eq!(text_of(frame, head.tracestate.as_ref()), "v=1");
    assert_eq!(head.lines, b"x-a: 1\r\n");
}

fn text_of<'a>(frame: &'a [u8], range: Option<&std::ops::Range<usize>>) -> &'a str {
    range.map_or("", |r| super::text(frame, r))
}

#[test]
fn a_response_head_keeps_its_framing_and_drops_hop_by_hop_headers() {
    let mut buf = BytesMut::from(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\nKeep-Alive: x\r\nX-A: 1\r\n\r\nhello",
    );
    let watch = [
        HeaderName::from_static("x-b"),
        HeaderName::from_static("x-a"),
    ];
    let head = parse_response(&mut buf, &Method::GET, &watch)
        .unwrap()
        .unwrap();
    assert_eq!(head.framing, Framing::Length(5));
    assert!(!head.close);
    assert_eq!(head.seen, 0b10);
    assert!(!head.event_stream);
    assert_eq!(&head.lines[..], b"Content-Length: 5\r\nX-A: 1\r\n");
    assert_eq!(&buf[..], b"hello");
}

#[test]
fn a_response_drops_the_headers_its_connection_header_names_but_never_its_framing() {
    let mut buf = BytesMut::from(
        "HTTP/1.1 200 OK\r\nConnection: X-Hop, content-length\r\nContent-Length: 2\r\nX-Hop: secret\r\nX-A: 1\r\n\r\nok",
    );
    let head = parse_response(&mut buf, &Method::GET, &[])
        .unwrap()
        .unwrap();
    assert_eq!(head.framing, Framing::Length(2));
    assert_eq!(&head.lines[..], b"Content-Length: 2\r\nX-A: 1\r\n");
}

#[test]
fn response_framings_follow_rfc_9112() {
    let framing = |text: &str, method: &Method| {
        let mut buf = BytesMut::from(text);
        let head = parse_response(&mut buf, method, &[]).unwrap().unwrap();
        (head.framing, head.close)
    };
    let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n";
    assert_eq!(framing(chunked, &Method::GET), (Framing::Chunked, false));
    assert_eq!(framing(chunked, &Method::HEAD), (Framing::Empty, false));
    let none = "HTTP/1.1 200 OK\r\n\r\n";
    assert_eq!(framing(none, &Method::GET), (Framing::Close, true));
    let empty = "HTTP/1.1 204 No Content\r\n\r\n";
    assert_eq!(framing(empty, &Method::DELETE), (Framing::Empty, false));
    let closing = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(framing(closing, &Method::GET), (Framing::Length(0), true));
    let mut bad =
        BytesMut::from("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    assert!(parse_response(&mut bad, &Method::GET, &[]).is_err());
    let mut stream = BytesMut::from(
        "HTTP/1.1 200 OK\r\ncontent-type: Text/Event-Stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    let head = parse_response(&mut stream, &Method::GET, &[])
        .unwrap()
        .unwrap();
    assert!(head.event_stream);
}

#[test]
fn a_chunked_body_ends_after_its_last_chunk_and_trailers_however_it_is_split() {
    let body = b"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    let end = body.len() - 4;
    for split in 0..body.len() {
        let mut chunked = Chunked::default();
        let first = chunked.feed(&body[..split]).unwrap();
        let found = match first {
            Some(n) => n,
            None => split + chunked.feed(&body[split..]).unwrap().expect("ends"),
        };
        assert_eq!(found, end, "split at {split}");
    }
}

#[test]
fn a_body_that_is_not_chunked_coding_is_an_error() {
    assert!(Chunked::default().feed(b"zz\r\n").is_err());
    assert!(Chunked::default().feed(b"1\r\nab").is_err());
    assert!(Chunked::default().feed(b"fffffffffffffffff\r\n").is_err());
}

#[test]
fn a_value_is_valid_exactly_when_header_value_takes_it() {
    for value in [
        &b"65a1b2c3"[..],
        b"a\tb",
        b"caf\xc3\xa9",
        b"a\rb",
        b"a\nb",
        b"\x7f",
        b"\x00",
    ] {
        assert_eq!(
            valid_value(value),
            axum::http::HeaderValue::from_bytes(value).is_ok(),
            "{value:?}"
        );
    }
}
