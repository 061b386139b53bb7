//! The real `order-service` binary: configuration errors, start-up, SIGTERM.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

use shared::{
    events::Bus,
    testing::{
        TestNames, amqp_url, bus_config, delete_topology, eventually, mongodb_uri, redis_url,
    },
};

const BINARY: &str = env!("CARGO_BIN_EXE_order-service");

#[test]
fn a_malformed_setting_stops_the_binary_with_a_message_naming_the_variable() {
    let output = Command::new(BINARY)
        .env("PORT", "eighty")
        .output()
        .expect("run the binary");

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("PORT") && stderr.contains("eighty"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_binary_serves_health_and_stops_cleanly_on_sigterm() {
    let names = TestNames::new();
    let mut child = Command::new(BINARY)
        .env("APP_ENV", "development")
        .env("PORT", "0")
        .env("MONGODB_URI", mongodb_uri())
        .env("MONGODB_DB", &names.database)
        .env("AMQP_URL", amqp_url())
        .env("EVENTS_EXCHANGE", &names.exchange)
        .env("REDIS_URL", redis_url())
        .env("REDIS_PREFIX", &names.redis_prefix)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut warned = false;
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a log line before 30 s");
        let json: serde_json::Value = serde_json::from_str(&line).expect("log lines are JSON");
        assert_eq!(json["service"], "order-service", "{line}");
        warned |= json["level"] == "WARN"
            && json["message"]
                .as_str()
                .is_some_and(|m| m.contains("APP_ENV=development"));
        if json["message"] == "listening" {
            break json["addr"].as_str().expect("addr").to_owned();
        }
    };
    assert!(warned, "a development start warns before it listens");

    let client = shared::http::client_builder(&shared::http::Trust::system())
        .build()
        .expect("a client");
    let url = format!("http://{addr}/health");
    eventually(
        "the binary to be healthy",
        Duration::from_secs(30),
        || async {
            let body: serde_json::Value = client.get(&url).send().await.ok()?.json().await.ok()?;
            (body["data"]["status"] == "ok").then_some(())
        },
    )
    .await;

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = eventually("the binary to exit", Duration::from_secs(15), || {
        let exited = child.try_wait().expect("wait");
        async move { exited }
    })
    .await;
    assert!(status.success(), "exit status {status}");

    let cancel = tokio_util::sync::CancellationToken::new();
    delete_topology(&Bus::start(bus_config(&names), "cleanup", cancel.clone())).await;
    cancel.cancel();
}
