//! Spawning the gateway against chosen upstreams.

use gateway::Config;
use shared::{
    config::Env,
    testing::{Spawned, TestNames, service_config, spawn},
};

/// Starts the gateway with `upstreams` as `(VARIABLE, url)` pairs; the rest keep defaults
/// pointing at a closed port so that nothing reaches a service left running on this machine.
pub async fn spawn_gateway(upstreams: &[(&str, String)]) -> Spawned {
    let mut pairs: Vec<(&str, String)> = gateway::config::UPSTREAMS
        .iter()
        .map(|(_, var, _)| (*var, closed_port_url()))
        .collect();
    for (var, url) in upstreams {
        pairs.retain(|(v, _)| v != var);
        pairs.push((var, url.clone()));
    }
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut config = Config::from_env(&Env::from_pairs(&borrowed)).expect("gateway config");
    config.service = service_config(gateway::DEFAULTS, &TestNames::new());
    let service = config.service.clone();
    spawn(&service, |listener, cancel| {
        gateway::run(config, listener, cancel)
    })
    .await
}

/// A URL on which nothing listens.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
