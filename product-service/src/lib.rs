//! product-service: the catalog, stock, reservations and low-stock events.
//!
//! # Layout
//! - [`config`]: the settings this service reads.
//! - [`state`]: what handlers share.
//! - [`routes`]: `/products` (public reads, admin writes guarded by `shared::auth::Admin`),
//!   `/products/{id}/reviews`, `/categories` (the tree; admin writes), `/products/{id}/images`
//!   and `/locations` with `/products/{id}/inventory` (stock per location).
//! - [`live`]: `/products/{id}/stock/stream`, live stock over SSE, fed by every replica's own
//!   queue of stock events.
//! - [`domain`]: products, prices in cents, list queries, search ranking, stock messages; no I/O.
//! - [`store`]: MongoDB: the catalog, reserving stock exactly once per order, and putting a
//!   received return's stock back once per return.
//! - [`cache`]: the Redis read cache and its generation-counter invalidation.
//! - [`events`]: what is published (through the outbox), the order-events consumer, the
//!   returns consumer, and the delivered-orders consumer that grants the right to review.
//!
//! [`app`] builds the router without I/O; [`run`] loads the embedding model if
//! `EMBEDDING_MODEL_DIR` names one (and backfills missing embeddings in the background),
//! connects the real dependencies, starts the order and return consumers and the outbox relay,
//! and serves. `/health` and `/metrics` come from
//! [`shared::server`].

pub mod cache;
pub mod config;
pub mod domain;
pub mod events;
pub mod live;
pub mod routes;
pub mod state;
pub mod store;

use axum::Router;
use shared::server::StartError;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{Config, DEFAULTS};
pub use state::AppState;

/// The service's own routes.
pub fn app(state: AppState) -> Router {
    routes::router().with_state(state)
}

/// Loads the embedding model (when configured; without it, or when it cannot be loaded, search
/// goes by words only), connects MongoDB, RabbitMQ and Redis (without waiting for them),
/// creates the indexes in the background and then backfills missing embeddings, starts the
/// outbox relay and the order consumer, and serves on `listener` until `cancel` fires.
pub async fn run(
    config: Config,
    listener: TcpListener,
    cancel: CancellationToken,
) -> Result<(), StartError> {
    let embedder = load_embedder(config.embedding_model_dir.as_deref()).await;
    shared::server::run_service(&config.service, listener, cancel.clone(), |infra| {
        let db = infra.db().clone();
        let state_on = if embedder.is_some() { "on" } else { "off" };
        infra.health.feature("embeddings", state_on);
        let nudge = infra.relay(
            &[store::PRODUCTS, store::RESERVATIONS, store::REVIEWS],
            config::OUTBOX_POLL,
            &cancel,
        );
        let state = AppState::new(infra.clone(), nudge)
            .with_embedder(embedder)
            .with_cancel(cancel.clone());
        let backfill = state.clone();
        let backfill_cancel = cancel.clone();
        infra.after_indexes(
            &cancel,
            |db| async move {
                store::create_indexes(&db).await?;
                store::locations::Locations::new(&db).ensure_main().await?;
                store::stock::Stock::new(&db).migrate_legacy().await?;
                store::restock::Restock::new(&db).migrate_legacy().await?;
                store::reviews::Reviews::new(&db).migrate_legacy().await?;
                store::categories::Categories::new(&db)
                    .migrate_legacy()
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            },
            move || {
                let (products, stop) = (backfill.products.clone(), backfill_cancel.clone());
                // A panic restarts the sweep rather than end it for the process's life.
                drop(shared::supervise::spawn(
                    "image-sweep",
                    backfill_cancel.clone(),
                    move || sweep_images(products.clone(), stop.clone()),
                ));
                tokio::spawn(backfill_embeddings(backfill, backfill_cancel));
            },
        );
        events::orders::start(
            state.infra.bus(),
            events::orders::StockKeeper {
                stock: store::stock::Stock::new(&db).with_nudge(state.nudge.clone()),
                cache: state.cache.clone(),
            },
        );
        events::returns::start(
            state.infra.bus(),
            events::returns::Restocker {
                restock: store::restock::Restock::new(&db),
                cache: state.cache.clone(),
            },
        );
        events::purchases::start(state.infra.bus(), state.reviews.clone());
        live::consume(
            state.infra.bus(),
            state.stock_hub.clone(),
            state.products.clone(),
        );
        app(state)
    })
    .await
}

/// The embedding model from `dir`, or none (said in the log) when there is no folder or the
/// model cannot be loaded from it.
async fn load_embedder(dir: Option<&std::path::Path>) -> Option<shared::embed::Embedder> {
    let Some(dir) = dir else {
        tracing::info!("EMBEDDING_MODEL_DIR is not set: search goes by words only");
        return None;
    };
    match shared::embed::Embedder::load_async(dir).await {
        Ok(embedder) => {
            tracing::info!(dir = %dir.display(), "embedding model loaded: search goes by meaning too");
            Some(embedder)
        }
        Err(error) => {
            tracing::warn!(
                %error,
                dir = %dir.display(),
                "cannot load the embedding model: search goes by words only"
            );
            None
        }
    }
}

/// Every [`config::IMAGE_SWEEP_EVERY`], deletes image bytes no product lists (see
/// `store::products::images`); a failure waits for the next round.
async fn sweep_images(products: store::products::Products, cancel: CancellationToken) {
    loop {
        if let Err(error) = products
            .sweep_orphan_images(config::IMAGE_SWEEP_QUIET)
            .await
        {
            tracing::warn!(%error, "cannot sweep orphan images now");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(config::IMAGE_SWEEP_EVERY) => {}
        }
    }
}

/// Embeds the products that have no embedding (retrying while MongoDB is down), then makes
/// cached search answers that did not know them unreachable.
async fn backfill_embeddings(state: AppState, cancel: CancellationToken) {
    let Some(embedder) = state.embedder.clone() else {
        return;
    };
    let written = shared::retry::STARTUP
        .until_ok(
            &cancel,
            || {
                state
                    .products
                    .backfill_embeddings(&embedder, config::BACKFILL_BATCH, &cancel)
            },
            |error, wait| tracing::warn!(%error, ?wait, "cannot backfill embeddings yet"),
        )
        .await;
    if let Some(written) = written {
        tracing::info!(written, "embeddings backfilled");
        if written > 0 {
            state.cache.invalidate().await;
        }
    }
}
