//! The `replica` drill's routing: two replicas of order-service and of product-service on one
//! database and queue, the calls spread over them in turn, and a replica taken out of the
//! turn once it has been killed (as a load balancer's health check would). Calls that were on
//! their way to it when it died fail, and the load retries them with the same
//! `Idempotency-Key`, now on the survivor; live subscribers reconnect with `Last-Event-ID` and
//! land on the survivor too, which fans every change out to its own streams.

use std::sync::{
    Arc, RwLock,
    atomic::{AtomicUsize, Ordering},
};

use super::api::Routes;

/// The replicas of one service: base URLs, each up or down.
#[derive(Debug, Default)]
pub struct Pool {
    replicas: RwLock<Vec<(String, bool)>>,
    turn: AtomicUsize,
}

impl Pool {
    /// A pool of `bases`, all up.
    pub fn new(bases: &[String]) -> Arc<Self> {
        Arc::new(Self {
            replicas: RwLock::new(bases.iter().map(|b| (b.clone(), true)).collect()),
            turn: AtomicUsize::new(0),
        })
    }

    /// The next replica that is up, in turn (the first one when none is).
    pub fn pick(&self) -> String {
        let replicas = self
            .replicas
            .read()
            .map_or_else(|e| e.into_inner().clone(), |r| r.clone());
        let up: Vec<&String> = replicas
            .iter()
            .filter(|(_, up)| *up)
            .map(|(b, _)| b)
            .collect();
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        match up.len() {
            0 => replicas.first().map(|(b, _)| b.clone()).unwrap_or_default(),
            n => up[turn % n].clone(),
        }
    }

    /// Takes the replica at `base` out of the turn; whether it was in it.
    pub fn down(&self, base: &str) -> bool {
        let Ok(mut replicas) = self.replicas.write() else {
            return false;
        };
        replicas
            .iter_mut()
            .find(|(b, up)| b == base && *up)
            .map(|(_, up)| *up = false)
            .is_some()
    }

    /// Replicas still in the turn.
    pub fn up(&self) -> usize {
        self.replicas
            .read()
            .map_or(0, |r| r.iter().filter(|(_, up)| *up).count())
    }
}

/// `/orders…` to the order replicas, `/products…` to the product replicas, every other path
/// to `rest` (the gateway, or each other service's routes in a test).
pub fn routes(orders: Arc<Pool>, products: Arc<Pool>, rest: Routes) -> Routes {
    Arc::new(move |path: &str| {
        if path.starts_with("/orders") {
            format!("{}{path}", orders.pick())
        } else if path.starts_with("/products") {
            format!("{}{path}", products.pick())
        } else {
            rest(path)
        }
    })
}

/// Every path to the gateways (API bases) in turn.
pub fn spread(gateways: Arc<Pool>) -> Routes {
    Arc::new(move |path: &str| format!("{}{path}", gateways.pick()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_take_turns_and_a_replica_that_is_down_gets_none() {
        let pool = Pool::new(&["http://a".to_owned(), "http://b".to_owned()]);
        let picks: Vec<String> = (0..4).map(|_| pool.pick()).collect();
        assert_eq!(picks, ["http://a", "http://b", "http://a", "http://b"]);
        assert!(pool.down("http://a"));
        assert!(!pool.down("http://a"), "already down");
        assert!((0..3).all(|_| pool.pick() == "http://b"));
        assert_eq!(pool.up(), 1);
    }

    #[test]
    fn paths_go_to_their_pool_and_the_rest_elsewhere() {
        let orders = Pool::new(&["http://o".to_owned()]);
        let products = Pool::new(&["http://p".to_owned()]);
        let routes = routes(orders, products, super::super::api::under("http://g/api"));
        assert_eq!(routes("/orders/1"), "http://o/orders/1");
        assert_eq!(routes("/products"), "http://p/products");
        assert_eq!(routes("/alerts"), "http://g/api/alerts");
        let gateways = Pool::new(&["http://g1/api".to_owned(), "http://g2/api".to_owned()]);
        let spread = spread(gateways.clone());
        assert_eq!(spread("/orders"), "http://g1/api/orders");
        assert_eq!(spread("/alerts"), "http://g2/api/alerts");
        gateways.down("http://g2/api");
        assert_eq!(spread("/products"), "http://g1/api/products");
    }
}
