//! The body cache: the records of freshly stored messages kept in memory, so a message
//! accepted moments ago is delivered without reading the spool back (no `pread`, no page
//! cache copy, no blocking-pool hand-off).
//!
//! Bytes-budgeted (`body-cache-size`, 64 MiB by default): past the budget the oldest entries
//! go first and their messages are read from the spool as before, as is everything after a
//! restart (the cache starts empty) and every message with external (spilled) content. An
//! entry goes when its message becomes final. The writer thread fills it with the record it
//! just made durable (moved, not copied); readers take an `Arc` and decode outside the lock.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Records by message id, oldest first for eviction.
#[derive(Debug, Default)]
pub struct BodyCache {
    map: HashMap<u64, Arc<Vec<u8>>>,
    /// Insertion order; may hold ids already gone (removed when final), skipped on eviction
    /// and swept when they outnumber the live entries.
    order: VecDeque<u64>,
    bytes: u64,
    budget: u64,
}

impl BodyCache {
    pub fn new(budget: u64) -> Self {
        BodyCache {
            budget,
            ..BodyCache::default()
        }
    }

    /// Keeps `rec` for message `id`, evicting the oldest entries past the budget. A record
    /// larger than the whole budget is not kept.
    pub fn insert(&mut self, id: u64, rec: Arc<Vec<u8>>) {
        let len = rec.len() as u64;
        if len > self.budget {
            return;
        }
        if let Some(old) = self.map.insert(id, rec) {
            self.bytes -= old.len() as u64;
        }
        self.bytes += len;
        self.order.push_back(id);
        while self.bytes > self.budget {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.remove(oldest);
        }
        if self.order.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            self.order.retain(|id| map.contains_key(id));
        }
    }

    pub fn get(&self, id: u64) -> Option<Arc<Vec<u8>>> {
        self.map.get(&id).cloned()
    }

    /// Drops the entry of a message that became final (or was evicted).
    pub fn remove(&mut self, id: u64) {
        if let Some(old) = self.map.remove(&id) {
            self.bytes -= old.len() as u64;
        }
    }

    /// Bytes of records held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn entries(&self) -> usize {
        self.map.len()
    }

    pub fn budget(&self) -> u64 {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: usize) -> Arc<Vec<u8>> {
        Arc::new(vec![0; n])
    }

    #[test]
    fn the_oldest_entries_go_past_the_budget() {
        let mut c = BodyCache::new(250);
        for id in 0..5 {
            c.insert(id, rec(100));
        }
        assert_eq!((c.entries(), c.bytes()), (2, 200));
        assert!(c.get(2).is_none() && c.get(3).is_some() && c.get(4).is_some());
    }

    #[test]
    fn removed_entries_free_their_bytes_and_oversized_ones_are_not_kept() {
        let mut c = BodyCache::new(250);
        c.insert(1, rec(100));
        c.remove(1);
        c.insert(2, rec(300));
        assert_eq!((c.entries(), c.bytes()), (0, 0));
        for id in 0..10_000 {
            c.insert(id, rec(10));
            c.remove(id);
        }
        assert!(
            c.order.len() <= 1024 + 2,
            "stale ids swept: {}",
            c.order.len()
        );
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let mut c = BodyCache::new(0);
        c.insert(1, rec(1));
        assert_eq!(c.entries(), 0);
    }
}
