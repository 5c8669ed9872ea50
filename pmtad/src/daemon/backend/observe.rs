//! What the HTTP interface reads beyond the control verbs: its settings, the `/metrics`
//! snapshot (one pass over the queues under the state lock, as the listings make) and the
//! traffic totals behind the web page's chart.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::DaemonBackend;
use super::listing;
use crate::daemon::Shared;
use crate::http::{HttpHost, MetricsSnapshot, QueueMetrics, TrafficTotals};
use crate::inbound::InboundStats;
use crate::logs::clock::now_secs;
use crate::sched::Mode;

impl HttpHost for DaemonBackend {
    fn http_settings(&self) -> config::HttpMgmt {
        self.shared.policies().config.http.clone()
    }

    fn metrics(&self) -> MetricsSnapshot {
        let mut snap = queue_metrics(&self.shared);
        let spool = self.shared.spool.stats();
        let inbound = self.inbound.snapshot();
        snap.connections_in = inbound.active;
        snap.connections_refused_in = inbound.refused;
        snap.source_groups = source_groups(&self.shared, &self.inbound);
        snap.tls_handshakes_in = inbound.tls_handshakes;
        snap.spool_bytes = spool.disk_bytes;
        snap.spool_messages = spool.live_messages;
        snap.fsync = self.shared.spool.fsync_latency();
        let m = &self.shared.metrics;
        snap.dns_failures = m.dns_failures.load(Ordering::Relaxed);
        snap.tls_handshakes_out = m.tls_handshakes_out.load(Ordering::Relaxed);
        snap.cluster = self.shared.cluster.as_ref().map(|c| c.metrics());
        snap
    }

    fn traffic_totals(&self) -> TrafficTotals {
        let c = &self.shared.counters;
        TrafficTotals {
            received: c.rcpts_in.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            bounced: c.bounced.load(Ordering::Relaxed),
            deferred: c.deferred.load(Ordering::Relaxed),
        }
    }

    fn log_event(&self, text: String) {
        self.shared.logs.event(text);
    }
}

/// Every configured `<source-group>` (0 before its first connection) and any group a
/// reload removed that has been seen: (name, open, refused).
fn source_groups(shared: &Shared, inbound: &InboundStats) -> Vec<(String, u64, u64)> {
    let mut seen = inbound.admission().groups();
    for name in shared.policies().inbound_limits.groups.keys() {
        seen.entry(name.clone()).or_default();
    }
    seen.into_iter()
        .map(|(name, c)| (name, c.active as u64, c.refused))
        .collect()
}

/// Per-queue numbers, outbound connections and open connections per destination IP.
fn queue_metrics(shared: &Shared) -> MetricsSnapshot {
    let (now, now_s) = (Instant::now(), now_secs());
    let mut st = shared.state();
    let mut queues = Vec::with_capacity(st.index.len());
    let mut per_ip: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..st.index.len() {
        let Some(q) = st.index.queue_at(i) else { break };
        let row = listing::row(&mut st, q, now);
        let tally = st.tally.get(q);
        if let Some(rt) = st.queues.get(&q) {
            for (ip, n) in rt.gate.per_ip() {
                *per_ip.entry(ip.to_string()).or_default() += u64::from(*n);
            }
        }
        queues.push(QueueMetrics {
            domain: row.domain.to_string(),
            vmta: row.vmta.to_string(),
            received: tally.received,
            delivered: tally.delivered,
            bounced: tally.bounced,
            deferred: tally.deferred,
            rcpts: row.rcpts,
            oldest_age_secs: row.oldest.map_or(0, |o| now_s.saturating_sub(o)),
            connections: u64::from(row.connections),
            backoff: row.mode == Mode::Backoff,
            paused: row.paused,
        });
    }
    MetricsSnapshot {
        queues,
        destination_connections: per_ip.into_iter().collect(),
        connections_out: u64::from(st.total_out),
        ..MetricsSnapshot::default()
    }
}
