//! `version` and `show status`: identity, traffic over three windows, connections, queue
//! totals and the spool's disk use.
//!
//! The daemon keeps only running totals (atomics bumped on the hot path); the last-minute
//! and last-hour windows come from a sampler that copies the totals once a second into a
//! ring of an hour's samples, so the hot path pays nothing for them. The same sampler tracks
//! the highest connection counts seen.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use proto::time::rfc3339;
use proto::{
    ConnectionCount, ConnectionTotals, Counts, DaemonState, InOut, PROTOCOL_VERSION,
    SourceGroupConnections, SpoolStatus, Status, Traffic, VersionInfo, kbytes,
};

use super::listing;
use crate::daemon::Shared;
use crate::inbound::InboundStats;

/// An hour of one-second samples.
const HOUR: usize = 3600;
const MINUTE: usize = 60;

/// Running totals at one instant.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    in_rcpts: u64,
    in_msgs: u64,
    in_bytes: u64,
    out_rcpts: u64,
    out_msgs: u64,
    out_bytes: u64,
}

/// The sampler's ring plus the connection peaks.
#[derive(Debug, Default)]
pub struct TrafficLog {
    inner: Mutex<TrafficInner>,
}

#[derive(Debug, Default)]
struct TrafficInner {
    samples: VecDeque<Sample>,
    top_in: u32,
    top_out: u32,
}

fn take(shared: &Shared, inbound: &InboundStats) -> Sample {
    let c = &shared.counters;
    let i = inbound.snapshot();
    Sample {
        in_rcpts: c.rcpts_in.load(Ordering::Relaxed),
        in_msgs: c.msgs_in.load(Ordering::Relaxed),
        in_bytes: i.bytes,
        out_rcpts: c.delivered.load(Ordering::Relaxed),
        out_msgs: c.msgs_out.load(Ordering::Relaxed),
        out_bytes: c.bytes_out.load(Ordering::Relaxed),
    }
}

impl TrafficLog {
    fn record(&self, s: Sample, conns_in: u32, conns_out: u32) {
        let mut g = crate::locks::lock(&self.inner);
        if g.samples.len() == HOUR {
            g.samples.pop_front();
        }
        g.samples.push_back(s);
        g.top_in = g.top_in.max(conns_in);
        g.top_out = g.top_out.max(conns_out);
    }

    /// Traffic since start, over the last hour and the last minute, ending at `now`.
    fn traffic(&self, now: Sample) -> Traffic {
        let g = crate::locks::lock(&self.inner);
        let back = |n: usize| {
            let len = g.samples.len();
            g.samples
                .get(len.saturating_sub(n))
                .copied()
                .unwrap_or_default()
        };
        Traffic {
            total: delta(now, Sample::default()),
            last_hour: delta(now, back(HOUR)),
            last_minute: delta(now, back(MINUTE)),
        }
    }

    /// Peaks including the current values.
    fn peaks(&self, conns_in: u32, conns_out: u32) -> (u32, u32) {
        let mut g = crate::locks::lock(&self.inner);
        g.top_in = g.top_in.max(conns_in);
        g.top_out = g.top_out.max(conns_out);
        (g.top_in, g.top_out)
    }
}

fn delta(now: Sample, then: Sample) -> InOut {
    let counts = |r: u64, m: u64, b: u64| Counts {
        rcpts: r,
        msgs: m,
        kbytes: kbytes(b),
    };
    InOut {
        inbound: counts(
            now.in_rcpts.saturating_sub(then.in_rcpts),
            now.in_msgs.saturating_sub(then.in_msgs),
            now.in_bytes.saturating_sub(then.in_bytes),
        ),
        outbound: counts(
            now.out_rcpts.saturating_sub(then.out_rcpts),
            now.out_msgs.saturating_sub(then.out_msgs),
            now.out_bytes.saturating_sub(then.out_bytes),
        ),
    }
}

fn conns_in(inbound: &InboundStats) -> u32 {
    u32::try_from(inbound.snapshot().active).unwrap_or(u32::MAX)
}

/// Samples the totals once a second until the daemon shuts down.
pub fn spawn_sampler(shared: Arc<Shared>, inbound: Arc<InboundStats>, log: Arc<TrafficLog>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let out = shared.state().total_out;
            log.record(take(&shared, &inbound), conns_in(&inbound), out);
        }
    });
}

/// `version`.
pub fn version(shared: &Shared) -> VersionInfo {
    VersionInfo {
        product: "pmtad".into(),
        daemon_version: env!("CARGO_PKG_VERSION").into(),
        protocol: PROTOCOL_VERSION,
        host_name: shared.host_name(),
        started_at: rfc3339(shared.started),
    }
}

/// `show status`.
pub fn status(shared: &Shared, inbound: &InboundStats, log: &TrafficLog) -> Status {
    let now = SystemTime::now();
    let (cin, cout) = (conns_in(inbound), shared.state().total_out);
    let (top_in, top_out) = log.peaks(cin, cout);
    let cfg = shared.policies();
    let limit = |n: u64| Some(u32::try_from(n).unwrap_or(u32::MAX));
    let mut queues = listing::totals(shared);
    let spool = spool_status(shared);
    queues.msgs = spool.messages;
    Status {
        host_name: shared.host_name(),
        daemon_version: env!("CARGO_PKG_VERSION").into(),
        time_now: rfc3339(now),
        started_at: rfc3339(shared.started),
        uptime_secs: now
            .duration_since(shared.started)
            .unwrap_or_default()
            .as_secs(),
        state: if shared.shutdown.is_cancelled() {
            DaemonState::ShuttingDown
        } else {
            DaemonState::Running
        },
        traffic: log.traffic(take(shared, inbound)),
        connections: ConnectionTotals {
            inbound: ConnectionCount {
                active: cin,
                top: top_in,
                maximum: limit(cfg.config.total_max_smtp_in),
            },
            outbound: ConnectionCount {
                active: cout,
                top: top_out,
                maximum: limit(cfg.config.total_max_smtp_out),
            },
        },
        queues,
        spool,
        inbound_refused: inbound.snapshot().refused,
        source_groups: source_groups(&cfg.inbound_limits, inbound),
        returnpath: super::reports::counters(shared),
    }
}

/// The configured `<source-group>`s with their live counts, then any group a reload
/// removed that still has connections open.
fn source_groups(
    limits: &crate::inbound::InboundLimits,
    inbound: &InboundStats,
) -> Vec<SourceGroupConnections> {
    let n32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut live = inbound.admission().groups();
    let mut rows: Vec<_> = limits
        .groups
        .iter()
        .map(|(name, limit)| {
            let c = live.remove(name).unwrap_or_default();
            SourceGroupConnections {
                name: name.clone(),
                active: n32(c.active),
                top: n32(c.top),
                maximum: limit.max.map(n32),
                reserved: n32(limit.reserved),
                refused: c.refused,
            }
        })
        .collect();
    rows.extend(
        live.into_iter()
            .filter(|(_, c)| c.active > 0)
            .map(|(name, c)| SourceGroupConnections {
                name,
                active: n32(c.active),
                top: n32(c.top),
                maximum: None,
                reserved: 0,
                refused: c.refused,
            }),
    );
    rows
}

fn spool_status(shared: &Shared) -> SpoolStatus {
    let stats = shared.spool.stats();
    let root = shared.spool.root();
    SpoolStatus {
        path: root.display().to_string(),
        messages: stats.live_messages,
        kbytes_used: kbytes(stats.disk_bytes),
        kbytes_free: crate::daemon::space::free_bytes(root).unwrap_or(0) / 1024,
        kbytes_min_free: kbytes(shared.policies().config.spool_min_free_space),
        intake_refused_since: shared.space.refused_since().map(rfc3339),
        recovered: true,
        fsyncs: stats.fsyncs,
        unsynced_completions: stats.unsynced_completions,
        recovered_unclean: stats.recovered_unclean,
        body_cache: proto::BodyCacheStatus {
            kbytes: kbytes(stats.body_cache_bytes),
            kbytes_budget: kbytes(stats.body_cache_budget),
            messages: stats.body_cache_entries,
            hits: stats.body_cache_hits,
            misses: stats.body_cache_misses,
        },
    }
}
