//! The daemon's mutable delivery state: the queue index plus, per queue, the scheduling
//! state the index does not hold (policy, connection gate, mode, recent events).
//!
//! One `std::sync::Mutex` guards it all. It is taken for short, allocation-light critical
//! sections (hand out a lease, record an outcome, open a slot) and never across an await.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use config::QueuePolicy;
use ipnet::IpNet;

use super::convert;
use super::policies::Policies;
use crate::outcome::Outcome;
use crate::queue::{QueueId, QueueIndex};
use crate::sched::{BackoffExit, Hold, Mode, ModeState, QueueGate};

/// How many recent events `domain detail` keeps per queue.
const RECENT: usize = 10;

/// The last routing answer of a queue: each host with its addresses, or why there is none.
pub type Resolved = Result<Vec<(String, Vec<IpAddr>)>, String>;

/// Scheduling state of one queue.
#[derive(Debug)]
pub struct QueueRt {
    pub policy: Arc<QueuePolicy>,
    pub gate: QueueGate,
    pub mode: ModeState,
    /// Consecutive failed attempts; indexes `retry-after`, reset by a delivery.
    pub failures: u32,
    /// What held the queue back the last time the scheduler looked.
    pub hold: Option<Hold>,
    /// The last DNS answer: host names and their addresses, or the failure.
    pub resolved: Option<Resolved>,
    /// When `resolved` was last set (for `domain detail`).
    pub resolved_at: Option<Instant>,
    /// The last retry errors: the transient outcome each failed attempt ended with.
    pub recent_errors: VecDeque<RecentEvent>,
    pub recent_deliveries: VecDeque<(u64, String)>,
    /// Recipients that bounced: a 550 5.1.1 is the error the operator looks for first, and
    /// it is no retry error.
    pub recent_bounces: VecDeque<RecentEvent>,
    /// MX hosts a `skip-mx` reply moved past, until the instant: tried after the others.
    pub skipped_hosts: Vec<(String, Instant)>,
    /// Local source addresses a `disable-source-ip` reply took out of use for this queue,
    /// until the instant (`reenable-after=`) or for good.
    pub disabled_sources: Vec<(IpAddr, Option<Instant>)>,
    /// Open connections waiting for mail (see `outbound::connection::idle`): the scheduler hands them
    /// due messages before it opens new connections.
    pub idle: Vec<tokio::sync::oneshot::Sender<crate::queue::Lease>>,
    /// Open connections per local source address counted by `source-ip-max-smtp-out`.
    pub source_out: Vec<(IpAddr, u32)>,
}

impl QueueRt {
    fn new(policy: Arc<QueuePolicy>) -> Self {
        let gate = QueueGate::new(convert::limits(&policy, Mode::Normal));
        Self {
            policy,
            gate,
            mode: ModeState::default(),
            failures: 0,
            hold: None,
            resolved: None,
            resolved_at: None,
            recent_errors: VecDeque::new(),
            recent_deliveries: VecDeque::new(),
            recent_bounces: VecDeque::new(),
            skipped_hosts: Vec::new(),
            disabled_sources: Vec::new(),
            idle: Vec::new(),
            source_out: Vec::new(),
        }
    }

    /// True when `source-ip-max-smtp-out CIDR N` (`limit`) allows one more connection from
    /// `ip` (always, for an address outside CIDR).
    pub fn source_free(&self, ip: IpAddr, limit: Option<(IpNet, u64)>) -> bool {
        match limit {
            Some((net, max)) if net.contains(&ip) => {
                let open = self.source_out.iter().find(|(a, _)| *a == ip);
                open.map_or(0, |(_, n)| u64::from(*n)) < max
            }
            _ => true,
        }
    }

    /// Count a connection from `ip` when `limit` covers it; returns the address to give back.
    pub fn reserve_source(&mut self, ip: IpAddr, limit: Option<(IpNet, u64)>) -> Option<IpAddr> {
        let (net, _) = limit?;
        if !net.contains(&ip) {
            return None;
        }
        match self.source_out.iter_mut().find(|(a, _)| *a == ip) {
            Some((_, n)) => *n += 1,
            None => self.source_out.push((ip, 1)),
        }
        Some(ip)
    }

    pub fn release_source(&mut self, ip: IpAddr) {
        if let Some(pos) = self.source_out.iter().position(|(a, _)| *a == ip) {
            self.source_out[pos].1 -= 1;
            if self.source_out[pos].1 == 0 {
                self.source_out.swap_remove(pos);
            }
        }
    }

    /// True while a `skip-mx` reply keeps `host` behind the queue's other hosts.
    pub fn is_skipped(&self, host: &str, now: Instant) -> bool {
        self.skipped_hosts
            .iter()
            .any(|(h, until)| h == host && *until > now)
    }

    /// `skip-mx`: move past `host` until `until`. True when another known host is left to
    /// try (the recipients may go again at once), false when every host was skipped.
    pub fn skip_host(&mut self, host: &str, until: Instant, now: Instant) -> bool {
        self.skipped_hosts.retain(|(h, t)| h != host && *t > now);
        self.skipped_hosts.push((host.to_string(), until));
        match &self.resolved {
            Some(Ok(hosts)) => hosts.iter().any(|(h, _)| !self.is_skipped(h, now)),
            _ => false,
        }
    }

    /// True unless a `disable-source-ip` reply took `ip` out of use for this queue.
    pub fn source_enabled(&self, ip: IpAddr, now: Instant) -> bool {
        !self
            .disabled_sources
            .iter()
            .any(|(a, until)| *a == ip && until.is_none_or(|t| t > now))
    }

    /// The mode now, applying the gate limits of a mode that just changed by itself.
    pub fn current_mode(&mut self, now: Instant) -> Mode {
        let before = self.gate.limits().clone();
        let mode = self.mode.mode(now);
        let want = convert::limits(&self.policy, mode);
        if want != before {
            self.gate.set_limits(want);
        }
        mode
    }

    /// Switch mode (operator or pattern rule) and apply the mode's limits.
    pub fn set_mode(&mut self, now: Instant, mode: Mode, rule_after: Option<std::time::Duration>) {
        match mode {
            Mode::Backoff => {
                let exit = BackoffExit {
                    after: self.policy.backoff_to_normal_after,
                    on_delivery: self.policy.backoff_to_normal_after_delivery,
                };
                self.mode.enter_backoff(now, exit, rule_after);
            }
            Mode::Normal => self.mode.set_normal(),
        }
        self.gate.set_limits(convert::limits(&self.policy, mode));
    }

    pub fn push_error(&mut self, error: RecentEvent) {
        push_bounded(&mut self.recent_errors, error);
    }

    pub fn push_delivery(&mut self, at: u64, text: String) {
        push_bounded(&mut self.recent_deliveries, (at, text));
    }

    pub fn push_bounce(&mut self, bounce: RecentEvent) {
        push_bounded(&mut self.recent_bounces, bounce);
    }
}

/// One failure of a queue as the delivery code recorded it: the [`Outcome`] itself (reply,
/// producer and the [`crate::outcome::FailureKind`] set where the attempt failed) and the
/// bounce category the accounting record of the same outcome got. `domain detail` reports
/// exactly this value; nothing is read back from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentEvent {
    pub at: u64,
    /// The recipient of a bounce; `None` for a retry error (it stands for the attempt).
    pub rcpt: Option<String>,
    pub outcome: Outcome,
    /// PowerMTA's bounce category (`bad-mailbox`), from the configuration's engine.
    pub category: String,
}

fn push_bounded<T>(q: &mut VecDeque<T>, item: T) {
    if q.len() == RECENT {
        q.pop_front();
    }
    q.push_back(item);
}

/// Everything the scheduler, the delivery tasks and the control plane share.
#[derive(Debug, Default)]
pub struct State {
    pub index: QueueIndex,
    pub queues: HashMap<QueueId, QueueRt>,
    /// Open outbound connections per virtual MTA (its `max-smtp-out` spans its queues).
    pub vmta_out: HashMap<Arc<str>, u32>,
    /// Open outbound connections in total (`total-max-smtp-out`).
    pub total_out: u32,
    /// Delay notices sent per (message, recipient index) that asked for NOTIFY=DELAY:
    /// how many `notify-of-delay-every` periods they covered.
    pub delay_notices: HashMap<(crate::envelope::MessageId, u32), u32>,
    /// Recipients received, delivered, bounced and deferred per queue (`/metrics`).
    pub tally: crate::metrics::QueueTally,
    /// Domains learnt to belong to MX rollups, and the merged queue names.
    pub routes: super::Routes,
}

impl State {
    /// Scheduling state of `q`, created from the current policies on first use, in the mode
    /// the operator ordered for queues of its name (`set queue --mode=backoff` holds for
    /// queues created later, and across a restart).
    pub fn rt(&mut self, q: QueueId, policies: &Policies) -> &mut QueueRt {
        let index = &self.index;
        self.queues.entry(q).or_insert_with(|| {
            let (domain, vmta) = index.names_of(q);
            let mut rt = QueueRt::new(policies.queue(domain, vmta));
            if index.rules().mode(domain, vmta) == Some(Mode::Backoff) {
                rt.set_mode(Instant::now(), Mode::Backoff, None);
            }
            rt
        })
    }

    /// After a reload: every queue takes its policy from the new config; open connections,
    /// rate debt, mode and pause carry over.
    pub fn apply_policies(&mut self, policies: &Policies, now: Instant) {
        for (q, rt) in self.queues.iter_mut() {
            let (domain, vmta) = self.index.names_of(*q);
            rt.policy = policies.queue(domain, vmta);
            let mode = rt.mode.mode(now);
            rt.gate.set_limits(convert::limits(&rt.policy, mode));
        }
    }
}
