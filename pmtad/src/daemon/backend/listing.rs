//! `show domains`, `show queues`, `show vmtas` and the queue totals of `show status`: one
//! pass over the queue index under the state lock, building protocol rows directly.
//!
//! Sized for tens of thousands of queues: per queue it clones two interned names and at most
//! one error text, and it never touches the spool.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use proto::time::rfc3339_from_unix;
use proto::{
    DomainSummary, DomainsRequest, Event, QueueSummary, QueueTotals, QueuesRequest, VmtaSummary,
    kbytes,
};

use super::events;
use crate::daemon::{Shared, State};
use crate::logs::clock::now_secs;
use crate::queue::QueueId;
use crate::sched::Mode;

/// One queue as every listing needs it.
pub struct Row {
    pub domain: Arc<str>,
    pub vmta: Arc<str>,
    pub rcpts: u64,
    pub msgs: u64,
    pub bytes: u64,
    pub connections: u32,
    pub paused: bool,
    pub mode: Mode,
    pub oldest: Option<u64>,
    pub next_attempt: Option<u64>,
    pub last_error: Option<Event>,
}

/// Builds the row of queue `q`. The mode comes from the scheduling state when there is one
/// (it may have left backoff by itself), else from the index.
pub fn row(st: &mut State, q: QueueId, now: Instant) -> Row {
    let s = st.index.summary(q);
    let mut row = Row {
        domain: s.domain,
        vmta: s.vmta,
        rcpts: s.recipients,
        msgs: s.messages,
        bytes: s.bytes,
        connections: 0,
        paused: s.paused,
        mode: s.mode,
        oldest: s.oldest,
        next_attempt: s.next_attempt,
        last_error: None,
    };
    if let Some(rt) = st.queues.get_mut(&q) {
        row.connections = rt.gate.active();
        row.mode = rt.current_mode(now);
        row.last_error = rt
            .recent_errors
            .back()
            .map(|e| events::failure_event(e, &row.vmta));
    }
    row
}

/// Every queue passing `keep` (a cheap test on the names), as rows.
pub fn rows(shared: &Shared, keep: impl Fn(&str, &str) -> bool) -> Vec<Row> {
    let now = Instant::now();
    let mut st = shared.state();
    let mut out = Vec::new();
    for i in 0..st.index.len() {
        let Some(q) = st.index.queue_at(i) else { break };
        let (d, v) = st.index.names_of(q);
        if keep(d, v) {
            out.push(row(&mut st, q, now));
        }
    }
    out
}

fn age(oldest: Option<u64>, now_s: u64) -> Option<u64> {
    oldest.map(|o| now_s.saturating_sub(o))
}

/// `show domains`: queues aggregated per domain.
pub fn domains(shared: &Shared, req: &DomainsRequest) -> Vec<DomainSummary> {
    let now_s = now_secs();
    let vmta = req.vmta.as_deref();
    let rows = rows(shared, |d, v| {
        vmta.is_none_or(|want| want.eq_ignore_ascii_case(v)) && req.matches_domain(d)
    });
    let mut by_domain: HashMap<Arc<str>, DomainSummary> = HashMap::with_capacity(rows.len());
    for r in rows {
        let e = by_domain
            .entry(r.domain.clone())
            .or_insert_with(|| empty_domain(&r.domain));
        add_to_domain(e, r, now_s);
    }
    by_domain.into_values().collect()
}

fn empty_domain(name: &str) -> DomainSummary {
    DomainSummary {
        domain: name.to_string(),
        rcpts: 0,
        kbytes: 0,
        connections: 0,
        queues: 0,
        paused_queues: 0,
        backoff_queues: 0,
        oldest_age_secs: None,
        last_error: None,
    }
}

fn add_to_domain(d: &mut DomainSummary, r: Row, now_s: u64) {
    d.rcpts += r.rcpts;
    d.kbytes += kbytes(r.bytes);
    d.connections += r.connections;
    d.queues += 1;
    d.paused_queues += u32::from(r.paused);
    d.backoff_queues += u32::from(r.mode == Mode::Backoff);
    d.oldest_age_secs = d.oldest_age_secs.max(age(r.oldest, now_s));
    if let Some(e) = r.last_error
        && d.last_error.as_ref().is_none_or(|old| old.at <= e.at)
    {
        d.last_error = Some(e);
    }
}

/// `show queues`.
pub fn queues(shared: &Shared, req: &QueuesRequest) -> Vec<QueueSummary> {
    let now_s = now_secs();
    rows(shared, |d, v| req.pattern.matches(d, v))
        .into_iter()
        .map(|r| queue_summary(r, now_s))
        .filter(|q| req.matches(q))
        .collect()
}

fn queue_summary(r: Row, now_s: u64) -> QueueSummary {
    QueueSummary {
        domain: r.domain.to_string(),
        vmta: r.vmta.to_string(),
        rcpts: r.rcpts,
        kbytes: kbytes(r.bytes),
        connections: r.connections,
        paused: r.paused,
        mode: events::mode(r.mode),
        oldest_age_secs: age(r.oldest, now_s),
        next_retry: future(r.next_attempt, now_s),
        last_error: r.last_error,
    }
}

/// A due time as RFC 3339 when it is still ahead; `None` = due now or nothing waits.
pub fn future(at: Option<u64>, now_s: u64) -> Option<String> {
    at.filter(|&t| t > now_s).map(rfc3339_from_unix)
}

/// `show vmtas`: virtual MTAs with mail queued, with their source address and EHLO name.
/// `show vmtas`: every configured virtual MTA (also those with nothing queued: an operator
/// checks that a new one is there), plus any other with mail queued (`{default}`).
pub fn vmtas(shared: &Shared) -> Vec<VmtaSummary> {
    let policies = shared.policies();
    let cfg = &policies.config;
    let empty = |name: &str| VmtaSummary {
        name: name.to_string(),
        domains: 0,
        rcpts: 0,
        kbytes: 0,
        connections: 0,
        source_ip: cfg.source_hosts_of(name).first().map(|s| s.ip.to_string()),
        host_name: cfg.ehlo_name(name, None).map(str::to_string),
        warmup: None,
    };
    let mut by_vmta: HashMap<Arc<str>, VmtaSummary> = cfg
        .virtual_mtas
        .keys()
        .map(|n| (Arc::from(n.as_str()), empty(n)))
        .collect();
    for r in rows(shared, |_, _| true)
        .into_iter()
        .filter(|r| r.rcpts > 0)
    {
        let v = by_vmta
            .entry(r.vmta.clone())
            .or_insert_with(|| empty(&r.vmta));
        v.domains += 1;
        v.rcpts += r.rcpts;
        v.kbytes += kbytes(r.bytes);
        v.connections += r.connections;
    }
    add_warmups(shared, cfg, &mut by_vmta);
    by_vmta.into_values().collect()
}

/// Every cold virtual MTA that carried mail is listed with its warm-up day and the
/// allowance used today, queued mail or not.
fn add_warmups(
    shared: &Shared,
    cfg: &config::Config,
    by_vmta: &mut HashMap<Arc<str>, VmtaSummary>,
) {
    let now = crate::logs::clock::now_secs();
    let colds = cfg
        .virtual_mtas
        .values()
        .filter_map(|v| v.cold_virtual_mta.as_deref())
        .chain(
            cfg.pools
                .values()
                .filter_map(|p| p.cold_virtual_mta.as_deref()),
        );
    for cold in colds {
        let Some(day) = shared.warmup.cold_day(cold, now) else {
            continue;
        };
        let v = by_vmta
            .entry(Arc::from(cold))
            .or_insert_with(|| VmtaSummary {
                name: cold.to_string(),
                domains: 0,
                rcpts: 0,
                kbytes: 0,
                connections: 0,
                source_ip: cfg.source_hosts_of(cold).first().map(|s| s.ip.to_string()),
                host_name: cfg.ehlo_name(cold, None).map(str::to_string),
                warmup: None,
            });
        v.warmup = Some(proto::VmtaWarmup {
            day_of_use: day.day_of_use,
            used_today: day.used_today,
        });
    }
}

/// The queue totals of `show status`.
pub fn totals(shared: &Shared) -> QueueTotals {
    let mut t = QueueTotals::default();
    let mut domains: HashMap<Arc<str>, ()> = HashMap::new();
    for r in rows(shared, |_, _| true) {
        t.rcpts += r.rcpts;
        t.msgs += r.msgs;
        t.kbytes += kbytes(r.bytes);
        t.queues += 1;
        t.paused_queues += u64::from(r.paused);
        t.backoff_queues += u64::from(r.mode == Mode::Backoff);
        if r.rcpts > 0 {
            domains.insert(r.domain, ());
        }
    }
    t.domains = domains.len() as u64;
    t
}
