//! Jobs (PowerMTA's campaigns): the messages that came with one job id (`X-Job:`, or the
//! source's `jobid-header`), what became of their recipients, and which jobs are paused.
//!
//! Queued counts and the message set come from the spool (rebuilt at start-up from the
//! recovered envelopes); delivered, bounced and deferred count outcomes since pmtad
//! started. A paused job's waiting messages are taken out of the queues and held here
//! until `resume job`; new mail of a paused job is held on arrival. Which jobs are paused
//! is kept in the spool directory (`paused-jobs`), so a restart holds their mail again.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use crate::envelope::{Envelope, MessageId, RcptState};

/// One job's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStats {
    /// Recipients not final yet (waiting, in flight or held).
    pub queued: u64,
    pub delivered: u64,
    pub bounced: u64,
    /// Temporary failures (each a `t` event).
    pub deferred: u64,
    /// Bytes of the job's messages still in the spool.
    pub bytes: u64,
    /// Unix seconds of the first and the last message received.
    pub first_seen: u64,
    pub last_seen: u64,
    pub paused: bool,
}

#[derive(Debug, Default)]
struct Job {
    stats: JobStats,
    /// Messages of the job still in the spool: (size, recipients not final).
    messages: BTreeMap<MessageId, (u64, u64)>,
    /// Messages taken out of the queues while the job is paused.
    held: HashSet<MessageId>,
}

/// Every job seen since start (or still in the spool).
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: Mutex<BTreeMap<String, Job>>,
}

/// What became of one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobEvent {
    Delivered,
    Bounced,
    Deferred,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Job>> {
        crate::locks::lock(&self.jobs)
    }

    /// A message of `job` with `rcpts` pending recipients entered the spool (or was
    /// recovered from it). True when the job is paused: the caller holds the message.
    pub fn received(&self, job: &str, id: MessageId, rcpts: u64, size: u64, at: u64) -> bool {
        let mut jobs = self.lock();
        let j = jobs.entry(job.to_string()).or_default();
        if j.messages.insert(id, (size, rcpts)).is_none() {
            j.stats.queued += rcpts;
            j.stats.bytes += size;
        }
        if j.stats.first_seen == 0 || at < j.stats.first_seen {
            j.stats.first_seen = at;
        }
        j.stats.last_seen = j.stats.last_seen.max(at);
        if j.stats.paused {
            j.held.insert(id);
        }
        j.stats.paused
    }

    /// Counts `n` outcomes of one kind for recipients of message `id`; once none of its
    /// recipients is left, the message is forgotten.
    pub fn outcome(&self, job: &str, id: MessageId, event: JobEvent, n: u64) {
        if n == 0 {
            return;
        }
        let mut jobs = self.lock();
        let Some(j) = jobs.get_mut(job) else { return };
        match event {
            JobEvent::Delivered => j.stats.delivered += n,
            JobEvent::Bounced => j.stats.bounced += n,
            JobEvent::Deferred => {
                j.stats.deferred += n;
                return;
            }
        }
        j.stats.queued = j.stats.queued.saturating_sub(n);
        let Some((size, left)) = j.messages.get_mut(&id) else {
            return;
        };
        *left = left.saturating_sub(n);
        if *left == 0 {
            j.stats.bytes = j.stats.bytes.saturating_sub(*size);
            j.messages.remove(&id);
            j.held.remove(&id);
        }
    }

    /// Whether `id` belongs to `job` and is still in the spool.
    pub fn contains(&self, job: &str, id: MessageId) -> bool {
        self.lock()
            .get(job)
            .is_some_and(|j| j.messages.contains_key(&id))
    }

    /// Every job with its figures, by name.
    pub fn list(&self) -> Vec<(String, JobStats)> {
        self.lock()
            .iter()
            .map(|(name, j)| (name.clone(), j.stats.clone()))
            .collect()
    }

    pub fn get(&self, job: &str) -> Option<JobStats> {
        self.lock().get(job).map(|j| j.stats.clone())
    }

    /// Marks `job` paused (known or not yet seen); false when it already was.
    pub fn pause(&self, job: &str) -> bool {
        let mut jobs = self.lock();
        let j = jobs.entry(job.to_string()).or_default();
        !std::mem::replace(&mut j.stats.paused, true)
    }

    /// The paused jobs, by name (what the paused jobs file keeps).
    pub fn paused(&self) -> Vec<String> {
        let jobs = self.lock();
        let paused = jobs.iter().filter(|(_, j)| j.stats.paused);
        paused.map(|(name, _)| name.clone()).collect()
    }

    /// Notes messages taken out of the queues for a paused job.
    pub fn hold(&self, job: &str, ids: impl IntoIterator<Item = MessageId>) {
        let mut jobs = self.lock();
        if let Some(j) = jobs.get_mut(job) {
            j.held.extend(ids);
        }
    }

    /// The held messages of a paused job, taken (it stays paused).
    pub fn take_held(&self, job: &str) -> Vec<MessageId> {
        let mut jobs = self.lock();
        jobs.get_mut(job)
            .map(|j| j.held.drain().collect())
            .unwrap_or_default()
    }

    /// Unpauses `job`; returns its held messages for the caller to queue again (`None`
    /// when it was not paused).
    pub fn resume(&self, job: &str) -> Option<Vec<MessageId>> {
        let mut jobs = self.lock();
        let j = jobs.get_mut(job)?;
        if !std::mem::replace(&mut j.stats.paused, false) {
            return None;
        }
        let held: Vec<MessageId> = j.held.drain().collect();
        if j.messages.is_empty() && j.stats == JobStats::default() {
            jobs.remove(job);
        }
        Some(held)
    }
}

/// Registers a stored (or recovered) message with its job; true when the job is paused
/// and the message must be held rather than queued.
pub fn note_received(jobs: &Jobs, id: MessageId, env: &Envelope) -> bool {
    let Some(job) = env.job_id.as_deref() else {
        return false;
    };
    let pending = env
        .recipients
        .iter()
        .filter(|r| r.state == RcptState::Pending)
        .count() as u64;
    jobs.received(job, id, pending, env.size, env.received_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_the_recipients() {
        let jobs = Jobs::default();
        assert!(!jobs.received("c42", MessageId(1), 3, 100, 10));
        jobs.received("c42", MessageId(2), 1, 50, 20);
        jobs.received("c42", MessageId(2), 1, 50, 20); // recovered twice: counted once
        jobs.outcome("c42", MessageId(1), JobEvent::Deferred, 1);
        jobs.outcome("c42", MessageId(1), JobEvent::Delivered, 2);
        jobs.outcome("c42", MessageId(1), JobEvent::Bounced, 1);
        let s = jobs.get("c42").unwrap();
        assert_eq!((s.queued, s.delivered, s.bounced, s.deferred), (1, 2, 1, 1));
        assert_eq!((s.bytes, s.first_seen, s.last_seen), (50, 10, 20));
        assert!(jobs.contains("c42", MessageId(2)) && !jobs.contains("c42", MessageId(1)));
        assert!(!jobs.contains("other", MessageId(2)));
    }

    #[test]
    fn a_paused_job_holds_its_mail_until_resumed() {
        let jobs = Jobs::default();
        assert!(jobs.pause("c7"));
        assert!(!jobs.pause("c7"));
        assert!(jobs.received("c7", MessageId(5), 1, 10, 1));
        jobs.hold("c7", [MessageId(6)]);
        let mut held = jobs.resume("c7").unwrap();
        held.sort();
        assert_eq!(held, [MessageId(5), MessageId(6)]);
        assert_eq!(jobs.resume("c7"), None);
        assert!(!jobs.received("c7", MessageId(7), 1, 10, 2));
    }
}
