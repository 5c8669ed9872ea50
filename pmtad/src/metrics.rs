//! Counters the hot paths bump for `/metrics`, kept as cheap as possible: relaxed atomics,
//! or plain integers next to state a path already holds the lock of. Everything else the
//! metrics show (queue depth, oldest age, connections, backoff) is read from existing state
//! at scrape time, so delivery pays nothing for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::queue::QueueId;

/// Daemon-wide counters with no better home (inbound STARTTLS is counted by the listener's
/// own `InboundStats`).
#[derive(Debug, Default)]
pub struct DaemonMetrics {
    /// Routing lookups (MX, A/AAAA) that failed.
    pub dns_failures: AtomicU64,
    /// Outbound connections that completed a STARTTLS handshake.
    pub tls_handshakes_out: AtomicU64,
}

impl DaemonMetrics {
    pub fn dns_failure(&self) {
        self.dns_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn tls_handshake_out(&self) {
        self.tls_handshakes_out.fetch_add(1, Ordering::Relaxed);
    }
}

/// Per-queue recipient counts since start, indexed by queue (queues are never removed
/// from the index, so a queue's counts only grow). Lives inside the daemon's state and is
/// updated under the lock the intake and outcome paths already hold.
#[derive(Debug, Default)]
pub struct QueueTally {
    rows: Vec<Tally>,
}

/// One queue's recipient counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub received: u64,
    pub delivered: u64,
    pub bounced: u64,
    pub deferred: u64,
}

impl Tally {
    /// All four added up: how busy the queue has been (ranks queues for `/metrics`).
    pub fn traffic(&self) -> u64 {
        self.received + self.delivered + self.bounced + self.deferred
    }
}

impl QueueTally {
    pub fn row(&mut self, q: QueueId) -> &mut Tally {
        let i = q.index();
        if i >= self.rows.len() {
            self.rows.resize(i + 1, Tally::default());
        }
        &mut self.rows[i]
    }

    pub fn get(&self, q: QueueId) -> Tally {
        self.rows.get(q.index()).copied().unwrap_or_default()
    }
}

/// Upper bounds (seconds) of the fsync latency buckets: 100 µs to 2.5 s.
pub const FSYNC_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

/// A fixed-bucket latency histogram of atomics: one `fetch_add` per bucket hit plus sum and
/// count, no lock, no allocation.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Per bucket of [`FSYNC_BUCKETS`], plus one for `+Inf`; not cumulative.
    buckets: [AtomicU64; FSYNC_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

/// A histogram as read at scrape time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistogramSnapshot {
    /// `(upper bound, observations in this bucket only)`; the last bound is `f64::MAX`,
    /// which the text encoder writes as `+Inf` (and it adds the buckets up itself).
    pub buckets: Vec<(f64, u64)>,
    pub sum_secs: f64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = FSYNC_BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(FSYNC_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let bounds = FSYNC_BUCKETS.iter().copied().chain([f64::MAX]);
        let buckets: Vec<(f64, u64)> = bounds
            .zip(&self.buckets)
            .map(|(b, n)| (b, n.load(Ordering::Relaxed)))
            .collect();
        HistogramSnapshot {
            // The buckets' total, so count and +Inf agree even mid-update.
            count: buckets.iter().map(|(_, n)| n).sum(),
            buckets,
            sum_secs: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_each_observation_in_its_bucket() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let s = h.snapshot();
        assert_eq!(s.count, 3);
        assert_eq!(s.buckets[0], (0.0001, 1));
        assert_eq!(s.buckets[5], (0.005, 1));
        assert_eq!(*s.buckets.last().unwrap(), (f64::MAX, 1));
        assert!((s.sum_secs - 10.00305).abs() < 1e-9);
    }

    #[test]
    fn tally_grows_per_queue() {
        let mut t = QueueTally::default();
        let id = crate::queue::QueueId::from_index(3);
        t.row(id).delivered += 2;
        assert_eq!(t.get(id).delivered, 2);
        assert_eq!(
            t.get(crate::queue::QueueId::from_index(9)),
            Tally::default()
        );
    }
}
