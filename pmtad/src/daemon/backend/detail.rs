//! `domain detail NAME`: the operator's answer to "why is this domain not sending?".
//!
//! Everything comes from what the scheduler and the delivery tasks recorded (the gate's
//! open connections and last hold, the mode, the last routing answer, recent events), so
//! the operator sees what the daemon saw, not a fresh guess. The only extra work is reading
//! MX preferences from the resolver's cache for hosts already resolved.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use config::{Delivery, QueuePolicy, TlsMode};
use proto::time::rfc3339_from_unix;
use proto::{
    Connections, ControlError, DestinationSource, Destinations, DomainDetail, HoldKind, HoldReason,
    IpConnections, MxHost, QueueDetail, kbytes,
};

use super::{config_verbs, events, listing};
use crate::daemon::{QueueRt, Shared, State};
use crate::envelope::DEFAULT_VMTA;
use crate::logs::clock::now_secs;
use crate::queue::QueueId;
use crate::sched::{Hold, Mode};

/// How long `domain detail` waits for the resolver (normally answered from its cache).
const MX_LOOKUP: Duration = Duration::from_millis(200);

/// The clocks one answer is computed at.
#[derive(Clone, Copy)]
struct Now {
    at: Instant,
    secs: u64,
}

impl Now {
    fn rfc(&self, t: Instant) -> String {
        events::instant_rfc3339(t, self.at, self.secs)
    }
}

pub async fn domain_detail(shared: &Shared, name: &str) -> Result<DomainDetail, ControlError> {
    let domain = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let now = Now {
        at: Instant::now(),
        secs: now_secs(),
    };
    let mut queues = snapshot(shared, &domain, now);
    if queues.is_empty() {
        queues.push(unqueued(shared, &domain)?);
    }
    for q in &mut queues {
        add_mx_preferences(shared, &domain, &mut q.destinations).await;
    }
    Ok(DomainDetail {
        rcpts: queues.iter().map(|q| q.rcpts).sum(),
        kbytes: queues.iter().map(|q| q.kbytes).sum(),
        domain,
        queues,
    })
}

/// The details of every queue of `domain`, under one hold of the state lock.
fn snapshot(shared: &Shared, domain: &str, now: Now) -> Vec<QueueDetail> {
    let policies = shared.policies();
    let mut st = shared.state();
    let ids = st.index.queues_of_domain(domain);
    ids.into_iter()
        .map(|q| {
            st.rt(q, &policies);
            queue_detail(&mut st, q, now, &policies.config)
        })
        .collect()
}

/// A domain with nothing queued: the queue its mail would use, so settings still show.
/// Unknown when no `<domain>` block applies to it either.
fn unqueued(shared: &Shared, domain: &str) -> Result<QueueDetail, ControlError> {
    let policies = shared.policies();
    let cfg = &policies.config;
    let settings = config_verbs::queue_settings(cfg, domain, DEFAULT_VMTA);
    if settings.iter().all(|s| s.origin == "default") {
        return Err(ControlError::NoSuchDomain(domain.to_string()));
    }
    let policy = policies.queue(domain, DEFAULT_VMTA);
    let paused = shared.state().index.rules().paused(domain, DEFAULT_VMTA);
    Ok(QueueDetail {
        domain: domain.to_string(),
        vmta: DEFAULT_VMTA.to_string(),
        rcpts: 0,
        kbytes: 0,
        oldest_age_secs: None,
        next_retry: None,
        paused,
        mode: proto::QueueMode::Normal,
        connections: limits_only(&policy),
        held_back: Vec::new(),
        destinations: configured_destinations(&policy).unwrap_or_else(unresolved),
        recent_errors: Vec::new(),
        recent_deliveries: Vec::new(),
        settings,
    })
}

fn limits_only(policy: &QueuePolicy) -> Connections {
    Connections {
        active: 0,
        max_smtp_out: Some(u32::try_from(policy.max_smtp_out).unwrap_or(u32::MAX)),
        max_smtp_out_per_ip: policy
            .max_smtp_out_per_ip
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        per_ip: Vec::new(),
    }
}

fn queue_detail(st: &mut State, q: QueueId, now: Now, cfg: &config::Config) -> QueueDetail {
    let row = listing::row(st, q, now.at);
    let vmta_full = vmta_at_limit(st, cfg, &row.vmta);
    let rt = st.queues.get(&q).expect("created by the caller");
    let destinations = destinations(rt, now);
    QueueDetail {
        domain: row.domain.to_string(),
        vmta: row.vmta.to_string(),
        rcpts: row.rcpts,
        kbytes: kbytes(row.bytes),
        oldest_age_secs: row.oldest.map(|o| now.secs.saturating_sub(o)),
        next_retry: listing::future(row.next_attempt, now.secs),
        paused: row.paused,
        mode: events::mode(row.mode),
        connections: connections(rt),
        held_back: holds(rt, &row, vmta_full, now),
        destinations,
        recent_errors: recent(&rt.recent_errors, &row.vmta, events::error_event),
        recent_deliveries: recent(&rt.recent_deliveries, &row.vmta, events::delivery_event),
        settings: config_verbs::queue_settings(cfg, &row.domain, &row.vmta),
    }
}

fn recent(
    list: &std::collections::VecDeque<(u64, String)>,
    vmta: &str,
    make: fn(u64, &str, &str) -> proto::Event,
) -> Vec<proto::Event> {
    list.iter()
        .rev()
        .map(|(at, t)| make(*at, vmta, t))
        .collect()
}

/// `max-smtp-out` of the virtual MTA, when its connections across queues reached it.
fn vmta_at_limit(st: &State, cfg: &config::Config, vmta: &str) -> Option<u32> {
    let max = cfg.vmta(vmta)?.max_smtp_out?;
    let max = u32::try_from(max).unwrap_or(u32::MAX);
    let open = st.vmta_out.get(vmta).copied().unwrap_or(0);
    (open >= max).then_some(max)
}

fn connections(rt: &QueueRt) -> Connections {
    let limits = rt.gate.limits();
    let host_of = |ip: &IpAddr| host_of(rt, ip);
    let mut per_ip: Vec<IpConnections> = rt
        .gate
        .per_ip()
        .iter()
        .map(|(ip, n)| IpConnections {
            ip: ip.to_string(),
            host: host_of(ip),
            active: *n,
        })
        .collect();
    per_ip.sort_by(|a, b| a.ip.cmp(&b.ip));
    Connections {
        active: rt.gate.active(),
        max_smtp_out: Some(limits.max_smtp_out),
        max_smtp_out_per_ip: limits.max_smtp_out_per_ip,
        per_ip,
    }
}

/// The host name an open connection's address was resolved from.
fn host_of(rt: &QueueRt, ip: &IpAddr) -> String {
    match &rt.resolved {
        Some(Ok(hosts)) => hosts
            .iter()
            .find(|(_, ips)| ips.contains(ip))
            .map(|(h, _)| h.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Every reason the queue is not sending now, most fundamental first.
fn holds(rt: &QueueRt, row: &listing::Row, vmta_full: Option<u32>, now: Now) -> Vec<HoldReason> {
    let mut out = Vec::new();
    let reason = |kind, detail: String, until: Option<String>| HoldReason {
        kind,
        detail,
        until,
    };
    if row.paused {
        out.push(reason(
            HoldKind::Paused,
            "paused by the operator (pmtactl resume queue)".into(),
            None,
        ));
    }
    if row.rcpts == 0 {
        return out;
    }
    if let Some(h) = gate_hold(rt, now) {
        out.push(h);
    }
    if let Some(max) = vmta_full {
        let detail = format!(
            "the virtual MTA {} has {max} connections open (max-smtp-out {max})",
            row.vmta
        );
        out.push(reason(HoldKind::VmtaConnectionLimit, detail, None));
    }
    if let Some(at) = row.next_attempt.filter(|&t| t > now.secs) {
        let detail = format!("next attempt in {}s (retry-after)", at - now.secs);
        out.push(reason(
            HoldKind::RetryWait,
            detail,
            Some(rfc3339_from_unix(at)),
        ));
    }
    if row.mode == Mode::Backoff {
        let until = rt.mode.normal_at().map(|t| now.rfc(t));
        out.push(reason(
            HoldKind::Backoff,
            "backoff mode: the backoff-* limits apply".into(),
            until,
        ));
    }
    out.extend(failure_holds(rt));
    out
}

/// The scheduler's last hold, if it still applies.
fn gate_hold(rt: &QueueRt, now: Now) -> Option<HoldReason> {
    let hold = rt.hold?;
    if hold.until().is_some_and(|t| t <= now.at) {
        return None;
    }
    let active = rt.gate.active();
    let (kind, detail) = match hold {
        Hold::ConnectionLimit { max } if active >= max => (
            HoldKind::ConnectionLimit,
            format!("{active} of {max} connections open (max-smtp-out {max})"),
        ),
        Hold::PerIpLimit { max } => (
            HoldKind::PerIpLimit,
            format!(
                "every destination address has {max} connection(s) open (max-smtp-out-per-ip {max})"
            ),
        ),
        Hold::DeliveryInterval { .. } => (
            HoldKind::DeliveryInterval,
            "waiting for delivery-interval since the last connection".into(),
        ),
        Hold::ConnectRate { .. } | Hold::MsgRate { .. } => (
            HoldKind::RateLimit,
            format!("{} is used up for now", hold.directive()),
        ),
        Hold::Deferred { .. } => (
            HoldKind::RetryWait,
            "a reply matched a defer-queue pattern: the queue waits for its retry time".into(),
        ),
        Hold::ConnectionLimit { .. } => return None,
    };
    Some(HoldReason {
        kind,
        detail,
        until: hold.until().map(|t| now.rfc(t)),
    })
}

/// Holds read from the last failures: DNS, TLS required but not offered, unreachable hosts.
fn failure_holds(rt: &QueueRt) -> Vec<HoldReason> {
    let mut out = Vec::new();
    if let Some(Err(e)) = &rt.resolved {
        out.push(HoldReason {
            kind: HoldKind::DnsFailure,
            detail: e.clone(),
            until: None,
        });
    }
    let Some((_, last)) = rt.recent_errors.back() else {
        return out;
    };
    let lower = last.to_ascii_lowercase();
    let kind = if lower.contains("tls required") && rt.policy.tls == TlsMode::Required {
        Some(HoldKind::TlsRequiredNotOffered)
    } else if events::is_connect_failure(&lower) && rt.failures > 0 {
        Some(HoldKind::ConnectFailure)
    } else {
        None
    };
    out.extend(kind.map(|kind| HoldReason {
        kind,
        detail: last.clone(),
        until: None,
    }));
    out
}

fn unresolved() -> Destinations {
    Destinations {
        source: DestinationSource::Unresolved,
        hosts: Vec::new(),
        resolved_at: None,
        error: None,
    }
}

/// Destinations fixed by configuration (local delivery, `resolve-to`), needing no lookup.
fn configured_destinations(policy: &QueuePolicy) -> Option<Destinations> {
    let source = match (&policy.delivery, policy.resolve_to) {
        (Delivery::Local { .. } | Delivery::Discard, _) => DestinationSource::Local,
        (_, Some(_)) => DestinationSource::ResolveTo,
        _ => return None,
    };
    let hosts = policy.resolve_to.map(|ip| MxHost {
        preference: 0,
        host: ip.to_string(),
        port: policy.smtp_port,
        addresses: vec![ip.to_string()],
    });
    Some(Destinations {
        source,
        hosts: hosts.into_iter().collect(),
        resolved_at: None,
        error: None,
    })
}

/// The last routing answer of the queue.
fn destinations(rt: &QueueRt, now: Now) -> Destinations {
    if let Some(d) = configured_destinations(&rt.policy) {
        return d;
    }
    let source = if rt.policy.route.is_some() {
        DestinationSource::Route
    } else {
        DestinationSource::Mx
    };
    let resolved_at = rt.resolved_at.map(|t| now.rfc(t));
    match &rt.resolved {
        None => unresolved(),
        Some(Err(e)) => Destinations {
            source,
            hosts: Vec::new(),
            resolved_at,
            error: Some(e.clone()),
        },
        Some(Ok(hosts)) => Destinations {
            source,
            hosts: hosts
                .iter()
                .map(|(h, ips)| MxHost {
                    preference: 0,
                    host: h.clone(),
                    port: rt.policy.smtp_port,
                    addresses: ips.iter().map(IpAddr::to_string).collect(),
                })
                .collect(),
            resolved_at,
            error: None,
        },
    }
}

/// Fills in MX preferences (and tells an implicit MX apart) from the resolver, whose cache
/// holds the answer delivery used; a slow or failed lookup leaves the hosts as they are.
async fn add_mx_preferences(shared: &Shared, domain: &str, d: &mut Destinations) {
    if d.source != DestinationSource::Mx || d.hosts.is_empty() {
        return;
    }
    let resolver = shared.resolver();
    let Ok(Ok(targets)) = tokio::time::timeout(MX_LOOKUP, resolver.mx_targets(domain)).await else {
        return;
    };
    if targets.iter().any(|t| t.implicit) {
        d.source = DestinationSource::ImplicitMx;
    }
    for h in &mut d.hosts {
        if let Some(t) = targets
            .iter()
            .find(|t| t.host.eq_ignore_ascii_case(&h.host))
        {
            h.preference = t.preference;
        }
    }
    d.hosts.sort_by_key(|h| h.preference);
}
