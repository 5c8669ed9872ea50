//! `GET /metrics`: the daemon's numbers in Prometheus' text format, encoded by
//! prometheus-client from a snapshot taken at scrape time.
//!
//! Label cardinality is bounded: only the `http-metrics-top-queues` busiest queues (most
//! recipients queued, then most traffic since start) get series of their own; the others
//! are summed into one `queue="other"` series. Per-virtual-MTA series are bounded by the
//! config, per-destination-IP ones by the open connections.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;

use crate::metrics::HistogramSnapshot;

/// One queue's numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueMetrics {
    pub domain: String,
    pub vmta: String,
    pub received: u64,
    pub delivered: u64,
    pub bounced: u64,
    pub deferred: u64,
    /// Recipients queued now.
    pub rcpts: u64,
    pub oldest_age_secs: u64,
    pub connections: u64,
    pub backoff: bool,
    pub paused: bool,
}

/// Everything `/metrics` shows, read once per scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSnapshot {
    pub queues: Vec<QueueMetrics>,
    /// Open outbound connections per destination IP.
    pub destination_connections: Vec<(String, u64)>,
    pub connections_in: u64,
    pub connections_out: u64,
    /// Inbound connections told 421 4.3.2 and closed (any limit), since start.
    pub connections_refused_in: u64,
    /// Per `<source-group>`: (name, open connections, refused since start).
    pub source_groups: Vec<(String, u64, u64)>,
    pub spool_bytes: u64,
    pub spool_messages: u64,
    pub fsync: HistogramSnapshot,
    pub dns_failures: u64,
    pub tls_handshakes_in: u64,
    pub tls_handshakes_out: u64,
    /// Open HTTP management connections, and idle ones closed to make room for new ones
    /// (filled in by the HTTP server itself).
    pub http_connections: u64,
    pub http_connections_shed: u64,
    /// The fleet on this node (None: not in a fleet).
    pub cluster: Option<crate::cluster::FleetMetrics>,
}

/// Recipients since start, for the web page's chart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficTotals {
    pub received: u64,
    pub delivered: u64,
    pub bounced: u64,
    pub deferred: u64,
}

/// The text exposition of `snap`, with at most `top` queues named.
pub fn encode(snap: &MetricsSnapshot, top: u64) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape {
        queues: top_queues(&snap.queues, usize::try_from(top).unwrap_or(usize::MAX)),
        snap: snap.clone(),
    }));
    let mut out = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}

/// The `top` busiest queues, each under its `domain/vmta` name, then the rest summed as
/// `other` (only when there is a rest).
fn top_queues(all: &[QueueMetrics], top: usize) -> Vec<(String, QueueMetrics)> {
    let mut ranked: Vec<&QueueMetrics> = all.iter().collect();
    ranked.sort_by(|a, b| {
        let key = |q: &QueueMetrics| (q.rcpts, q.received + q.delivered + q.bounced + q.deferred);
        key(b)
            .cmp(&key(a))
            .then_with(|| (&a.domain, &a.vmta).cmp(&(&b.domain, &b.vmta)))
    });
    let rest = ranked.split_off(top.min(ranked.len()));
    let mut out: Vec<(String, QueueMetrics)> = ranked
        .into_iter()
        .map(|q| (format!("{}/{}", q.domain, q.vmta), q.clone()))
        .collect();
    if !rest.is_empty() {
        out.push(("other".into(), sum_other(&rest)));
    }
    out
}

/// The queues outside the top summed; `backoff`/`paused` say whether any of them is.
fn sum_other(rest: &[&QueueMetrics]) -> QueueMetrics {
    let mut o = QueueMetrics {
        domain: "other".into(),
        vmta: "other".into(),
        ..QueueMetrics::default()
    };
    for q in rest {
        o.received += q.received;
        o.delivered += q.delivered;
        o.bounced += q.bounced;
        o.deferred += q.deferred;
        o.rcpts += q.rcpts;
        o.connections += q.connections;
        o.oldest_age_secs = o.oldest_age_secs.max(q.oldest_age_secs);
        o.backoff |= q.backoff;
        o.paused |= q.paused;
    }
    o
}

#[derive(Debug)]
struct Scrape {
    queues: Vec<(String, QueueMetrics)>,
    snap: MetricsSnapshot,
}

type Labels = Vec<(&'static str, String)>;

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.queue_families(&mut enc)?;
        self.vmta_families(&mut enc)?;
        self.global_families(&mut enc)
    }
}

impl Scrape {
    fn queue_labels(&self) -> impl Iterator<Item = (Labels, &QueueMetrics)> {
        self.queues.iter().map(|(name, q)| {
            let vmta = if name == "other" {
                "other"
            } else {
                q.vmta.as_str()
            };
            (vec![("queue", name.clone()), ("vmta", vmta.to_string())], q)
        })
    }

    fn queue_families(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        type Get = fn(&QueueMetrics) -> u64;
        let counters: [(&str, &str, Get); 4] = [
            (
                "pmtad_recipients_received",
                "Recipients accepted for the queue (accounting r records)",
                |q| q.received,
            ),
            (
                "pmtad_recipients_delivered",
                "Recipients delivered (accounting d records)",
                |q| q.delivered,
            ),
            (
                "pmtad_recipients_bounced",
                "Recipients bounced after an attempt (accounting b records)",
                |q| q.bounced,
            ),
            (
                "pmtad_recipients_deferred",
                "Attempts that left recipients queued for a retry (accounting t records)",
                |q| q.deferred,
            ),
        ];
        for (name, help, get) in counters {
            let rows: Vec<(Labels, u64)> = self.queue_labels().map(|(l, q)| (l, get(q))).collect();
            family(enc, name, help, MetricType::Counter, &rows)?;
        }
        let gauges: [(&str, &str, Get); 5] = [
            ("pmtad_queue_recipients", "Recipients queued now", |q| {
                q.rcpts
            }),
            (
                "pmtad_queue_oldest_age_seconds",
                "Age of the oldest queued message",
                |q| q.oldest_age_secs,
            ),
            (
                "pmtad_queue_connections",
                "Open outbound connections of the queue",
                |q| q.connections,
            ),
            (
                "pmtad_queue_backoff",
                "1 while the queue (for other: any of them) is in backoff mode",
                |q| u64::from(q.backoff),
            ),
            (
                "pmtad_queue_paused",
                "1 while the queue (for other: any of them) is paused",
                |q| u64::from(q.paused),
            ),
        ];
        for (name, help, get) in gauges {
            let rows: Vec<(Labels, u64)> = self.queue_labels().map(|(l, q)| (l, get(q))).collect();
            family(enc, name, help, MetricType::Gauge, &rows)?;
        }
        Ok(())
    }

    /// Every queue (not just the top ones) summed per virtual MTA.
    fn vmta_families(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut by_vmta: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
        for q in &self.snap.queues {
            let row = by_vmta.entry(q.vmta.as_str()).or_default();
            for (slot, n) in row
                .iter_mut()
                .zip([q.received, q.delivered, q.bounced, q.deferred])
            {
                *slot += n;
            }
        }
        let names = ["received", "delivered", "bounced", "deferred"];
        for (i, what) in names.iter().enumerate() {
            let rows: Vec<(Labels, u64)> = by_vmta
                .iter()
                .map(|(v, n)| (vec![("vmta", v.to_string())], n[i]))
                .collect();
            let name = format!("pmtad_vmta_recipients_{what}");
            let help = format!("Recipients {what}, summed over the virtual MTA's queues");
            family(enc, &name, &help, MetricType::Counter, &rows)?;
        }
        Ok(())
    }

    /// Open and refused inbound connections per `<source-group>`.
    fn group_families(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let groups = &self.snap.source_groups;
        let rows = |pick: fn(&(String, u64, u64)) -> u64| -> Vec<(Labels, u64)> {
            groups
                .iter()
                .map(|g| (vec![("group", g.0.clone())], pick(g)))
                .collect()
        };
        family(
            enc,
            "pmtad_source_group_connections",
            "Open inbound connections of the <source-group>",
            MetricType::Gauge,
            &rows(|g| g.1),
        )?;
        family(
            enc,
            "pmtad_source_group_connections_refused",
            "Inbound connections of the <source-group> told 421 4.3.2 and closed",
            MetricType::Counter,
            &rows(|g| g.2),
        )
    }

    /// Only for a node in a fleet: whether its cluster limits are in the fallback (Redis
    /// unreachable; one flag, since one Redis holds every cluster limit), labelled with the
    /// `cluster-fallback` in force, the nodes it counts, and the leases it holds.
    fn cluster_families(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(c) = self.snap.cluster else {
            return Ok(());
        };
        let policy = vec![("policy", c.policy.to_string())];
        family(
            enc,
            "pmtad_cluster_fallback",
            "1 while Redis is unreachable and the cluster-* limits follow cluster-fallback",
            MetricType::Gauge,
            &[(policy, u64::from(c.fallback))],
        )?;
        family(
            enc,
            "pmtad_cluster_nodes",
            "Nodes of the fleet alive at the last heartbeat that reached Redis",
            MetricType::Gauge,
            &[(Labels::new(), c.nodes)],
        )?;
        family(
            enc,
            "pmtad_cluster_leases",
            "cluster-max-smtp-out connection leases this node holds",
            MetricType::Gauge,
            &[(Labels::new(), c.leases)],
        )?;
        family(
            enc,
            "pmtad_cluster_redis_calls",
            "Round trips this node asked of Redis (leases, rate tokens, heartbeats)",
            MetricType::Counter,
            &[(Labels::new(), c.redis_calls)],
        )
    }

    fn global_families(&self, enc: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.snap;
        let dir = |d: &str, n| (vec![("direction", d.to_string())], n);
        let conns = [
            dir("inbound", s.connections_in),
            dir("outbound", s.connections_out),
        ];
        family(
            enc,
            "pmtad_smtp_connections",
            "Open SMTP connections",
            MetricType::Gauge,
            &conns,
        )?;
        family(
            enc,
            "pmtad_smtp_connections_refused",
            "Inbound connections told 421 4.3.2 and closed (total-max-smtp-in or a <source-group> limit)",
            MetricType::Counter,
            &[(Labels::new(), s.connections_refused_in)],
        )?;
        self.group_families(enc)?;
        self.cluster_families(enc)?;
        let dest: Vec<(Labels, u64)> = s
            .destination_connections
            .iter()
            .map(|(ip, n)| (vec![("ip", ip.clone())], *n))
            .collect();
        family(
            enc,
            "pmtad_destination_connections",
            "Open outbound connections per destination IP",
            MetricType::Gauge,
            &dest,
        )?;
        let one = |n| [(Labels::new(), n)];
        family(
            enc,
            "pmtad_spool_bytes",
            "Bytes the spool holds on disk",
            MetricType::Gauge,
            &one(s.spool_bytes),
        )?;
        family(
            enc,
            "pmtad_spool_messages",
            "Messages in the spool not yet final",
            MetricType::Gauge,
            &one(s.spool_messages),
        )?;
        family(
            enc,
            "pmtad_dns_failures",
            "Routing lookups (MX, A/AAAA) that failed",
            MetricType::Counter,
            &one(s.dns_failures),
        )?;
        let tls = [
            dir("inbound", s.tls_handshakes_in),
            dir("outbound", s.tls_handshakes_out),
        ];
        family(
            enc,
            "pmtad_tls_handshakes",
            "Completed STARTTLS handshakes",
            MetricType::Counter,
            &tls,
        )?;
        family(
            enc,
            "pmtad_http_connections",
            "Open connections to the HTTP management interface",
            MetricType::Gauge,
            &one(s.http_connections),
        )?;
        family(
            enc,
            "pmtad_http_connections_shed",
            "Idle HTTP management connections closed to let a new client in",
            MetricType::Counter,
            &one(s.http_connections_shed),
        )?;
        let f = &s.fsync;
        let mut m = enc.encode_descriptor(
            "pmtad_spool_fsync_seconds",
            "Time of each spool fsync (a 250 waits for one)",
            None,
            MetricType::Histogram,
        )?;
        m.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
            f.sum_secs, f.count, &f.buckets, None,
        )
    }
}

/// One metric family with a sample per label set; none at all when there are no samples
/// (an empty family says nothing, and strict parsers stumble over it).
fn family(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    rows: &[(Labels, u64)],
) -> Result<(), std::fmt::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, v) in rows {
        let sample = m.encode_family(labels)?;
        match kind {
            MetricType::Counter => ConstCounter::new(*v).encode(sample)?,
            _ => ConstGauge::new(i64::try_from(*v).unwrap_or(i64::MAX)).encode(sample)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(domain: &str, rcpts: u64, delivered: u64) -> QueueMetrics {
        QueueMetrics {
            domain: domain.into(),
            vmta: "{default}".into(),
            rcpts,
            delivered,
            ..QueueMetrics::default()
        }
    }

    #[test]
    fn only_the_top_queues_are_named_and_the_rest_is_other() {
        let snap = MetricsSnapshot {
            queues: vec![
                q("a.test", 5, 0),
                q("b.test", 0, 7),
                q("c.test", 0, 1),
                q("d.test", 0, 2),
            ],
            ..MetricsSnapshot::default()
        };
        let text = encode(&snap, 2);
        assert!(
            text.contains(
                r#"pmtad_recipients_delivered_total{queue="b.test/{default}",vmta="{default}"} 7"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"pmtad_queue_recipients{queue="a.test/{default}",vmta="{default}"} 5"#),
            "{text}"
        );
        assert!(
            text.contains(r#"pmtad_recipients_delivered_total{queue="other",vmta="other"} 3"#),
            "{text}"
        );
        assert!(!text.contains("c.test"), "{text}");
        assert!(
            text.contains(r#"pmtad_vmta_recipients_delivered_total{vmta="{default}"} 10"#),
            "{text}"
        );
        assert!(text.contains("pmtad_spool_fsync_seconds_count 0"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        let no_rest = encode(&snap, 100);
        assert!(!no_rest.contains("\"other\""), "{no_rest}");
    }
}
