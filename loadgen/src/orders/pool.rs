//! The shop path's customers, one session at a time each: a cart belongs to its customer, so
//! two sessions filling one customer's cart at once would check out each other's lines. A
//! session *leases* a free customer for its cart and checkout and gives it back when the
//! checkout has answered (the following of the order needs only the token). A customer given
//! back after a checkout that did not answer 201 may still hold lines (or a claim), so it is
//! marked *dirty* and the next session that leases it empties its cart first.
//!
//! When every customer is leased the pool says so ([`Pool::lease`] answers `None`) and the
//! session registers a new one, which then joins the pool: the pool grows to what the rate
//! needs, and how many were added is reported with the stage (a registration is an argon2 hash
//! in customer-service, load the stage did not offer).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
};

/// One customer of the shop path.
#[derive(Debug)]
pub struct Customer {
    /// Their email.
    pub email: String,
    /// Their latest access token.
    pub token: Mutex<String>,
}

impl Customer {
    /// A customer signed in with `token`.
    pub fn new(email: String, token: String) -> Arc<Self> {
        Arc::new(Self {
            email,
            token: Mutex::new(token),
        })
    }

    /// The latest access token.
    pub fn token(&self) -> String {
        self.token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keeps a new access token.
    pub fn set_token(&self, token: &str) {
        token.clone_into(&mut self.token.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// A free customer, and whether their cart may hold something.
#[derive(Debug)]
struct Free {
    customer: Arc<Customer>,
    dirty: bool,
}

#[derive(Debug, Default)]
struct State {
    /// Given back longest ago first.
    free: VecDeque<Free>,
    /// Every customer the pool has known.
    known: usize,
    /// Leased now.
    in_use: usize,
    /// The most leased at once since [`Pool::take_counts`].
    peak: usize,
    /// Customers that joined since [`Pool::take_counts`].
    added: usize,
}

/// The customers not leased now.
#[derive(Debug, Default)]
pub struct Pool {
    state: Mutex<State>,
}

/// A customer leased by one session; give it back with [`Pool::give_back`].
#[derive(Debug)]
pub struct Lease {
    /// The customer.
    pub customer: Arc<Customer>,
    /// Their cart may hold lines from a checkout that did not answer: empty it first.
    pub dirty: bool,
}

/// How the pool was used since the counts were last taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Customers the pool holds in all.
    pub customers: usize,
    /// The most leased at once.
    pub peak_in_use: usize,
    /// Customers registered because none was free.
    pub added: usize,
}

impl Pool {
    /// A pool of `customers`, all free with empty carts.
    pub fn new(customers: Vec<Arc<Customer>>) -> Self {
        let known = customers.len();
        let free = customers
            .into_iter()
            .map(|customer| Free {
                customer,
                dirty: false,
            })
            .collect();
        Self {
            state: Mutex::new(State {
                free,
                known,
                ..State::default()
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A free customer, the one given back longest ago first (so carts rest between uses), or
    /// `None` when every customer is leased.
    pub fn lease(&self) -> Option<Lease> {
        let mut state = self.state();
        let Free { customer, dirty } = state.free.pop_front()?;
        state.in_use += 1;
        state.peak = state.peak.max(state.in_use);
        Some(Lease { customer, dirty })
    }

    /// Leases a customer that was just registered because none was free: it joins the pool.
    pub fn lease_new(&self, customer: Arc<Customer>) -> Lease {
        let mut state = self.state();
        state.known += 1;
        state.added += 1;
        state.in_use += 1;
        state.peak = state.peak.max(state.in_use);
        Lease {
            customer,
            dirty: false,
        }
    }

    /// Gives a leased customer back; `clean` when their cart is known empty (the checkout
    /// answered 201, or the cart was emptied).
    pub fn give_back(&self, lease: Lease, clean: bool) {
        let mut state = self.state();
        state.in_use = state.in_use.saturating_sub(1);
        state.free.push_back(Free {
            customer: lease.customer,
            dirty: !clean,
        });
    }

    /// The counts since they were last taken; the peak starts again from what is leased now.
    pub fn take_counts(&self) -> Counts {
        let mut state = self.state();
        let counts = Counts {
            customers: state.known,
            peak_in_use: state.peak,
            added: state.added,
        };
        state.peak = state.in_use;
        state.added = 0;
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customers(n: usize) -> Vec<Arc<Customer>> {
        (0..n)
            .map(|i| Customer::new(format!("c{i}@bench.example.com"), format!("t{i}")))
            .collect()
    }

    #[test]
    fn a_customer_is_leased_to_one_session_at_a_time() {
        let pool = Pool::new(customers(2));
        let a = pool.lease().expect("a free customer");
        let b = pool.lease().expect("another free customer");
        assert_ne!(a.customer.email, b.customer.email);
        assert!(pool.lease().is_none(), "both are leased");
        let email = a.customer.email.clone();
        pool.give_back(a, true);
        let again = pool.lease().expect("given back");
        assert_eq!(again.customer.email, email);
        assert!(!again.dirty);
    }

    #[test]
    fn the_customer_given_back_longest_ago_comes_first() {
        let pool = Pool::new(customers(3));
        let leases: Vec<Lease> = (0..3).filter_map(|_| pool.lease()).collect();
        let order: Vec<String> = leases.iter().map(|l| l.customer.email.clone()).collect();
        for lease in leases.into_iter().rev() {
            pool.give_back(lease, true);
        }
        let next: Vec<String> = (0..3)
            .filter_map(|_| pool.lease())
            .map(|l| l.customer.email.clone())
            .collect();
        let reversed: Vec<String> = order.into_iter().rev().collect();
        assert_eq!(next, reversed);
    }

    #[test]
    fn a_cart_left_by_a_failed_checkout_is_emptied_by_the_next_session() {
        let pool = Pool::new(customers(1));
        let lease = pool.lease().expect("free");
        pool.give_back(lease, false);
        let lease = pool.lease().expect("free again");
        assert!(lease.dirty, "the next session must empty the cart first");
        pool.give_back(lease, true);
        assert!(!pool.lease().expect("free").dirty);
    }

    #[test]
    fn the_pool_grows_when_every_customer_is_leased_and_counts_it() {
        let pool = Pool::new(customers(1));
        let first = pool.lease().expect("free");
        assert!(pool.lease().is_none());
        let added = pool.lease_new(Customer::new("new@bench.example.com".into(), "t".into()));
        assert!(!added.dirty);
        assert_eq!(
            pool.take_counts(),
            Counts {
                customers: 2,
                peak_in_use: 2,
                added: 1
            }
        );
        pool.give_back(first, true);
        // The peak starts again from what was leased when the counts were taken: two, then
        // one.
        assert_eq!(pool.take_counts().peak_in_use, 2);
        assert_eq!(
            pool.take_counts(),
            Counts {
                customers: 2,
                peak_in_use: 1,
                added: 0
            }
        );
        pool.give_back(added, true);
        assert!(pool.lease().is_some() && pool.lease().is_some());
        assert!(pool.lease().is_none(), "two customers, both leased");
    }

    #[test]
    fn a_token_is_replaced() {
        let customer = Customer::new("c@bench.example.com".into(), "old".into());
        customer.set_token("new");
        assert_eq!(customer.token(), "new");
    }
}
