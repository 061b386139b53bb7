//! The connection threads (`serve::workers`): one per core, each serving the connections it
//! is handed (the thread serving the fewest gets the next), and all of them gone once the
//! gateway has stopped, an idle kept-alive connection notwithstanding.

use std::time::Duration;

use shared::testing::eventually;

use crate::{
    helpers::{TestGateway, spawn_echo, spawn_gateway},
    raw::{ID, Raw},
};

/// The names of this process's threads that serve connections.
fn connection_threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name.starts_with("gateway-conn-"))
        .collect()
}

#[tokio::test]
async fn connections_are_served_on_a_thread_per_core_which_end_with_the_gateway() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;
    let mut threads = connection_threads();
    threads.sort();
    let expected: Vec<String> = (0..cores).map(|i| format!("gateway-conn-{i}")).collect();
    assert_eq!(threads, expected, "one connection thread per core");

    // Connections go to the threads in turn: each answers, and a kept-alive one stays open.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(8)
        .build()
        .unwrap();
    let url = gw.app.url(&format!("/api/products/{ID}"));
    let answers = futures::future::join_all((0..2 * cores).map(|_| client.get(&url).send())).await;
    for answer in answers {
        assert_eq!(answer.expect("an answer").status(), 200);
    }
    assert_eq!(echo.hits(), 2 * cores);

    gw.app.cancel.cancel();
    eventually(
        "the connection threads end once the gateway has stopped",
        Duration::from_secs(10),
        || async { connection_threads().is_empty().then_some(()) },
    )
    .await;
    drop(client);
}

/// Each connection thread's open connections, from `gateway_connections_open{thread=...}`.
async fn loads(gw: &TestGateway, threads: usize) -> Vec<usize> {
    let text = gw.metrics().await;
    (0..threads)
        .map(|i| {
            let name = format!("gateway_connections_open{{thread=\"gateway-conn-{i}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(name.as_str()))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or_else(|| panic!("no {name}in {text}")) as usize
        })
        .collect()
}

/// Opens a connection, has it answered once (so the gateway has handed it to a thread) and
/// says which thread took it: the one whose count went up.
async fn open_one(gw: &TestGateway, threads: usize) -> (Raw, usize, Vec<usize>) {
    let before = loads(gw, threads).await;
    let mut raw = Raw::connect(&gw.app.url("")).await;
    raw.send(&format!(
        "GET /api/products/{ID} HTTP/1.1\r\nHost: gw\r\n\r\n"
    ))
    .await;
    assert_eq!(raw.answer(false).await.status, 200);
    let after = loads(gw, threads).await;
    let took: Vec<usize> = (0..threads).filter(|&i| after[i] > before[i]).collect();
    assert_eq!(
        took.len(),
        1,
        "one thread took the connection: {before:?} → {after:?}"
    );
    (raw, took[0], before)
}

#[tokio::test]
async fn a_new_connection_goes_to_the_thread_serving_the_fewest() {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let echo = spawn_echo().await;
    let gw = spawn_gateway(&[("PRODUCT_SERVICE_URL", echo.url.clone())]).await;

    // Three kept-alive connections a thread, then those of thread 0 closed.
    let mut open = Vec::new();
    for _ in 0..3 * threads {
        let (raw, thread, _) = open_one(&gw, threads).await;
        open.push((raw, thread));
    }
    let before = loads(&gw, threads).await;
    assert!(
        before.iter().all(|&n| n >= 3),
        "spread in turn while equal: {before:?}"
    );
    let (closed, kept): (Vec<_>, Vec<_>) = open.into_iter().partition(|(_, t)| *t == 0);
    let gone = closed.len();
    drop(closed);
    eventually(
        "thread 0's connections are counted out once closed",
        Duration::from_secs(10),
        || async {
            let now = loads(&gw, threads).await;
            (now[0] + gone == before[0]).then_some(())
        },
    )
    .await;

    // Each new connection goes to the least loaded thread: thread 0, until it has caught up
    // (taking turns, every other one would go to a thread already serving three).
    let mut new = Vec::new();
    for _ in 0..gone {
        let (raw, thread, loads_then) = open_one(&gw, threads).await;
        let least = *loads_then.iter().min().unwrap();
        assert_eq!(
            loads_then[thread], least,
            "thread {thread} took it, with loads {loads_then:?}"
        );
        new.push(raw);
    }
    drop((kept, new));
}
