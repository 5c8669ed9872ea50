//! The scheduler: opens connection slots for due queues within their limits and hands each
//! new connection its first piece of work.
//!
//! It is one task that wakes when mail arrives, a connection closes, an operator acts, or
//! the earliest hold or retry time passes. A connection is opened only with a lease in hand,
//! so a queue never has more connections than due messages.
//!
//! The rules it applies (gates, modes, rates, retry times) are pure and live in
//! [`crate::sched`]; this is the outbound side's task that applies them to the running
//! queues and starts each connection ([`super::connection`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::connection::{self, idle};
use crate::daemon::{Policies, QueueRt, Shared, State};
use crate::queue::{Lease, QueueId};
use crate::sched::Hold;

/// Longest sleep between two scheduler passes (retry times are in whole seconds).
const MAX_SLEEP: Duration = Duration::from_millis(1000);

/// Runs until shutdown.
pub async fn run_engine(shared: Arc<Shared>) {
    loop {
        let next = schedule_pass(&shared);
        let sleep = next
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP);
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = shared.wake.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// One pass over the due queues; returns the earliest instant a hold lifts.
fn schedule_pass(shared: &Arc<Shared>) -> Option<Instant> {
    let policies = shared.policies();
    let total_max = u32::try_from(policies.config.total_max_smtp_out).unwrap_or(u32::MAX);
    let now = Instant::now();
    let now_s = crate::logs::clock::now_secs();
    let mut earliest: Option<Instant> = None;
    let mut launches: Vec<(QueueId, Lease)> = Vec::new();
    {
        let mut st = shared.state();
        let mut due = st.index.due_queues(now_s);
        due.sort_by_key(|q| std::cmp::Reverse(st.rt(*q, &policies).policy.queue_priority));
        let mut starved: Option<Starved> = None;
        for q in due {
            idle::hand_over(&mut st, q, now, now_s);
            let blocked = open_slots(
                &mut st,
                q,
                &policies,
                now,
                now_s,
                total_max,
                &mut launches,
                &mut earliest,
            );
            starved = starved.or(blocked);
        }
        if let Some(s) = starved {
            idle::reclaim(&mut st, s.vmta().as_ref());
        }
    }
    for (q, lease) in launches {
        tokio::spawn(connection::connection(shared.clone(), q, lease));
    }
    earliest
}

/// A limit shared by queues stopped a queue with due mail from opening a connection.
enum Starved {
    Total,
    Vmta(Arc<str>),
}

impl Starved {
    fn vmta(&self) -> Option<Arc<str>> {
        match self {
            Starved::Total => None,
            Starved::Vmta(v) => Some(v.clone()),
        }
    }
}

/// Open as many connections for `q` as its limits and its due work allow; says when a
/// limit shared with other queues was what stopped it (their idle connections may go).
#[allow(clippy::too_many_arguments)]
fn open_slots(
    st: &mut State,
    q: QueueId,
    policies: &Policies,
    now: Instant,
    now_s: u64,
    total_max: u32,
    launches: &mut Vec<(QueueId, Lease)>,
    earliest: &mut Option<Instant>,
) -> Option<Starved> {
    // Names only: summary() computes counters (and may rescan for the oldest message).
    let vmta = st.index.names_of(q).1.clone();
    let vmta_max = vmta_limit(policies, &vmta);
    let source_cap = source_cap(policies, &vmta, &st.rt(q, policies).policy);
    let cluster_cap = cluster_cap(policies, &st.rt(q, policies).policy);
    loop {
        let vmta_open = st.vmta_out.get(&vmta).copied().unwrap_or(0);
        if st.total_out >= total_max {
            return st.index.has_due(q, now_s).then_some(Starved::Total);
        }
        if vmta_open >= vmta_max {
            return st.index.has_due(q, now_s).then_some(Starved::Vmta(vmta));
        }
        if pool_full(st, policies, &vmta) {
            // The idle connections holding the pool's slots may be another member's.
            return st.index.has_due(q, now_s).then_some(Starved::Total);
        }
        let rt = st.rt(q, policies);
        rt.current_mode(now);
        if let Err(hold) = rt.gate.check_open(now) {
            note_hold(rt, hold, earliest);
            break;
        }
        if source_cap.is_some_and(|cap| rt.gate.active() >= cap) {
            break;
        }
        if cluster_cap.is_some_and(|cap| rt.gate.active() >= cap) {
            break;
        }
        let Some(lease) = st.index.take_due(q, now_s, 1).pop() else {
            break;
        };
        let rt = st.rt(q, policies);
        if let Err(hold) = rt.gate.try_open(now) {
            // Not expected after check_open; give the work back untouched.
            note_hold(rt, hold, earliest);
            st.index.give_back(lease, now_s);
            break;
        }
        // The first message is charged to `max-msg-rate` with its connection slot (the
        // connection charges the ones it takes next); check_open saw the rate allow it.
        if let Err(hold) = rt.gate.try_transaction(now, lease.recipients.len()) {
            rt.gate.release(None);
            note_hold(rt, hold, earliest);
            st.index.give_back(lease, now_s);
            break;
        }
        rt.hold = None;
        st.total_out += 1;
        *st.vmta_out.entry(vmta.clone()).or_insert(0) += 1;
        launches.push((q, lease));
    }
    None
}

fn note_hold(rt: &mut QueueRt, hold: Hold, earliest: &mut Option<Instant>) {
    rt.hold = Some(hold);
    if let Some(t) = hold.until() {
        *earliest = Some(earliest.map_or(t, |e| e.min(t)));
    }
}

/// `source-ip-max-smtp-out CIDR N` when every source address of the virtual MTA is in CIDR:
/// the queue can use at most N connections per address, so opening more is pointless.
fn source_cap(policies: &Policies, vmta: &str, policy: &config::QueuePolicy) -> Option<u32> {
    let (net, max) = policy.source_ip_max_smtp_out?;
    let sources = policies.config.source_hosts_of(vmta);
    if sources.is_empty() || !sources.iter().all(|s| net.contains(&s.ip)) {
        return None;
    }
    let per = u32::try_from(max).unwrap_or(u32::MAX);
    Some(per.saturating_mul(sources.len() as u32))
}

/// `cluster-max-smtp-out N` in a fleet: more than N local connections could never all get
/// a lease, so the node asks for no more than N at once.
fn cluster_cap(policies: &Policies, policy: &config::QueuePolicy) -> Option<u32> {
    policies.config.cluster.redis_url.as_ref()?;
    let max = policy.cluster_max_smtp_out?;
    Some(u32::try_from(max).unwrap_or(u32::MAX))
}

/// True when a `<virtual-mta-pool>` holding `vmta` has its `max-smtp-out` connections open
/// across the queues of all its members.
fn pool_full(st: &State, policies: &Policies, vmta: &str) -> bool {
    policies.config.pools.values().any(|p| {
        let Some(max) = p.max_smtp_out else {
            return false;
        };
        if !p.members.iter().any(|m| m == vmta) {
            return false;
        }
        let open: u64 = p
            .members
            .iter()
            .map(|m| u64::from(st.vmta_out.get(m.as_str()).copied().unwrap_or(0)))
            .sum();
        open >= max
    })
}

/// The virtual MTA's own `max-smtp-out` across its queues.
fn vmta_limit(policies: &Policies, vmta: &str) -> u32 {
    let cfg = &policies.config;
    let own = cfg.vmta(vmta).and_then(|v| v.max_smtp_out);
    own.map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX))
}
