//! Support leases across replicas (issue 17): a person holds a conversation only while their
//! socket lives. Two assistant-service replicas: this test's, in process, and the real binary
//! in a child process, killed (SIGKILL: no shutdown, no hand-back) while its agent holds a
//! conversation. The survivor's sweep puts the conversation back in the queue when the lease
//! runs out, the customer is told, and the assistant answers again.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::json;
use shared::{
    auth::{KeySource, Role},
    events::Bus,
    testing::{Spawned, amqp_url, bus_config, delete_topology, eventually, mongodb_uri, redis_url},
};

use crate::{
    helpers::{Options, Suite, WAIT, spawn_with},
    support::{ask_for_a_person, get, next, say, socket},
};

const BINARY: &str = env!("CARGO_BIN_EXE_assistant-service");
/// Short, so that a lease runs out within the test; renewed every third of it.
const LEASE: Duration = Duration::from_millis(600);
/// How long the binary may take to start and be healthy.
const START: Duration = Duration::from_secs(120);

/// The real binary as a second replica of `suite`'s assistant (same database, Redis prefix and
/// token key; support needs nothing else); killed when dropped. Its events exchange is its
/// own ([`binary_exchange`]): the binary declares durable queues, which RabbitMQ refuses to
/// redeclare over the test's expiring ones.
struct Process {
    child: Child,
    app: Spawned,
}

impl Process {
    async fn start(suite: &Suite) -> Self {
        let names = &suite.names;
        let KeySource::Static(public_key) = names.signer.key_source() else {
            unreachable!("a test signer has a fixed key")
        };
        let mut child = Command::new(BINARY)
            .env("APP_ENV", "development")
            .env("PORT", "0")
            .env("MONGODB_URI", mongodb_uri())
            .env("MONGODB_DB", &names.database)
            .env("AMQP_URL", amqp_url())
            .env("EVENTS_EXCHANGE", binary_exchange(suite))
            .env("REDIS_URL", redis_url())
            .env("REDIS_PREFIX", &names.redis_prefix)
            .env("JWT_PUBLIC_KEY", public_key)
            .env("PRODUCT_SERVICE_URL", &suite.products.base_url)
            .env("ORDER_SERVICE_URL", &suite.orders.base_url)
            .env("CUSTOMER_SERVICE_URL", &suite.customers.base_url)
            .env("SUPPORT_LEASE_MS", LEASE.as_millis().to_string())
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
        let addr = tokio::task::spawn_blocking(move || {
            loop {
                let line = rx.recv_timeout(START).expect("the binary listens in time");
                let Ok(log) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if log["message"] == "listening" {
                    // Keep draining, so that the binary never blocks on a full pipe.
                    std::thread::spawn(move || while rx.recv().is_ok() {});
                    return log["addr"].as_str().expect("addr").to_owned();
                }
            }
        })
        .await
        .expect("the log reader");
        let mut config = suite.assistant_config.service.clone();
        config.port = 0;
        let app = Spawned::attach(format!("http://{addr}"), config);
        // A cold process on a busy machine: its first connections take longer than a test's.
        app.wait_healthy(START).await;
        Self { child, app }
    }

    /// SIGKILL: the process ends at once, running nothing of its own.
    fn kill(&mut self) {
        self.child.kill().expect("kill the binary");
        self.child.wait().expect("reap the binary");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_conversation_held_on_a_replica_that_is_killed_goes_back_to_the_queue_when_its_lease_runs_out()
 {
    let suite = spawn_with(Options {
        support_lease: Some(LEASE),
        ..Options::default()
    })
    .await;
    let mut other = Process::start(&suite).await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let session = "lease-0001";
    let conversation = format!("/support/conversations/{session}");
    ask_for_a_person(&suite, session, &alex.bearer).await;
    let mut customer = socket(
        &suite.assistant,
        &format!("/ws/chat/{session}"),
        Some(&alex.bearer),
    )
    .await
    .unwrap();
    assert_eq!(next(&mut customer).await["type"], "history");
    let mut agent = socket(
        &other.app,
        &format!("/ws/support/{session}"),
        Some(&suite.admin),
    )
    .await
    .expect("the agent joins on the other replica");
    assert_eq!(next(&mut agent).await["type"], "conversation");
    assert_eq!(next(&mut customer).await["type"], "agent_joined");

    // Several leases long, both replicas sweeping: a living socket keeps its conversation.
    tokio::time::sleep(LEASE * 4).await;
    let (_, held) = get(&suite.assistant, &conversation, &suite.admin).await;
    let relayed = suite
        .chat("Are you still there?", Some(session), Some(&alex.bearer))
        .await;
    let to_agent = next(&mut agent).await;
    say(
        &mut agent,
        json!({ "type": "message", "content": "Still here." }),
    )
    .await;
    let from_agent = next(&mut customer).await;

    other.kill();
    let handback = next(&mut customer).await;
    let (_, requeued) = get(&suite.assistant, &conversation, &suite.admin).await;
    let answered = suite
        .chat(
            "What is your return policy?",
            Some(session),
            Some(&alex.bearer),
        )
        .await;
    let second_admin = suite.names.bearer("000000000000000000000002", Role::Admin);
    let mut rejoined = socket(
        &suite.assistant,
        &format!("/ws/support/{session}"),
        Some(&second_admin),
    )
    .await
    .expect("another person takes the requeued conversation");
    let opening = next(&mut rejoined).await;

    assert_eq!(held["data"]["status"], "ACTIVE", "{held}");
    assert!(
        relayed["text"]
            .as_str()
            .unwrap()
            .contains("person from our team"),
        "the assistant stays quiet while the lease is renewed: {relayed}"
    );
    assert_eq!(to_agent["content"], "Are you still there?");
    assert_eq!(from_agent["content"], "Still here.");
    assert_eq!(handback["type"], "handback", "{handback}");
    assert_eq!(handback["reason"], "agent_left", "{handback}");
    assert_eq!(requeued["data"]["status"], "WAITING", "{requeued}");
    assert!(
        !answered["text"]
            .as_str()
            .unwrap()
            .contains("person from our team"),
        "the assistant answers again: {answered}"
    );
    assert_ne!(answered["intent"], "complaint", "{answered}");
    assert_eq!(opening["conversation"]["status"], "ACTIVE", "{opening}");
    drop(rejoined);
    drop(other);
    let cancel = tokio_util::sync::CancellationToken::new();
    let mut binary_bus = bus_config(&suite.names);
    binary_bus.exchange = binary_exchange(&suite);
    delete_topology(&Bus::start(binary_bus, "cleanup", cancel.clone())).await;
    cancel.cancel();
    suite.stop().await;
}

#[tokio::test]
async fn a_lease_that_ran_out_is_taken_over_and_the_old_socket_is_told_and_closed() {
    let suite = spawn_with(Options {
        support_lease: Some(LEASE),
        ..Options::default()
    })
    .await;
    let alex = suite.register("Alex Demo", "alex@example.com").await;
    let session = "lease-0002";
    ask_for_a_person(&suite, session, &alex.bearer).await;
    let path = format!("/ws/support/{session}");
    let mut first = socket(&suite.assistant, &path, Some(&suite.admin))
        .await
        .unwrap();
    assert_eq!(next(&mut first).await["type"], "conversation");

    // As if the first agent's replica had stalled past its lease: the lease is moved into the
    // past behind its back. Its next renewal finds it over, and the sweep requeues it.
    let db = suite_db(&suite).await;
    db.collection::<bson::Document>("support_conversations")
        .update_one(
            bson::doc! { "_id": session },
            bson::doc! { "$set": { "leaseUntil": 0i64 } },
        )
        .await
        .unwrap();
    let told = next(&mut first).await;
    let closed = next(&mut first).await;
    eventually("the conversation requeued", WAIT, || async {
        let (_, c) = get(
            &suite.assistant,
            &format!("/support/conversations/{session}"),
            &suite.admin,
        )
        .await;
        (c["data"]["status"] == "WAITING").then_some(())
    })
    .await;
    let second_admin = suite.names.bearer("000000000000000000000002", Role::Admin);
    let mut second = socket(&suite.assistant, &path, Some(&second_admin))
        .await
        .expect("the second agent takes it");
    assert_eq!(next(&mut second).await["type"], "conversation");
    drop(first);
    say(
        &mut second,
        json!({ "type": "message", "content": "I'm on it." }),
    )
    .await;
    let (_, now) = get(
        &suite.assistant,
        &format!("/support/conversations/{session}"),
        &suite.admin,
    )
    .await;

    assert_eq!(told["type"], "error", "{told}");
    assert_eq!(told["code"], "CONFLICT", "{told}");
    assert_eq!(closed, json!({ "type": "closed", "code": 1011 }));
    assert_eq!(
        now["data"]["status"], "ACTIVE",
        "the old socket's end does not requeue: {now}"
    );
    assert_eq!(now["data"]["agentId"], "000000000000000000000002");
    suite.stop().await;
}

/// The binary's own events exchange.
fn binary_exchange(suite: &Suite) -> String {
    format!("{}.binary", suite.names.exchange)
}

async fn suite_db(suite: &Suite) -> mongodb::Database {
    let mongo = suite.assistant.config.mongo.as_ref().expect("a database");
    shared::store::mongo(mongo, "test").await.expect("database")
}
