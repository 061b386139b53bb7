//! `loadgen clean`: removes what one benchmark run left in the stores once its services are
//! stopped, so runs leave nothing behind and a later run never drains an earlier one's queues:
//! the queues it is given (`cargo xtask bench` lists them with `rabbitmqctl`, AMQP itself has no
//! listing), the run's exchange with its dead-letter parts, the databases `bench_<run>_*` and the
//! Redis keys `bench:<run>:*`. Each part is tried whatever happened to the others; what could not
//! be removed is reported, not fatal.

use anyhow::Result;
use serde_json::{Value, json};

/// What `loadgen clean` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// MongoDB's URI.
    pub mongodb: String,
    /// The broker's URL.
    pub amqp: String,
    /// Redis's URL.
    pub redis: String,
    /// The run id: databases `bench_<run>_*`, Redis keys `bench:<run>:*`.
    pub run: String,
    /// The run's exchange; `<exchange>.dlx` and `<exchange>.dead-letter` go with it.
    pub exchange: String,
    /// Queues to delete; only those named `<exchange>.…` are touched.
    pub queues: Vec<String>,
}

/// Removes it all and says how much went and what failed.
pub async fn run(params: &Params) -> Result<Value> {
    let mut problems = Vec::new();
    let queues = broker(params).await.unwrap_or_else(|e| {
        problems.push(format!("broker: {e}"));
        0
    });
    let databases = databases(params).await.unwrap_or_else(|e| {
        problems.push(format!("MongoDB: {e}"));
        0
    });
    let keys = redis_keys(params).await.unwrap_or_else(|e| {
        problems.push(format!("Redis: {e}"));
        0
    });
    Ok(json!({
        "queues": queues,
        "databases": databases,
        "redisKeys": keys,
        "problems": problems,
    }))
}

/// The queues of this exchange among `queues`, then the run's dead-letter queue.
fn owned_queues(params: &Params) -> Vec<String> {
    let prefix = format!("{}.", params.exchange);
    let dead_letter = format!("{}.dead-letter", params.exchange);
    let mut owned: Vec<String> = params
        .queues
        .iter()
        .filter(|q| q.starts_with(&prefix))
        .cloned()
        .collect();
    if !owned.contains(&dead_letter) {
        owned.push(dead_letter);
    }
    owned
}

async fn broker(params: &Params) -> Result<usize> {
    let exchanges = [params.exchange.clone(), format!("{}.dlx", params.exchange)];
    Ok(shared::testing::delete_named(&params.amqp, &owned_queues(params), &exchanges).await?)
}

async fn databases(params: &Params) -> Result<usize> {
    let client = mongodb::Client::with_uri_str(&params.mongodb).await?;
    let prefix = format!("bench_{}_", params.run);
    let mut dropped = 0;
    for name in client.list_database_names().await? {
        if name.starts_with(&prefix) {
            client.database(&name).drop().await?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

async fn redis_keys(params: &Params) -> Result<usize> {
    let client = redis::Client::open(params.redis.as_str())?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let pattern = format!("bench:{}:*", params.run);
    let keys: Vec<String> = {
        let mut iter: redis::AsyncIter<String> =
            redis::AsyncCommands::scan_match(&mut connection, &pattern).await?;
        let mut keys = Vec::new();
        while let Some(key) = futures::StreamExt::next(&mut iter).await {
            keys.push(key?);
        }
        keys
    };
    for chunk in keys.chunks(500) {
        let () = redis::AsyncCommands::del(&mut connection, chunk).await?;
    }
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exchanges_own_queues_are_deleted_and_its_dead_letter_queue_always() {
        let params = Params {
            mongodb: String::new(),
            amqp: String::new(),
            redis: String::new(),
            run: "r1".to_owned(),
            exchange: "bench.orders.r1".to_owned(),
            queues: vec![
                "bench.orders.r1.order-service.stock".to_owned(),
                "bench.orders.r1.order-service.stock.retry.500".to_owned(),
                "bench.orders.r10.order-service.stock".to_owned(),
                "shop.events.order-service.stock".to_owned(),
            ],
        };
        assert_eq!(
            owned_queues(&params),
            [
                "bench.orders.r1.order-service.stock",
                "bench.orders.r1.order-service.stock.retry.500",
                "bench.orders.r1.dead-letter",
            ]
        );
    }
}
