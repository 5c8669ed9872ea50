//! The in-memory queue index: every pending recipient, grouped into queues keyed by
//! (recipient domain, virtual MTA). The delivery engine pulls due work from it; the control
//! plane reads its summaries. No I/O: the daemon feeds it from the spool (at start-up from
//! [`crate::spool::RecoveredMessage`]s, then from each stored envelope) and writes outcomes
//! back to the spool itself.
//!
//! # DESIGN notes
//!
//! Sized for millions of recipients: the unit is a *job* — one message's recipients in one
//! queue, i.e. one SMTP transaction — stored as a 32-byte `Copy` struct in a per-queue slab
//! (message id, arrival, size, next attempt, recipient index inline when there is one, a
//! side table when there are several). Due jobs sit in a FIFO of 4-byte slot numbers,
//! retries in a min-heap of 8-byte `(time, slot)` keys; domains and virtual MTAs are
//! interned once. Measured by `cargo run --release -p pmtad --example spool-bench` (see
//! BENCHMARKS.md): about 45 bytes per queued single-recipient message. Work is handed out as
//! [`Lease`]s that must come back through [`QueueIndex::finish`] or
//! [`QueueIndex::requeue`], so a recipient is never in flight twice.
//!
//! Times are Unix seconds (`u64` in the API, `u32` inside).

mod intern;
mod rules;
mod slots;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use crate::envelope::{Envelope, MessageId, RcptState};
pub use crate::sched::Mode;
use intern::{Interner, lower};
use proto::QueuePattern;
pub use rules::{Rule, RuleAction, Rules};
use slots::{Queue, READY, RETRY, sat32};

/// Handle of one queue in a [`QueueIndex`] (stable for the index's lifetime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(u32);

impl QueueId {
    /// The queue's position in the index (`0..len`), for tables kept beside it.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    #[cfg(test)]
    pub(crate) fn from_index(i: u32) -> Self {
        Self(i)
    }
}

/// Work handed to the delivery engine: one message's recipients in one queue. Return it
/// with [`QueueIndex::finish`] or [`QueueIndex::requeue`].
#[derive(Debug, PartialEq, Eq)]
pub struct Lease {
    pub queue: QueueId,
    slot: u32,
    pub message: MessageId,
    /// Indices into the envelope's `recipients`.
    pub recipients: Vec<u32>,
    /// Arrival of the message (Unix seconds), for age-based policy without a spool read.
    pub received: u64,
}

/// Where a recipient domain's mail is queued, when not in (its own domain, the message's
/// virtual MTA): a merged queue (`queue-to`, MX rollup) and/or another virtual MTA (warm-up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub domain: Option<Arc<str>>,
    pub vmta: Option<Arc<str>>,
}

/// What the control plane shows for a queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QueueSummary {
    #[serde(skip)]
    pub id: QueueId,
    pub domain: Arc<str>,
    pub vmta: Arc<str>,
    pub recipients: u64,
    /// Messages (jobs) in the queue.
    pub messages: u64,
    /// Sum of message sizes, each message counted once per queue.
    pub bytes: u64,
    /// Arrival (Unix seconds) of the oldest message.
    pub oldest: Option<u64>,
    /// When the next waiting message is due (Unix seconds).
    pub next_attempt: Option<u64>,
    pub in_flight: u64,
    pub paused: bool,
    #[serde(serialize_with = "ser_mode")]
    pub mode: Mode,
    pub last_error: Option<String>,
}

fn ser_mode<S: serde::Serializer>(m: &Mode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// Due now (new, or recovered at start-up).
    Ready,
    /// Waiting for its next attempt.
    Retry,
    /// Handed to the delivery engine.
    InFlight,
}

/// One listed entry of a queue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub message: MessageId,
    pub recipients: Vec<u32>,
    pub received: u64,
    pub size: u64,
    pub next_attempt: u64,
    pub state: EntryState,
    /// Delivery attempts so far.
    pub attempts: u16,
}

/// A page of a listing or deletion; pass `next` back to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<u32>,
}

/// All queues.
#[derive(Debug, Default)]
pub struct QueueIndex {
    names: Interner,
    keys: HashMap<(u32, u32), u32>,
    queues: Vec<Queue>,
    /// The operator's pauses and modes as the patterns they typed: they decide every queue,
    /// also those created later (after a restart, or by mail for a new virtual MTA).
    rules: Rules,
    /// Fleet-wide pauses (`pause queue PATTERN --cluster`), as the last heartbeat read them
    /// from Redis: a queue matching one is paused whatever the local rules say.
    cluster_pauses: Vec<QueuePattern>,
}

impl QueueIndex {
    pub fn new() -> Self {
        Self::default()
    }

    fn queue_for(&mut self, domain: &str, vmta: u32) -> u32 {
        let d = self.names.intern(&lower(domain));
        let next = self.queues.len() as u32;
        let q = *self.keys.entry((d, vmta)).or_insert(next);
        if q == next {
            let mut queue = Queue::new(d, vmta);
            let (dn, vn) = (self.names.name(d), self.names.name(vmta));
            queue.paused =
                self.rules.paused(dn, vn) || cluster_paused(&self.cluster_pauses, dn, vn);
            queue.mode = self.rules.mode(dn, vn).unwrap_or_default();
            self.queues.push(queue);
        }
        q
    }

    /// The operator's standing orders (see [`Rules`]).
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Appends a rule read back from the pause file, as it is.
    pub fn load_rule(&mut self, action: RuleAction, pattern: QueuePattern) {
        self.rules.push(action, pattern);
        self.apply_pauses();
    }

    /// Records an operator order for `pattern` and re-decides the pause of every queue, so
    /// existing queues and those created later agree with the rules.
    pub fn record_rule(&mut self, action: RuleAction, pattern: &QueuePattern) {
        let (names, queues) = (&self.names, &self.queues);
        let both = |a: &QueuePattern, b: &QueuePattern| {
            queues.iter().any(|q| {
                let (d, v) = (names.name(q.domain), names.name(q.vmta));
                a.matches(d, v) && b.matches(d, v)
            })
        };
        self.rules.record(action, pattern, both);
        self.apply_pauses();
    }

    fn apply_pauses(&mut self) {
        for q in &mut self.queues {
            let (d, v) = (self.names.name(q.domain), self.names.name(q.vmta));
            q.paused = self.rules.paused(d, v) || cluster_paused(&self.cluster_pauses, d, v);
        }
    }

    /// Replaces the fleet-wide pauses; true if they changed (the queues were re-decided).
    pub fn set_cluster_pauses(&mut self, mut patterns: Vec<QueuePattern>) -> bool {
        patterns.sort_by_key(|p| p.to_string());
        if patterns == self.cluster_pauses {
            return false;
        }
        self.cluster_pauses = patterns;
        self.apply_pauses();
        true
    }

    /// The fleet-wide pauses in force on this node.
    pub fn cluster_pauses(&self) -> &[QueuePattern] {
        &self.cluster_pauses
    }

    /// Is `q` paused (by a rule that matches it)?
    pub fn is_paused(&self, q: QueueId) -> bool {
        self.queues[q.0 as usize].paused
    }

    /// Every queue of `domain` (any case), one per virtual MTA, without scanning all queues'
    /// summaries (`domain detail` on an index of many domains).
    pub fn queues_of_domain(&self, domain: &str) -> Vec<QueueId> {
        let Some(d) = self.names.get(&lower(domain)) else {
            return Vec::new();
        };
        let mut ids: Vec<QueueId> = self
            .keys
            .iter()
            .filter(|((qd, _), _)| *qd == d)
            .map(|(_, &q)| QueueId(q))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Number of queues (ids are `0..len`, see [`Self::queue_at`]).
    pub fn len(&self) -> usize {
        self.queues.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// The queue with position `i` (`0..len()`), for paging over queues with a cursor.
    pub fn queue_at(&self, i: usize) -> Option<QueueId> {
        (i < self.queues.len()).then_some(QueueId(i as u32))
    }

    /// Domain and virtual MTA names of a queue, without building a summary.
    pub fn names_of(&self, q: QueueId) -> (&Arc<str>, &Arc<str>) {
        let queue = &self.queues[q.0 as usize];
        (self.names.name(queue.domain), self.names.name(queue.vmta))
    }

    /// `pmtactl schedule`: every message of `q` waiting for a retry becomes due at `now`.
    /// Returns how many were moved.
    pub fn retry_now(&mut self, q: QueueId, now: u64) -> u64 {
        self.queues[q.0 as usize].retry_now(sat32(now))
    }

    /// Looks up a queue by domain (any case) and virtual MTA name.
    pub fn queue_id(&self, domain: &str, vmta: &str) -> Option<QueueId> {
        let d = self.names.get(&lower(domain))?;
        let v = self.names.get(vmta)?;
        self.keys.get(&(d, v)).map(|&q| QueueId(q))
    }

    /// Queues the pending recipients of a stored message, due at `now`. Returns how many
    /// recipients were queued.
    pub fn insert(&mut self, id: MessageId, env: &Envelope, now: u64) -> usize {
        self.insert_routed(id, env, None, now, |_| Route::default())
    }

    /// [`Self::insert`] of the pending recipients (or of `only`, indices into the envelope's
    /// recipients), each in the queue `route` picks for its lower-case domain (asked once
    /// per run of recipients of one domain).
    pub fn insert_routed(
        &mut self,
        id: MessageId,
        env: &Envelope,
        only: Option<&[u32]>,
        now: u64,
        mut route: impl FnMut(&str) -> Route,
    ) -> usize {
        let vmta = self.names.intern(&env.vmta);
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(env.recipients.len());
        let mut last: Option<(&str, u32)> = None;
        for (i, r) in env.recipients.iter().enumerate() {
            let wanted = match only {
                Some(list) => list.contains(&(i as u32)),
                None => r.state == RcptState::Pending,
            };
            if !wanted {
                continue;
            }
            let q = match last {
                Some((d, q)) if d.eq_ignore_ascii_case(r.domain()) => q,
                _ => {
                    let domain = lower(r.domain());
                    let to = route(&domain);
                    let v = to.vmta.map_or(vmta, |v| self.names.intern(&v));
                    let q = self.queue_for(to.domain.as_deref().unwrap_or(&domain), v);
                    last = Some((r.domain(), q));
                    q
                }
            };
            pairs.push((q, i as u32));
        }
        pairs.sort_unstable();
        let mut rcpts = Vec::new();
        for group in pairs.chunk_by(|a, b| a.0 == b.0) {
            rcpts.clear();
            rcpts.extend(group.iter().map(|p| p.1));
            let q = &mut self.queues[group[0].0 as usize];
            q.push(id.0, env.received_at, env.size, now, &rcpts);
        }
        pairs.len()
    }

    /// Moves every waiting (not in-flight) job of `from` to the queue (`to_domain`, same
    /// virtual MTA), due at once there. Returns the recipients moved.
    pub fn move_waiting(&mut self, from: QueueId, to_domain: &str) -> u64 {
        let vmta = self.queues[from.0 as usize].vmta;
        let to = self.queue_for(to_domain, vmta);
        if to == from.0 {
            return 0;
        }
        let mut jobs = Vec::new();
        let queue = &mut self.queues[from.0 as usize];
        for slot in 0..queue.slots() as u32 {
            let Some(e) = entry(queue, slot).filter(|e| e.state != EntryState::InFlight) else {
                continue;
            };
            queue.delete(slot);
            jobs.push(e);
        }
        let target = &mut self.queues[to as usize];
        let mut moved = 0;
        for e in jobs {
            moved += e.recipients.len() as u64;
            target.push(
                e.message.0,
                e.received,
                e.size,
                e.next_attempt.min(u64::from(u32::MAX)),
                &e.recipients,
            );
        }
        moved
    }

    /// Takes up to `max` due messages of a queue (none when paused), each with its
    /// recipients in this queue, marking them in flight.
    pub fn take_due(&mut self, q: QueueId, now: u64, max: usize) -> Vec<Lease> {
        let queue = &mut self.queues[q.0 as usize];
        let mut out = Vec::new();
        if queue.paused {
            return out;
        }
        while out.len() < max {
            let Some(slot) = queue.pop_due(sat32(now)) else {
                break;
            };
            let job = queue.job(slot).expect("popped slot exists");
            out.push(Lease {
                queue: q,
                slot,
                message: MessageId(job.msg),
                received: u64::from(job.received),
                recipients: queue.rcpts_of(slot),
            });
        }
        out
    }

    /// Every recipient of the lease reached a final state.
    pub fn finish(&mut self, lease: Lease) {
        self.queues[lease.queue.0 as usize].finish(lease.slot);
    }

    /// Puts the lease's still-pending recipients back for another attempt at `next_attempt`,
    /// recording the queue's last error. With no pending recipient this is [`Self::finish`].
    /// An empty `error` means the work goes back untried (a limit stopped it): it does not
    /// count as an attempt and keeps the queue's last error.
    pub fn requeue(&mut self, lease: Lease, pending: &[u32], next_attempt: u64, error: &str) {
        let queue = &mut self.queues[lease.queue.0 as usize];
        let attempted = !error.is_empty();
        if attempted {
            queue.last_error = Some(error.into());
        }
        queue.requeue(lease.slot, pending, sat32(next_attempt), attempted);
    }

    /// Puts a lease back untouched, due at `at`: it was not attempted (a connection or rate
    /// limit stopped it), so the queue's last error stays what it was.
    pub fn give_back(&mut self, lease: Lease, at: u64) {
        let pending = lease.recipients.clone();
        self.queues[lease.queue.0 as usize].requeue(lease.slot, &pending, sat32(at), false);
    }

    pub fn set_mode(&mut self, q: QueueId, mode: Mode) {
        self.queues[q.0 as usize].mode = mode;
    }

    pub fn set_last_error(&mut self, q: QueueId, error: Option<&str>) {
        self.queues[q.0 as usize].last_error = error.map(Into::into);
    }

    /// Summary of one queue.
    pub fn summary(&self, q: QueueId) -> QueueSummary {
        let queue = &self.queues[q.0 as usize];
        QueueSummary {
            id: q,
            domain: self.names.name(queue.domain).clone(),
            vmta: self.names.name(queue.vmta).clone(),
            recipients: queue.rcpts,
            messages: queue.messages,
            bytes: queue.bytes,
            oldest: queue.oldest().map(u64::from),
            next_attempt: queue.next_due().map(u64::from),
            in_flight: queue.in_flight,
            paused: queue.paused,
            mode: queue.mode,
            last_error: queue.last_error.as_deref().map(str::to_owned),
        }
    }

    /// Summaries of every queue (empty ones included: they keep pause and mode).
    pub fn summaries(&self) -> impl Iterator<Item = QueueSummary> + '_ {
        (0..self.queues.len() as u32).map(move |q| self.summary(QueueId(q)))
    }

    /// Queues that are not paused and have a message due at `now`.
    pub fn due_queues(&self, now: u64) -> Vec<QueueId> {
        (0..self.queues.len() as u32)
            .map(QueueId)
            .filter(|&q| self.has_due(q, now))
            .collect()
    }

    /// True when `q` is not paused and has a message due at `now`.
    pub fn has_due(&self, q: QueueId, now: u64) -> bool {
        let queue = &self.queues[q.0 as usize];
        !queue.paused && queue.next_due().is_some_and(|t| t <= sat32(now))
    }

    /// Messages of `q` not in flight (due or waiting for a retry): how much a connection of
    /// the queue may still have to send, for sizing a cluster rate's batch of tokens.
    pub fn waiting(&self, q: QueueId) -> u64 {
        let queue = &self.queues[q.0 as usize];
        queue.messages.saturating_sub(queue.in_flight)
    }

    /// Total recipients queued (in flight included).
    pub fn recipients(&self) -> u64 {
        self.queues.iter().map(|q| q.rcpts).sum()
    }

    /// Lists up to `limit` entries of a queue from slot `cursor` (0 to start).
    pub fn list(&self, q: QueueId, cursor: u32, limit: usize) -> Page<Entry> {
        let queue = &self.queues[q.0 as usize];
        let mut items = Vec::new();
        let mut slot = cursor;
        while (slot as usize) < queue.slots() && items.len() < limit {
            if let Some(e) = entry(queue, slot) {
                items.push(e);
            }
            slot += 1;
        }
        let next = ((slot as usize) < queue.slots()).then_some(slot);
        Page { items, next }
    }

    /// Deletes up to `limit` waiting (not in-flight) entries from slot `cursor` on and
    /// returns them, so the caller can mark their recipients failed in the spool.
    pub fn delete(&mut self, q: QueueId, cursor: u32, limit: usize) -> Page<Entry> {
        self.delete_received_before(q, cursor, limit, None)
    }

    /// [`Self::delete`] restricted to messages received before `before` (Unix seconds), for
    /// `pmtactl delete --older-than`.
    pub fn delete_received_before(
        &mut self,
        q: QueueId,
        cursor: u32,
        limit: usize,
        before: Option<u64>,
    ) -> Page<Entry> {
        self.delete_where(q, cursor, limit, |e| before.is_none_or(|b| e.received < b))
    }

    /// [`Self::delete`] restricted to the waiting entries `wanted` accepts.
    pub fn delete_where(
        &mut self,
        q: QueueId,
        cursor: u32,
        limit: usize,
        wanted: impl Fn(&Entry) -> bool,
    ) -> Page<Entry> {
        let queue = &mut self.queues[q.0 as usize];
        let mut items = Vec::new();
        let mut slot = cursor;
        let wanted = |e: &Entry| e.state != EntryState::InFlight && wanted(e);
        while (slot as usize) < queue.slots() && items.len() < limit {
            if let Some(e) = entry(queue, slot).filter(wanted) {
                queue.delete(slot);
                items.push(e);
            }
            slot += 1;
        }
        let next = ((slot as usize) < queue.slots()).then_some(slot);
        Page { items, next }
    }

    /// Approximate heap bytes of the whole index (capacity based).
    pub fn heap_bytes(&self) -> usize {
        self.queues.iter().map(Queue::heap_bytes).sum::<usize>()
            + self.queues.capacity() * std::mem::size_of::<Queue>()
            + self.keys.capacity() * 13
    }
}

fn entry(queue: &Queue, slot: u32) -> Option<Entry> {
    let job = queue.job(slot)?;
    let state = match job.state {
        READY => EntryState::Ready,
        RETRY => EntryState::Retry,
        slots::INFLIGHT => EntryState::InFlight,
        _ => return None,
    };
    Some(Entry {
        message: MessageId(job.msg),
        recipients: queue.rcpts_of(slot),
        received: u64::from(job.received),
        size: u64::from(job.size),
        next_attempt: u64::from(job.next_attempt),
        state,
        attempts: job.attempts,
    })
}

fn cluster_paused(patterns: &[QueuePattern], domain: &str, vmta: &str) -> bool {
    patterns.iter().any(|p| p.matches(domain, vmta))
}
