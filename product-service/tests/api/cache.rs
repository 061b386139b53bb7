//! The read cache: a write is visible on the very next read; a cache outage only costs speed;
//! a database outage answers 503 promptly.

use std::time::{Duration, Instant};

use product_service::cache::Cache;
use serde_json::json;
use shared::{
    ApiError,
    config::RedisConfig,
    store::Redis,
    testing::{TcpProxy, TestNames, eventually, redis_url, socket_addr_of},
};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::{TestApp, WAIT, product, spawn_app, spawn_with},
    order_service::{OrderService, new_order_id, order_created},
};

/// A URL on a local port where nothing listens.
async fn closed_port(scheme: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("{scheme}://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_price_change_is_visible_on_the_very_next_read_although_reads_are_cached() {
    let app = spawn_app().await;
    let created = app.create_ok(&product("Cached Kettle", 10.0, 5)).await;
    let id = created["id"].as_str().unwrap();
    let list = "category=general&sort=price";

    for (round, price) in [(1, "12.34"), (2, "0.99"), (3, "250.0")] {
        // Fill the cache, and read again so the second read is a hit.
        for _ in 0..2 {
            assert_eq!(app.get_product(id).await.0, 200);
            assert_eq!(app.list(list).await.0, 200);
        }
        let keys = app.cache_keys().await;
        assert!(
            keys.iter()
                .any(|k| k.ends_with(&format!(":{id}")) && k.contains(":product:")),
            "round {round}: {keys:?}"
        );
        assert!(
            keys.iter().any(|k| k.contains(":list:")),
            "round {round}: {keys:?}"
        );

        let mut body = product("Cached Kettle", 1.0, 5);
        body["price"] = serde_json::from_str(price).unwrap();
        assert_eq!(app.replace(id, &body).await.0, 200);

        let (_, read) = app.get_product(id).await;
        assert_eq!(
            read["data"]["price"].to_string(),
            price,
            "round {round}: by id"
        );
        let (_, listed) = app.list(list).await;
        assert_eq!(
            listed["data"][0]["price"].to_string(),
            price,
            "round {round}: in the list"
        );
    }

    assert_eq!(app.delete(id).await.0, 200);
    assert_eq!(
        app.get_product(id).await.0,
        404,
        "a deletion is visible at once too"
    );
    assert_eq!(app.list(list).await.1["meta"]["total"], 0);
    let metrics = app.app.get_text("/metrics").await;
    assert!(
        metrics.contains("product_cache_total{outcome=\"hit\"}"),
        "{metrics}"
    );
    app.stop().await;
}

/// Renames `id` in MongoDB behind the service's back: no write of its own, so nothing is
/// invalidated and a cached read still shows the old name.
async fn rename_quietly(app: &TestApp, id: &str, name: &str) {
    let id = bson::oid::ObjectId::parse_str(id).unwrap();
    app.db
        .collection::<bson::Document>("products")
        .update_one(
            bson::doc! { "_id": id },
            bson::doc! { "$set": { "name": name } },
        )
        .await
        .expect("update");
}

async fn stock_shown(app: &TestApp, id: &str) -> i64 {
    let (status, body) = app.get_product(id).await;
    assert_eq!(status, 200, "{body}");
    body["data"]["stock"].as_i64().expect("a stock")
}

#[tokio::test]
async fn a_stock_move_shows_at_once_on_its_product_and_in_lists_and_leaves_other_products_cached() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let sold = app.create_ok(&product("Sold Kettle", 10.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.create_ok(&product("Other Kettle", 10.0, 5)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = "category=general&sort=name";
    for _ in 0..2 {
        assert_eq!(stock_shown(&app, &sold).await, 5);
        assert_eq!(
            app.get_product(&other).await.1["data"]["name"],
            "Other Kettle"
        );
        assert_eq!(app.list(list).await.0, 200);
    }
    // The other product's name changes where only a read of MongoDB can see it.
    rename_quietly(&app, &other, "Another Kettle").await;

    // Named in capitals, as an ObjectId may be: the cache's counter is the lowercase one.
    orders
        .publish(&order_created(
            &new_order_id(),
            &[(&sold.to_uppercase(), 2)],
        ))
        .await;
    eventually("the sold product's page shows the move", WAIT, || async {
        (stock_shown(&app, &sold).await == 3).then_some(())
    })
    .await;
    // Bumped together with the product's counter: the list is read again (the quiet rename
    // shows) and shows the move.
    let (_, listed) = app.list(list).await;
    let shown: Vec<(String, i64)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["stock"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Another Kettle".to_owned(), 5),
            ("Sold Kettle".to_owned(), 3)
        ]
    );
    // The other product's entry outlived the move: still the cached name.
    assert_eq!(
        app.get_product(&other).await.1["data"]["name"],
        "Other Kettle",
        "a stock move of one product emptied the cache of another"
    );
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_variant_s_stock_move_shows_at_once_on_the_product_sold_in_it() {
    let app = spawn_app().await;
    let orders = OrderService::start(&app.names, &["stock.*"]).await;
    let mut body = product("Cached Tee", 20.0, 7);
    body["lowStockThreshold"] = json!(0);
    let tee = app.create_ok(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, answer) = app
        .request(
            reqwest::Method::POST,
            &format!("/products/{tee}/variants"),
            crate::helpers::As::Admin,
            Some(&json!({ "sku": "CT-RED", "color": "Red", "stock": 4 })),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let red = answer["data"]["id"].as_str().unwrap().to_owned();
    // Both cached, so that the variant's page moving shows that the move was invalidated.
    for _ in 0..2 {
        assert_eq!(stock_shown(&app, &tee).await, 4, "the variants' stock");
        assert_eq!(stock_shown(&app, &red).await, 4);
    }

    orders
        .publish(&order_created(&new_order_id(), &[(&red, 3)]))
        .await;
    eventually("the variant's page shows the move", WAIT, || async {
        (stock_shown(&app, &red).await == 1).then_some(())
    })
    .await;
    // The variant's counter moved, not the product's; its entry notes the lists generation.
    assert_eq!(stock_shown(&app, &tee).await, 1);
    orders.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn reads_are_served_from_mongodb_when_redis_is_down() {
    let names = TestNames::new();
    let writer = spawn_with(names.clone(), |_| {}).await;
    writer.app.wait_healthy(WAIT).await;
    let created = writer
        .create_ok(&json!({
            "name": "Uncached Mug", "price": 7.5, "category": "Kitchen", "stock": 2,
        }))
        .await;
    let id = created["id"].as_str().unwrap();
    let redis_url = closed_port("redis").await;
    let reader = spawn_with(names.clone(), |config| {
        config.redis.as_mut().expect("redis configured").url = redis_url;
    })
    .await;

    let started = Instant::now();
    let (status, body) = reader.get_product(id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"], created);
    let (status, body) = reader.list("category=kitchen").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["total"], 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let health = reader.app.wait_status("degraded", WAIT).await;
    assert_eq!(health["dependencies"]["redis"], "down");

    reader.stop().await;
    writer.stop().await;
}

#[tokio::test]
async fn a_read_answers_503_promptly_when_mongodb_is_unreachable() {
    let mongo_url = closed_port("mongodb").await;
    let app = spawn_with(TestNames::new(), |config| {
        config.mongo.as_mut().expect("mongo configured").uri = mongo_url;
    })
    .await;
    let id = bson::oid::ObjectId::new().to_hex();

    for path in ["/products".to_owned(), format!("/products/{id}")] {
        let started = Instant::now();
        let (status, body) = app.app.get(&path).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(body["error"]["code"], "UPSTREAM_UNAVAILABLE");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    let health = app.app.wait_status("degraded", WAIT).await;
    assert_eq!(health["dependencies"]["mongodb"], "down");
    app.stop().await;
}

/// The cache alone, over the local Redis (or a proxy to it), under a fresh prefix.
async fn cache_over(url: String, names: &TestNames, cancel: &CancellationToken) -> (Cache, Redis) {
    let config = RedisConfig {
        url,
        prefix: names.redis_prefix.clone(),
    };
    let redis = Redis::start(&config, cancel.clone()).unwrap();
    eventually("redis", WAIT, || async {
        redis.is_up(Duration::from_secs(1)).await.then_some(())
    })
    .await;
    (
        Cache::new(Some(redis.clone()), Duration::from_secs(60)),
        redis,
    )
}

async fn forget(names: &TestNames) {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", names.redis_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

fn value(text: &str) -> Result<String, ApiError> {
    Ok(text.to_owned())
}

#[tokio::test]
async fn a_reader_that_loaded_old_data_just_before_a_write_cannot_serve_it_after_the_write() {
    let names = TestNames::new();
    let cancel = CancellationToken::new();
    let (cache, _) = cache_over(redis_url(), &names, &cancel).await;
    let (loaded, has_loaded) = oneshot::channel();
    let (finish, may_finish) = oneshot::channel::<()>();
    let slow_reader = {
        let cache = cache.clone();
        tokio::spawn(async move {
            cache
                .read_through("thing", || async move {
                    loaded.send(()).unwrap();
                    may_finish.await.unwrap();
                    value("old")
                })
                .await
        })
    };

    has_loaded.await.unwrap(); // the reader holds the old data
    cache.invalidate().await; // the write happens and returns
    finish.send(()).unwrap(); // the reader stores the old data after the write
    assert_eq!(
        slow_reader.await.unwrap().unwrap(),
        "old",
        "it began before the write"
    );

    let next = cache.read_through("thing", || async { value("new") }).await;
    assert_eq!(next.unwrap(), "new");
    let cached = cache
        .read_through("thing", || async { Err(ApiError::internal("not cached")) })
        .await;
    assert_eq!(cached.unwrap(), "new");
    cancel.cancel();
    forget(&names).await;
}

#[tokio::test]
async fn a_failed_invalidation_bypasses_the_cache_rather_than_serve_what_it_should_have_hidden() {
    let names = TestNames::new();
    let cancel = CancellationToken::new();
    let proxy = TcpProxy::start(socket_addr_of(&redis_url(), 6379))
        .await
        .unwrap();
    let (cache, redis) = cache_over(proxy.rewrite(&redis_url()), &names, &cancel).await;
    cache
        .read_through("thing", || async { value("v1") })
        .await
        .unwrap();
    let cached = cache
        .read_through("thing", || async { Err(ApiError::internal("not cached")) })
        .await;
    assert_eq!(cached.unwrap(), "v1");

    proxy.sever();
    cache.invalidate().await; // the write happened, but Redis did not hear of it
    proxy.restore();
    // Redis answers again, and still holds "v1" under the generation it knows.
    eventually("redis to be back", WAIT, || async {
        redis.is_up(Duration::from_secs(1)).await.then_some(())
    })
    .await;

    let next = cache.read_through("thing", || async { value("v2") }).await;
    assert_eq!(next.unwrap(), "v2");
    cancel.cancel();
    forget(&names).await;
}
