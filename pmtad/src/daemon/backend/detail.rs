//! `domain detail NAME`: the operator's answer to "why is this domain not sending?".
//!
//! Everything comes from what the scheduler and the delivery tasks recorded (the gate's
//! open connections and last hold, the mode, the last routing answer, recent events), so
//! the operator sees what the daemon saw, not a fresh guess. The only extra work is reading
//! MX preferences from the resolver's cache for hosts already resolved.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use config::{Delivery, Host, QueuePolicy, TlsMode};
use proto::time::rfc3339_from_unix;
use proto::{
    Connections, ControlError, DestinationSource, Destinations, DomainDetail, HoldKind, HoldReason,
    IpConnections, MxHost, QueueDetail, kbytes,
};

use super::{config_verbs, events, listing, typos, verdict};
use crate::daemon::{QueueRt, Shared, State};
use crate::envelope::DEFAULT_VMTA;
use crate::logs::clock::now_secs;
use crate::outcome::FailureKind;
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

/// `domain detail NAME` for pmtactl and the HTTP interface alike: every queue of the domain
/// with its holds in binding order and its verdict, and the domain's verdict.
pub async fn domain_detail(shared: &Shared, name: &str) -> Result<DomainDetail, ControlError> {
    let domain = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let now = Now {
        at: Instant::now(),
        secs: now_secs(),
    };
    let (rollup, members) = {
        let st = shared.state();
        let rollup = st.routes.rollup_of(&domain).map(|r| r.to_string());
        (rollup, st.routes.members(&domain))
    };
    let queue_name = rollup.as_deref().unwrap_or(&domain);
    let mut queues = snapshot(shared, queue_name, now);
    if queues.is_empty() {
        queues.push(unqueued(shared, &domain)?);
    }
    for q in &mut queues {
        add_mx_preferences(shared, &domain, &mut q.destinations).await;
        verdict::order_holds(&mut q.held_back);
        q.verdict = verdict::queue_verdict(q);
    }
    let mut detail = DomainDetail {
        rcpts: queues.iter().map(|q| q.rcpts).sum(),
        kbytes: queues.iter().map(|q| q.kbytes).sum(),
        domain,
        queues,
        verdict: verdict::placeholder(),
        rollup,
        members,
    };
    detail.verdict = verdict::domain_verdict(&detail);
    Ok(detail)
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
/// Unknown (with the closest known name) when the config does not name it: every domain
/// matches `<domain *>`, which says nothing about this one.
fn unqueued(shared: &Shared, domain: &str) -> Result<QueueDetail, ControlError> {
    let policies = shared.policies();
    let cfg = &policies.config;
    if !cfg.names_domain(domain) {
        let guess = typos::closest_domain(&shared.state(), cfg, domain)
            .map(|c| format!("; did you mean {c}?"))
            .unwrap_or_default();
        return Err(ControlError::NoSuchDomain(format!(
            "{domain} (not configured and nothing queued{guess})"
        )));
    }
    let settings = config_verbs::queue_settings(cfg, domain, DEFAULT_VMTA);
    let policy = policies.queue(domain, DEFAULT_VMTA);
    let paused = shared.state().index.rules().paused(domain, DEFAULT_VMTA);
    let destinations = configured_destinations(&policy).unwrap_or_else(unresolved);
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
        destinations,
        recent_errors: Vec::new(),
        recent_deliveries: Vec::new(),
        settings,
        verdict: verdict::placeholder(),
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
    let pause_rule = st
        .index
        .rules()
        .pause_rule(&row.domain, &row.vmta)
        .map(|p| p.to_string());
    let rt = st.queues.get(&q).expect("created by the caller");
    let destinations = destinations(rt, now);
    let ctx = HoldContext {
        vmta_full,
        pause_rule,
        name_servers: name_servers(cfg),
    };
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
        held_back: holds(rt, &row, &ctx, now),
        destinations,
        recent_errors: recent_errors(rt, &row.vmta),
        recent_deliveries: recent(&rt.recent_deliveries, &row.vmta, events::delivery_event),
        settings: config_verbs::queue_settings(cfg, &row.domain, &row.vmta),
        verdict: verdict::placeholder(),
    }
}

/// Retry errors and bounces together, most recent first, each as recorded (outcome,
/// failure kind, category).
fn recent_errors(rt: &QueueRt, vmta: &str) -> Vec<proto::Event> {
    let mut out: Vec<proto::Event> = (rt.recent_errors.iter().rev())
        .chain(rt.recent_bounces.iter())
        .map(|e| events::failure_event(e, vmta))
        .collect();
    // RFC 3339 UTC strings of one format sort as the times they name.
    out.sort_by(|a, b| b.at.cmp(&a.at));
    out
}

/// What the holds are explained with besides the queue's own state.
struct HoldContext {
    /// `max-smtp-out` of the virtual MTA, when its connections across queues reached it.
    vmta_full: Option<u32>,
    /// The operator's pause pattern that holds the queue.
    pause_rule: Option<String>,
    /// The name servers DNS failures came from, for the operator to check.
    name_servers: String,
}

/// `name-server`s of the config, or the system's.
fn name_servers(cfg: &config::Config) -> String {
    if cfg.name_servers.is_empty() {
        return "the system's name servers (/etc/resolv.conf)".into();
    }
    let list: Vec<String> = cfg.name_servers.iter().map(|s| s.to_string()).collect();
    format!("name server {} (name-server)", list.join(", "))
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

/// Every reason the queue is not sending now (put in binding order by the caller).
fn holds(rt: &QueueRt, row: &listing::Row, ctx: &HoldContext, now: Now) -> Vec<HoldReason> {
    let mut out = Vec::new();
    let reason = |kind, detail: String, until: Option<String>| HoldReason {
        kind,
        detail,
        until,
    };
    if row.paused {
        let detail = match &ctx.pause_rule {
            Some(p) => {
                format!("paused by the operator (pause queue {p}; pmtactl resume queue {p})")
            }
            None => "paused by the operator (pmtactl resume queue)".into(),
        };
        out.push(reason(HoldKind::Paused, detail, None));
    }
    if row.rcpts == 0 {
        return out;
    }
    if let Some(h) = gate_hold(rt, now) {
        out.push(h);
    }
    if let Some(max) = ctx.vmta_full {
        let detail = format!(
            "the virtual MTA {} has {max} connections open (max-smtp-out {max})",
            row.vmta
        );
        out.push(reason(HoldKind::VmtaConnectionLimit, detail, None));
    }
    if let Some(at) = row.next_attempt.filter(|&t| t > now.secs) {
        // The error that caused the wait is the operator's next question.
        let detail = match rt.recent_errors.back() {
            Some(e) => format!(
                "waiting for the next retry (retry-after) after {}",
                e.outcome.reply()
            ),
            None => "waiting for the next retry (retry-after)".to_string(),
        };
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
    out.extend(failure_holds(rt, &ctx.name_servers));
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
        Hold::ClusterLimit { max, share, .. } => {
            (HoldKind::ConnectionLimit, cluster_detail(max, share))
        }
        Hold::ClusterRate { fallback, .. } => {
            (HoldKind::RateLimit, cluster_rate_detail(hold, fallback))
        }
        Hold::ConnectionLimit { .. } => return None,
    };
    Some(HoldReason {
        kind,
        detail,
        until: hold.until().map(|t| now.rfc(t)),
    })
}

/// `cluster-max-smtp-out`: the fleet is at its limit, or Redis is unreachable and this
/// node's share is used.
fn cluster_detail(max: u32, share: Option<u32>) -> String {
    match share {
        None => format!("the fleet has {max} connections open (cluster-max-smtp-out {max})"),
        Some(0) => format!(
            "Redis unreachable: cluster-fallback pause holds new connections (cluster-max-smtp-out {max})"
        ),
        Some(n) => format!(
            "Redis unreachable: this node's share, {n} of cluster-max-smtp-out {max}, is open (fallback)"
        ),
    }
}

/// `cluster-max-msg-rate` / `cluster-max-connect-rate`: the fleet used the rate up, or Redis
/// is unreachable and this node's share is used.
fn cluster_rate_detail(hold: Hold, fallback: bool) -> String {
    match fallback {
        false => format!("the fleet has used {} up for now", hold.directive()),
        true => format!(
            "Redis unreachable: this node's share of {} (cluster-fallback) is used up for now",
            hold.directive()
        ),
    }
}

/// Holds from the last failures, by the failure kind recorded with them: DNS (from the
/// routing answer, naming the name servers asked), TLS required but not offered (or not
/// negotiated), unreachable hosts. A DNS failure is reported once.
fn failure_holds(rt: &QueueRt, name_servers: &str) -> Vec<HoldReason> {
    let mut out = Vec::new();
    if let Some(Err(e)) = &rt.resolved {
        out.push(HoldReason {
            kind: HoldKind::DnsFailure,
            detail: format!("{e} (asked {name_servers})"),
            until: None,
        });
    }
    let Some(last) = rt.recent_errors.back() else {
        return out;
    };
    let kind = match last.outcome.failure() {
        Some(FailureKind::Tls) if rt.policy.tls == TlsMode::Required => {
            Some(HoldKind::TlsRequiredNotOffered)
        }
        Some(FailureKind::Connect) if rt.failures > 0 => Some(HoldKind::ConnectFailure),
        _ => None,
    };
    out.extend(kind.map(|kind| HoldReason {
        kind,
        detail: last.outcome.reply().to_string(),
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
                    port: host_port(&rt.policy, h),
                    addresses: ips.iter().map(IpAddr::to_string).collect(),
                })
                .collect(),
            resolved_at,
            error: None,
        },
    }
}

/// The port delivery used for `host`: a `route HOST:PORT` entry's own port, else
/// `smtp-port` (the MX case, and route entries without one).
fn host_port(policy: &QueuePolicy, host: &str) -> u16 {
    let default = policy.smtp_port;
    let Some(levels) = &policy.route else {
        return default;
    };
    let entries = || levels.iter().flatten();
    let named = entries().find(|hp| match &hp.host {
        Host::Name(n) => n.eq_ignore_ascii_case(host),
        Host::Ip(ip) => ip.to_string() == host,
        Host::LookupMx(_) => false,
    });
    // Hosts found through `lookup-mx:` entries are not named in the route.
    let mx = || entries().find(|hp| matches!(hp.host, Host::LookupMx(_)));
    named.or_else(mx).and_then(|hp| hp.port).unwrap_or(default)
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
