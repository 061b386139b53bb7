//! order-service against the real MongoDB, RabbitMQ and Redis, with the real product-service
//! (and customer-service where a test needs it) in the same process.

mod access;
mod admin;
mod binary;
mod cart;
mod checkout;
mod checkout_crash;
mod coupon_limits;
mod coupon_redemptions;
mod coupons;
mod deadline;
mod demo;
mod fulfilment;
mod fulfilment_faults;
mod gaps;
mod helpers;
mod live;
mod orders;
mod orphans;
mod outage;
mod payments;
mod points;
mod readiness;
mod refunds;
mod replicas;
mod request_ids;
mod requests;
mod resume;
mod returns;
mod revoked;
mod saga;
mod seed;
mod slow;
mod stale_reads;
mod streams;
mod subscriptions;
mod tiers;
mod variants;

use helpers::{NOWHERE, order_config, spawn_replica};
use shared::testing::TestNames;

#[tokio::test]
async fn health_reports_every_dependency_up_and_metrics_count_requests() {
    let names = TestNames::new();
    let replica = spawn_replica(order_config(&names, NOWHERE, NOWHERE)).await;
    let app = &replica.app;

    let health = app.health().await;
    app.assert_health_errors_and_metrics(
        &health,
        &[
            "fulfilment",
            "indexes",
            "mongodb",
            "orphan-coupons",
            "outbox-relay",
            "payment-provider:test",
            "rabbitmq",
            "redis",
            "saga-deadline",
            "subscriptions",
        ],
    )
    .await;

    assert!(replica.hub.is_empty());
    replica.app.stop_and_clean().await;
}
