//! The gateway URL, what each answer means, and one real exchange over a loopback socket.

use std::{
    io::{BufRead as _, BufReader, Read as _, Write as _},
    net::TcpListener,
    thread,
};

use super::*;

fn gateway(host: &str, port: u16, prefix: &str) -> Gateway {
    Gateway {
        base: format!("http://{host}:{port}{prefix}"),
    }
}

#[test]
fn the_gateway_url_may_name_the_api_or_not() {
    let local = gateway("127.0.0.1", 5000, "");
    assert_eq!(Gateway::parse("http://127.0.0.1:5000"), Ok(local.clone()));
    assert_eq!(Gateway::parse("http://127.0.0.1:5000/"), Ok(local.clone()));
    assert_eq!(
        Gateway::parse("http://127.0.0.1:5000/api/"),
        Ok(local.clone())
    );
    assert_eq!(local.api_url(), "http://127.0.0.1:5000/api");
    assert_eq!(Gateway::parse(DEFAULT_GATEWAY), Ok(local.clone()));
    assert_eq!(Gateway::local(), local);

    let proxied = Gateway::parse("http://shop.internal/edge/api").expect("valid");
    assert_eq!(proxied, gateway("shop.internal", 80, "/edge"));
    assert_eq!(proxied.api_url(), "http://shop.internal:80/edge/api");
    assert_eq!(
        Gateway::parse("http://[::1]:5000").map(|g| g.api_url()),
        Ok("http://[::1]:5000/api".to_owned())
    );
}

#[test]
fn gateway_urls_we_cannot_use_are_refused_with_the_reason() {
    let https = Gateway::parse("https://shop.example.com").expect_err("no TLS");
    assert!(https.contains("only http://"), "{https}");
    for bad in [
        "127.0.0.1:5000",
        "http://",
        "http://host:port",
        "http://host/api?x=1",
        "http://user:pw@host",
    ] {
        assert!(Gateway::parse(bad).is_err(), "{bad} should be refused");
    }
}

#[test]
fn requests_go_under_the_api_prefix() {
    let request = gateway("h", 80, "/edge").request("GET", "/products?limit=1");
    assert_eq!(request.line(), "GET http://h:80/edge/api/products?limit=1");
}

#[test]
fn registration_is_created_on_201_existing_on_409_and_an_error_otherwise() {
    assert_eq!(
        registration(&Reply::new(201, "{}")).ok(),
        Some(Registration::Created)
    );
    let conflict = r#"{"success":false,"error":{"code":"CONFLICT","message":"email taken"}}"#;
    assert_eq!(
        registration(&Reply::new(409, conflict)).ok(),
        Some(Registration::Existing)
    );
    let invalid = r#"{"success":false,"error":{"code":"VALIDATION_ERROR",
        "message":"invalid fields: phone","details":{"phone":"must be a phone number"}}}"#;
    let error = registration(&Reply::new(400, invalid)).expect_err("400 is an error");
    assert_eq!(error.to_string(), "400: invalid fields: phone");
}

#[test]
fn a_product_is_created_only_on_201() {
    assert!(created(&Reply::new(201, r#"{"success":true,"data":{}}"#)).is_ok());
    let forbidden = r#"{"success":false,"error":{"code":"FORBIDDEN","message":"admins only"}}"#;
    let error = created(&Reply::new(403, forbidden)).expect_err("403");
    assert_eq!(error.to_string(), "403: admins only");
    // Not our envelope: the body itself is the message.
    let error = created(&Reply::new(404, "Not Found")).expect_err("404");
    assert_eq!(error.to_string(), "404: Not Found");
    let error = created(&Reply::new(500, "")).expect_err("500");
    assert_eq!(error.to_string(), "500: (empty body)");
}

#[test]
fn a_long_body_is_cut_in_messages() {
    let reply = Reply::new(502, &"é".repeat(500));
    assert_eq!(reply.message().chars().count(), 201);
}

#[test]
fn the_catalog_size_comes_from_meta_total() {
    let page = r#"{"success":true,"data":[{"name":"Mug"}],"meta":{"page":1,"limit":1,"total":25}}"#;
    assert_eq!(total(&Reply::new(200, page)).ok(), Some(25));
    let empty = r#"{"success":true,"data":[],"meta":{"page":1,"limit":1,"total":0}}"#;
    assert_eq!(total(&Reply::new(200, empty)).ok(), Some(0));
    assert!(total(&Reply::new(200, r#"{"success":true,"data":[]}"#)).is_err());
    assert!(total(&Reply::new(404, "")).is_err());
}

#[test]
fn the_access_token_comes_from_a_200_sign_in() {
    let body = r#"{"success":true,"data":{"accessToken":"a.b.c","refreshToken":"r",
        "expiresIn":900,"customer":{"email":"admin@example.com"}}}"#;
    assert_eq!(
        access_token(&Reply::new(200, body)).ok().as_deref(),
        Some("a.b.c")
    );
    let refused =
        r#"{"success":false,"error":{"code":"UNAUTHORIZED","message":"wrong email or password"}}"#;
    let error = access_token(&Reply::new(401, refused)).expect_err("401");
    assert_eq!(error.to_string(), "401: wrong email or password");
    assert!(access_token(&Reply::new(200, r#"{"success":true,"data":{}}"#)).is_err());
}

#[test]
fn only_429_and_503_are_retried_after_the_time_they_ask_for() {
    let mut busy = Reply::new(429, "");
    busy.retry_after = Some("7".to_owned());
    assert_eq!(retry_after(&busy), Some(Duration::from_secs(7)));
    assert_eq!(
        retry_after(&Reply::new(503, "")),
        Some(Duration::from_secs(1))
    );
    assert_eq!(retry_after(&Reply::new(500, "")), None);
    assert_eq!(retry_after(&Reply::new(401, "")), None);
}

/// Reads one request (head and `Content-Length` body) from `stream`.
fn read_request(stream: &mut std::net::TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("request line");
        head.push_str(&line);
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .map_or(0, |n| n.trim().parse().expect("length"));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    head + &String::from_utf8(body).expect("UTF-8")
}

#[test]
fn a_post_reaches_the_server_as_written_and_a_503_is_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = thread::spawn(move || {
        let answers = [
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"success\":true}",
        ];
        let mut seen = Vec::new();
        for answer in answers {
            let (mut stream, _) = listener.accept().expect("accept");
            seen.push(read_request(&mut stream));
            stream.write_all(answer.as_bytes()).expect("answer");
        }
        seen
    });

    let api = gateway("127.0.0.1", port, "");
    let request = api
        .request("POST", "/products")
        .header("Authorization", "Bearer t")
        .json(r#"{"name":"Mug"}"#);
    let reply = api.send(&Ctx::new(), &request).expect("answered");

    assert_eq!(reply.status, 201);
    assert_eq!(
        reply
            .json
            .get("success")
            .and_then(serde_json::Value::as_bool),
        Some(true)
    );
    let seen = server.join().expect("server");
    assert_eq!(seen.len(), 2, "the 503 was retried once");
    assert_eq!(seen[0], seen[1], "the same request twice");
    let seen = seen[0].to_ascii_lowercase();
    assert!(
        seen.starts_with("post /api/products http/1.1\r\n"),
        "{seen}"
    );
    for header in [
        "authorization: bearer t\r\n",
        "content-type: application/json\r\n",
        "content-length: 14\r\n",
    ] {
        assert!(seen.contains(header), "{header} in {seen}");
    }
    assert!(seen.ends_with("\r\n\r\n{\"name\":\"mug\"}"), "{seen}");
}
