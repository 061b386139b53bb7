//! The connection threads (`serve::workers`): one per core, each serving the connections it
//! is handed, and all of them gone once the gateway has stopped, an idle kept-alive connection
//! notwithstanding.

use std::time::Duration;

use shared::testing::eventually;

use crate::{
    helpers::{spawn_echo, spawn_gateway},
    raw::ID,
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
