//! What happens after an attempt: each recipient's outcome goes to the spool (final states,
//! durably), the accounting files, the domain log, the queue (retry or finish) and the
//! queue's scheduling state (failures, mode, recent events). One outcome value feeds all of
//! them, so they cannot disagree.
//!
//! Part of the outbound side ([`crate::outbound`]): the connection loop calls it after each
//! attempt, and the retry decision ([`crate::sched`]'s rules applied to the queue) is made
//! here, where the outcome is known.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use config::PatternAction;
use std::time::Duration;

use crate::acct::{AcctRecord, Attempt, DlvType, RecordType};
use crate::daemon::Context;
use crate::daemon::jobs::JobEvent;
use crate::daemon::{Policies, QueueRt, RecentEvent, Shared, convert};
use crate::delivery::SessionInfo;
use crate::delivery::classify::expired;
use crate::envelope::{Envelope, RcptState};
use crate::logs::clock::now_secs;
use crate::outcome::Outcome;
use crate::queue::Lease;
use crate::sched::{AfterTransient, Mode, RetryPolicy};

/// What the connection must do after an attempt, from the `<smtp-pattern-list>` rules the
/// replies matched.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Stop using this connection (`skip-mx`, `disable-source-ip`, `defer-queue`).
    pub stop: bool,
    /// `bounce-queue`: bounce everything waiting in the queue with this outcome.
    pub bounce_queue: Option<Outcome>,
    /// `skip-mx` left another host to try: the recipients are due again at once.
    retry_now: bool,
    /// Recipients of this attempt that were refused or deferred (`max-errors-per-connection`).
    pub rcpt_errors: u64,
}

impl Context {
    /// The accounting context of an attempt over `info` (None: local or internal).
    fn attempt(&self, info: Option<&SessionInfo>) -> Attempt {
        let mut a = Attempt::smtp(&self.domain, &self.vmta);
        a.domain_file = crate::acct::domain_file(&self.policy);
        a.dlv_type = match self.policy.delivery {
            config::Delivery::Smtp => DlvType::Smtp,
            config::Delivery::Local { .. } => DlvType::Pipe,
            config::Delivery::Discard => DlvType::Discard,
        };
        if let Some(i) = info {
            a.source_ip = Some(i.local.ip());
            a.esmtp = Some(esmtp_list(i));
            a.tls = i.tls.as_ref().map(|t| (t.clone(), String::new()));
        }
        a
    }
}

fn esmtp_list(i: &SessionInfo) -> String {
    let e = &i.extensions;
    let mut v = Vec::new();
    for (on, name) in [
        (e.pipelining, "pipelining"),
        (e.size.is_some(), "size"),
        (e.eight_bit_mime, "8bitmime"),
        (e.starttls, "starttls"),
        (e.enhanced_status_codes, "enhancedstatuscodes"),
    ] {
        if on {
            v.push(name);
        }
    }
    v.join(",")
}

/// Record the outcomes of one attempt (one per recipient of the lease, in order).
pub async fn apply(
    shared: &Arc<Shared>,
    ctx: &Context,
    lease: Lease,
    env: &Envelope,
    content: &[u8],
    results: Vec<Outcome>,
    info: Option<&SessionInfo>,
) -> Verdict {
    let now_s = now_secs();
    let attempt = ctx.attempt(info);
    let age = std::time::Duration::from_secs(now_s.saturating_sub(env.received_at));
    let retry = convert::retry(&ctx.policy, current_mode(shared, ctx));
    let mut finals = Vec::new();
    let mut pending = Vec::new();
    let mut bounced = Vec::new();
    let mut delivered = 0;
    let mut last_error = None;
    let mut actions = Vec::new();
    let mut bounce_queue = None;
    let mut notes = Vec::new();
    let mut delayed = Vec::new();
    let policies = shared.policies();
    for (&i, outcome) in lease.recipients.iter().zip(results) {
        let rules = pattern_actions(shared, ctx, &outcome);
        let outcome = adjust(outcome, &rules, retry.expired(age));
        if rules.contains(&PatternAction::BounceQueue) && bounce_queue.is_none() {
            bounce_queue = Some(outcome.clone());
        }
        actions.extend(rules);
        let rcpt = &env.recipients[i as usize];
        shared
            .logs
            .outcome(&rcpt.address, &ctx.domain, &ctx.vmta, &outcome);
        if wants_record(&policies, &outcome, &attempt) {
            let rec = AcctRecord::from_outcome(env, rcpt, &outcome, &attempt, now_s);
            let _ = shared.acct.record(rec).await;
        }
        match &outcome {
            Outcome::Delivered { .. } => {
                finals.push((i, RcptState::Delivered));
                delivered += 1;
            }
            Outcome::Permanent { reply, .. } => {
                finals.push((i, RcptState::Failed));
                if rcpt.notify.wants_failure() {
                    bounced.push((i, outcome.clone()));
                }
                notes.push(RecentEvent {
                    at: now_s,
                    rcpt: Some(rcpt.address.to_string()),
                    category: policies.bounce().classify_reply(reply).to_string(),
                    outcome: outcome.clone(),
                });
            }
            Outcome::Transient { .. } => {
                pending.push(i);
                last_error = Some(outcome.clone());
                if rcpt.notify.wants_delay() && ctx.policy.notify_of_delay_every.is_some() {
                    delayed.push((i, outcome.clone()));
                }
            }
        }
    }
    if let Some(job) = env.job_id.as_deref() {
        let id = lease.message;
        shared
            .jobs
            .outcome(job, id, JobEvent::Delivered, delivered as u64);
        shared
            .jobs
            .outcome(job, id, JobEvent::Bounced, bounced.len() as u64);
        shared
            .jobs
            .outcome(job, id, JobEvent::Deferred, pending.len() as u64);
    }
    // Unsynced: a crash before the next commit means a re-delivery, never a loss.
    if let Err(e) = shared.spool.complete(lease.message, &finals).await {
        tracing::error!("spool: recording delivery states of {}: {e}", lease.message);
    }
    if !bounced.is_empty() {
        let kind = super::dsn_builder::DsnKind::Failed;
        super::dsn_builder::send(shared, env, headers_of(content), &bounced, kind).await;
    }
    let delayed = due_delay_notices(shared, ctx, lease.message, env, delayed, &finals, age);
    // The retry error is classified like its `t` record, before the state lock is taken.
    let last_error = last_error.map(|outcome| RecentEvent {
        at: now_s,
        rcpt: None,
        category: policies
            .bounce()
            .classify_reply(outcome.reply())
            .to_string(),
        outcome,
    });
    if !delayed.is_empty() {
        let retry_until = env.received_at + ctx.policy.bounce_after.as_secs();
        let kind = super::dsn_builder::DsnKind::Delayed { retry_until };
        super::dsn_builder::send(shared, env, headers_of(content), &delayed, kind).await;
    }
    let mut st = shared.state();
    let policies = shared.policies();
    let rt = st.rt(ctx.q, &policies);
    let now = Instant::now();
    if delivered > 0 {
        rt.failures = 0;
        rt.mode.on_delivered();
        rt.push_delivery(now_s, format!("{delivered} recipient(s) delivered"));
    }
    notes.into_iter().for_each(|b| rt.push_bounce(b));
    let retry_in = retry_interval(&retry, rt.failures + 1, age);
    let mut verdict = apply_actions(rt, &actions, now, info, retry_in);
    verdict.bounce_queue = bounce_queue;
    verdict.rcpt_errors = (bounced.len() + pending.len()) as u64;
    let (bounced_n, deferred_n) = (bounced.len(), pending.len());
    if pending.is_empty() {
        st.index.finish(lease);
    } else {
        rt.failures += 1;
        let err = last_error.map_or_else(String::new, |e| {
            let text = e.outcome.reply().to_string();
            rt.push_error(e);
            text
        });
        let due = if verdict.retry_now {
            now_s
        } else {
            now_s + retry_in.as_secs().max(1)
        };
        st.index.requeue(lease, &pending, due, &err);
    }
    let tally = st.tally.row(ctx.q);
    tally.delivered += delivered as u64;
    tally.bounced += bounced_n as u64;
    tally.deferred += deferred_n as u64;
    drop(st);
    // Counters last: whoever sees a delivery counted also sees the queue without it.
    count(shared, delivered, bounced_n, deferred_n, content.len());
    verdict
}

/// The delayed recipients (of those that asked for NOTIFY=DELAY) owed a delay notice now:
/// one each time their mail has waited another `notify-of-delay-every`. The count sent is
/// kept per recipient in memory (a restart may repeat the latest notice once); final
/// recipients drop theirs.
fn due_delay_notices(
    shared: &Shared,
    ctx: &Context,
    id: crate::envelope::MessageId,
    env: &Envelope,
    delayed: Vec<(u32, Outcome)>,
    finals: &[(u32, RcptState)],
    age: Duration,
) -> Vec<(u32, Outcome)> {
    let mut st = shared.state();
    if !st.delay_notices.is_empty() {
        for (i, _) in finals {
            st.delay_notices.remove(&(id, *i));
        }
    }
    let Some(every) = ctx.policy.notify_of_delay_every else {
        return Vec::new();
    };
    if delayed.is_empty() || env.mail_from.is_empty() {
        return Vec::new();
    }
    let periods = (age.as_secs() / every.as_secs().max(1)) as u32;
    delayed
        .into_iter()
        .filter(|(i, _)| {
            let sent = st.delay_notices.entry((id, *i)).or_insert(0);
            let due = periods > *sent;
            if due {
                *sent = periods;
            }
            due
        })
        .collect()
}

/// The wait before the next try after `failures` failed ones (zero once expired).
fn retry_interval(retry: &RetryPolicy, failures: u32, age: Duration) -> Duration {
    match retry.after_transient(failures, age) {
        AfterTransient::RetryIn(d) => d,
        AfterTransient::Expire => Duration::ZERO,
    }
}

fn count(shared: &Shared, delivered: usize, bounced: usize, deferred: usize, size: usize) {
    let c = &shared.counters;
    if delivered > 0 {
        c.msgs_out.fetch_add(1, Ordering::Relaxed);
        c.bytes_out.fetch_add(size as u64, Ordering::Relaxed);
    }
    c.delivered.fetch_add(delivered as u64, Ordering::Relaxed);
    c.bounced.fetch_add(bounced as u64, Ordering::Relaxed);
    c.deferred.fetch_add(deferred as u64, Ordering::Relaxed);
}

fn current_mode(shared: &Shared, ctx: &Context) -> Mode {
    let policies = shared.policies();
    let mut st = shared.state();
    st.rt(ctx.q, &policies).current_mode(Instant::now())
}

/// Expiry, `bounce-rcpt` and `bounce-queue` turn a transient outcome into a bounce;
/// `skip-mx` keeps the recipient queued whatever the reply (even a 5xx).
fn adjust(outcome: Outcome, actions: &[PatternAction], is_expired: bool) -> Outcome {
    let has = |a: PatternAction| actions.contains(&a);
    match outcome {
        Outcome::Transient { reply, .. } if is_expired => expired(Some(&reply)),
        Outcome::Transient { reply, by, kind }
            if has(PatternAction::BounceRcpt) || has(PatternAction::BounceQueue) =>
        {
            Outcome::Permanent { reply, by, kind }
        }
        Outcome::Permanent { reply, by, kind } if has(PatternAction::SkipMx) && !is_expired => {
            Outcome::Transient { reply, by, kind }
        }
        o => o,
    }
}

/// The actions of the first `<smtp-pattern-list>` rule matching a non-2xx reply.
fn pattern_actions(shared: &Shared, ctx: &Context, outcome: &Outcome) -> Vec<PatternAction> {
    if matches!(outcome, Outcome::Delivered { .. }) {
        return Vec::new();
    }
    let Some(name) = &ctx.policy.smtp_pattern_list else {
        return Vec::new();
    };
    let policies = shared.policies();
    let Some(list) = policies.config.smtp_pattern_list(name) else {
        return Vec::new();
    };
    let text = outcome.reply().to_string();
    list.matching(&text)
        .map(|r| r.actions.clone())
        .unwrap_or_default()
}

/// Queue-level effects of pattern rules: `mode=backoff` (with its own
/// `backoff-to-normal-after=`), `mode=normal`, `skip-mx` (this host goes behind the others
/// for a retry interval), `disable-source-ip` (this queue stops using the local address
/// that got the reply, for `reenable-after=` or for good) and `defer-queue` (no new
/// connection for a retry interval). `bounce-queue` is the caller's, after the lock.
fn apply_actions(
    rt: &mut QueueRt,
    actions: &[PatternAction],
    now: Instant,
    info: Option<&SessionInfo>,
    retry_in: Duration,
) -> Verdict {
    let timer = |want: fn(&PatternAction) -> Option<Duration>| actions.iter().find_map(want);
    let after = timer(|a| match a {
        PatternAction::BackoffToNormalAfter(d) => Some(*d),
        _ => None,
    });
    let reenable = timer(|a| match a {
        PatternAction::ReenableAfter(d) => Some(*d),
        _ => None,
    });
    let mut v = Verdict::default();
    for a in actions {
        match (a, info) {
            (PatternAction::ModeBackoff, _) => rt.set_mode(now, Mode::Backoff, after),
            (PatternAction::ModeNormal, _) => rt.set_mode(now, Mode::Normal, None),
            (PatternAction::SkipMx, Some(i)) => {
                v.retry_now = rt.skip_host(&i.dest.host, now + retry_in, now);
                v.stop = true;
            }
            (PatternAction::DisableSourceIp, Some(i)) => {
                let ip = i.local.ip();
                rt.disabled_sources.retain(|(a, _)| *a != ip);
                let reenable = reenable.or(rt.policy.reenable_source_ip_after);
                rt.disabled_sources.push((ip, reenable.map(|d| now + d)));
                v.stop = true;
            }
            (PatternAction::DeferQueue, _) => {
                rt.gate.defer_until(now + retry_in);
                v.stop = true;
            }
            _ => {}
        }
    }
    v
}

/// `bounce-queue`: every recipient waiting in the queue bounces now, each with its DSN
/// and accounting record, as if it had received `outcome` itself.
pub async fn bounce_queue(shared: &Arc<Shared>, ctx: &Context, outcome: Outcome) {
    loop {
        let leases = shared
            .state()
            .index
            .take_due(ctx.q, u64::from(u32::MAX), 64);
        if leases.is_empty() {
            return;
        }
        for lease in leases {
            queue_failure(shared, ctx, lease, outcome.clone(), None).await;
        }
    }
}

/// A failure before any recipient was tried (DNS, connection, TLS required, 5xx greeting):
/// the same outcome for every recipient of the lease, plus a `tq` record when transient.
pub async fn queue_failure(
    shared: &Arc<Shared>,
    ctx: &Context,
    lease: Lease,
    outcome: Outcome,
    info: Option<&SessionInfo>,
) -> Verdict {
    if let Some(rec) = AcctRecord::queue_transient(&outcome, &ctx.attempt(info), now_secs()) {
        let _ = shared.acct.record(rec).await;
    }
    let (env, content) = match shared.spool.read_message(lease.message).await {
        Ok(m) => m,
        Err(e) => {
            spool_unreadable(shared, ctx, lease, &e.to_string());
            return Verdict::default();
        }
    };
    let results = lease.recipients.iter().map(|_| outcome.clone()).collect();
    apply(shared, ctx, lease, &env, &content, results, info).await
}

/// The spool could not give the message back: gone (deleted) means done; anything else is
/// retried later and logged, never silently dropped.
pub fn spool_unreadable(shared: &Shared, ctx: &Context, lease: Lease, error: &str) {
    tracing::error!(
        "spool: reading message {} for {}/{}: {error}",
        lease.message,
        ctx.domain,
        ctx.vmta
    );
    let mut st = shared.state();
    if !shared.spool.contains(lease.message) {
        st.index.finish(lease);
        return;
    }
    let pending = lease.recipients.clone();
    st.index.requeue(lease, &pending, now_secs() + 60, error);
}

/// The header section of a message (up to the first empty line), for the DSN.
fn headers_of(content: &[u8]) -> &[u8] {
    let end = content
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(content.len(), |p| p + 2);
    &content[..end.min(content.len())]
}

/// Whether an accounting output takes the record of `outcome` (see
/// [`crate::daemon::Policies::wants_record`]).
fn wants_record(policies: &Policies, outcome: &Outcome, attempt: &Attempt) -> bool {
    policies.wants_record(RecordType::of(outcome), attempt.domain_file.is_some())
}
