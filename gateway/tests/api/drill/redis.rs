//! `redis`: every service on a private Redis, killed for a few seconds under the order load
//! and started again empty. Orders are refused with a clear 503 while it is away (never a
//! 500, a hang or a second order for a retried key), a revoked token stays refused, product
//! reads fall through to MongoDB, and afterwards orders are accepted again and the keys
//! answered before the outage still answer their own order — with no help from anyone.

use std::time::Duration;

use loadgen::drill::{
    self, Timing,
    api::{Account, Api},
    check,
    load::Plan,
    redis::{Observed, Probe},
};
use shared::{
    auth::{Role, Verifier},
    config::RedisConfig,
    testing::{TestNames, eventually},
};
use tokio::time::Instant;

use super::{
    prepare,
    private_redis::PrivateRedis,
    rig::{Options, Rig, WAIT, WORKERS},
};

/// How long Redis is away.
const OUTAGE: Duration = Duration::from_secs(4);

/// An order every 200 ms per customer until the drill stops the load, so that orders are
/// placed all through the outage; an answer lost in transport is retried with its key.
const PLAN: Plan = Plan {
    tick: Duration::from_millis(200),
    orders: None,
    scarce_every: 3,
    cancel_every: 4,
    tries: 60,
    conflicts: 20,
};

/// Revokes `bearer` in the private Redis, as customer-service does at logout.
async fn revoke(names: &TestNames, redis_url: &str, bearer: &str) {
    let config = RedisConfig {
        url: redis_url.to_owned(),
        prefix: names.redis_prefix.clone(),
    };
    let redis = shared::store::Redis::start(&config, tokio_util::sync::CancellationToken::new())
        .expect("a redis url");
    let token = bearer.trim_start_matches("Bearer ");
    let claims = Verifier::new(names.signer.key_source(), None)
        .expect("a verifier")
        .verify(token)
        .await
        .expect("a valid token");
    let verifier = Verifier::new(names.signer.key_source(), Some(redis)).expect("a verifier");
    eventually("the revocation to be stored", WAIT, || async {
        verifier.revoke(&claims).await.ok()
    })
    .await;
}

/// The probe's customer, revoked token and product, and its kept orders, counted by
/// analytics before the drill reads its figures.
async fn probe(rig: &Rig, redis: &PrivateRedis) -> Probe {
    let api = Api::new(rig.routes()).expect("a client");
    let admin = Account::token(&rig.admin);
    let product = api
        .product(&admin, "Drill probe", 500, 1000)
        .await
        .expect("the probe's product");
    let revoked = rig.names.bearer("000000000000000000000201", Role::Customer);
    revoke(&rig.names, &redis.url(), &revoked).await;
    let customer = rig.names.bearer("000000000000000000000200", Role::Customer);
    let probe = Probe::new(
        api.clone(),
        Account::token(&customer),
        Account::token(&revoked),
        product,
        "redis-probe",
        WAIT,
    )
    .await
    .expect("the probe's orders before the outage");
    let kept = probe.kept_orders().len() as i64;
    eventually("analytics to count the kept orders", WAIT, || async {
        let counts = check::analytics_orders(&api, &admin).await.ok()?;
        (counts.values().sum::<i64>() == kept).then_some(())
    })
    .await;
    probe
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_under_load_refuses_orders_with_503_keeps_revoked_tokens_out_and_recovers() {
    let mut redis = PrivateRedis::start();
    let rig = Rig::start(Options {
        redis: Some(redis.url()),
        ..Options::default()
    })
    .await;
    let probe = probe(&rig, &redis).await;
    let setup = prepare(&rig).await;
    let timing = Timing {
        before: Duration::from_millis(600),
        fault: OUTAGE,
        after: Duration::from_secs(2),
        settle: WAIT,
        subscribers: WORKERS,
    };
    let mut during: (Observed, Vec<_>) = Default::default();
    let mut row = drill::run(&setup, PLAN, timing, "redis", async {
        redis.kill();
        let killed = Instant::now();
        during = probe.during(tokio::time::sleep(OUTAGE)).await;
        redis.restart();
        Ok(format!(
            "the private Redis killed for {:.1} s and started again empty",
            killed.elapsed().as_secs_f64()
        ))
    })
    .await
    .expect("the drill ran to its end");
    let (observed, found) = during;
    row.extend(found);
    row.extend(probe.after(WAIT).await);
    eprintln!("{}", serde_json::to_string(&row).unwrap_or_default());
    eprintln!("while Redis was away: {observed:?}");
    assert!(row.passed, "{:#?}\n{observed:#?}", row.findings());
    assert!(
        row.refused.get(&503).copied().unwrap_or(0) > 0,
        "orders placed while Redis was away were refused with 503: {row:#?}"
    );
    assert!(
        row.back_after_seconds.is_some(),
        "orders were accepted again after Redis came back"
    );
    assert!(observed.revoked_token.values().sum::<usize>() > 0);
    rig.stop().await;
}
