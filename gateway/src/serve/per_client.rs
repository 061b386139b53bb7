//! A cap on the connections one client address holds open at once, so that one host cannot
//! take the gateway's open-file limit (issue 14, item 0b). Counted at accept and at close,
//! never per request.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

/// Open connections per client address.
pub struct PerClient {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection, counted until it is dropped.
pub struct Slot {
    counts: Option<(Arc<PerClient>, IpAddr)>,
}

impl PerClient {
    /// At most `max` connections per address (`0`: no cap).
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for a connection from `ip`, or `None` when it already holds `max`.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        if self.max == 0 {
            return Some(Slot { counts: None });
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let held = open.entry(ip).or_insert(0);
        if *held >= self.max {
            return None;
        }
        *held += 1;
        Some(Slot {
            counts: Some((self.clone(), ip)),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some((per_client, ip)) = self.counts.take() else {
            return;
        };
        let mut open = per_client.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = open.get_mut(&ip) {
            *held -= 1;
            if *held == 0 {
                open.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_cap_of_slots_and_another_after_one_is_given_back() {
        let per_client = PerClient::new(2);
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = per_client.admit(a).unwrap();
        let _second = per_client.admit(a).unwrap();
        assert!(
            per_client.admit(a).is_none(),
            "a third from the same address"
        );
        assert!(
            per_client.admit(b).is_some(),
            "another address is not held back"
        );
        drop(first);
        assert!(
            per_client.admit(a).is_some(),
            "a slot given back is free again"
        );
    }

    #[test]
    fn a_cap_of_zero_admits_everyone() {
        let per_client = PerClient::new(0);
        let ip = "10.0.0.1".parse().unwrap();
        let slots: Vec<_> = (0..1000).filter_map(|_| per_client.admit(ip)).collect();
        assert_eq!(slots.len(), 1000);
    }
}
