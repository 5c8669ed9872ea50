//! `list` and `delete`: recipient-level verbs, one bounded page per call.
//!
//! The cursor is `(queue position << 32) | slot`: the queue index numbers its queues
//! densely and each queue its job slots, so a page resumes exactly where the last one
//! stopped without the daemon keeping any per-client state.

use std::sync::Arc;

use proto::time::rfc3339_from_unix;
use proto::{
    ControlError, DeletePage, DeleteRequest, ListPage, ListRequest, QueuePattern, QueuedRcpt,
    kbytes,
};

use crate::acct::{AcctRecord, Attempt};
use crate::daemon::{Shared, State};
use crate::delivery::classify::internal_reply;
use crate::envelope::{Envelope, RcptState};
use crate::logs::clock::now_secs;
use crate::outcome::{Outcome, Producer};
use crate::queue::{Entry, Page};

/// Most recipients one page may hold whatever the client asks, so a call stays short.
const MAX_PAGE: usize = 5_000;

/// One entry taken from a queue, with the queue's names.
pub(super) struct Taken {
    domain: Arc<str>,
    vmta: Arc<str>,
    last_error: Option<String>,
    pub(super) entry: Entry,
}

fn split(cursor: u64) -> (usize, u32) {
    ((cursor >> 32) as usize, cursor as u32)
}

fn join(pos: usize, slot: u32) -> u64 {
    ((pos as u64) << 32) | u64::from(slot)
}

/// Walks the queues matching `pattern` from `cursor`, letting `page` take entries from one
/// queue at a time (slot, room left), until `limit` entries are taken or queues run out.
fn walk(
    st: &mut State,
    pattern: &QueuePattern,
    cursor: u64,
    limit: usize,
    mut page: impl FnMut(&mut State, crate::queue::QueueId, u32, usize) -> Page<Entry>,
) -> (Vec<Taken>, Option<u64>) {
    let (mut pos, mut slot) = split(cursor);
    let mut out = Vec::new();
    while let Some(q) = st.index.queue_at(pos) {
        let (d, v) = st.index.names_of(q);
        let (d, v) = (d.clone(), v.clone());
        if pattern.matches(&d, &v) {
            let got = page(st, q, slot, limit - out.len());
            let last_error = st.index.summary(q).last_error;
            out.extend(got.items.into_iter().map(|entry| Taken {
                domain: d.clone(),
                vmta: v.clone(),
                last_error: last_error.clone(),
                entry,
            }));
            if let Some(next) = got.next {
                return (out, Some(join(pos, next)));
            }
        }
        pos += 1;
        slot = 0;
        if out.len() >= limit {
            return (out, st.index.queue_at(pos).map(|_| join(pos, 0)));
        }
    }
    (out, None)
}

/// Takes out of the queues matching `pattern` (from `cursor`) up to `limit` waiting
/// entries whose message `wanted` accepts: `delete --job`, `pause job`.
pub(super) fn walk_where(
    st: &mut State,
    pattern: &QueuePattern,
    cursor: u64,
    limit: usize,
    wanted: impl Fn(crate::envelope::MessageId) -> bool,
) -> (Vec<Taken>, Option<u64>) {
    walk(st, pattern, cursor, limit, |st, q, slot, room| {
        st.index.delete_where(q, slot, room, |e| wanted(e.message))
    })
}

/// Messages received before this instant qualify for `--older-than`.
fn received_before(older_than: Option<u64>) -> Option<u64> {
    older_than.map(|s| now_secs().saturating_sub(s))
}

/// One page of `list`. Blocking (reads envelopes from the spool).
pub fn list(shared: &Shared, req: &ListRequest) -> Result<ListPage, ControlError> {
    let limit = (req.limit as usize).clamp(1, MAX_PAGE);
    let before = received_before(req.older_than_secs);
    let (taken, next_cursor) = {
        let mut st = shared.state();
        walk(
            &mut st,
            &req.pattern,
            req.cursor,
            limit,
            |st, q, slot, room| {
                let mut p = st.index.list(q, slot, room);
                p.items.retain(|e| before.is_none_or(|b| e.received < b));
                p
            },
        )
    };
    let now_s = now_secs();
    let mut items = Vec::with_capacity(taken.len());
    for t in &taken {
        let Ok((env, _)) = shared.spool.read_message_blocking(t.entry.message) else {
            continue; // delivered or deleted since: no longer queued
        };
        items.extend(rows(t, &env, now_s));
    }
    Ok(ListPage { items, next_cursor })
}

fn rows<'a>(t: &'a Taken, env: &'a Envelope, now_s: u64) -> impl Iterator<Item = QueuedRcpt> + 'a {
    let e = &t.entry;
    let waiting = e.next_attempt > now_s;
    e.recipients.iter().filter_map(move |&i| {
        let rcpt = env.recipients.get(i as usize)?;
        Some(QueuedRcpt {
            message_id: e.message.to_string(),
            rcpt: rcpt.address.clone(),
            sender: env.mail_from.clone(),
            domain: t.domain.to_string(),
            vmta: t.vmta.to_string(),
            queued_at: rfc3339_from_unix(e.received),
            age_secs: now_s.saturating_sub(e.received),
            kbytes: kbytes(e.size),
            attempts: u32::from(e.attempts),
            next_retry: waiting.then(|| rfc3339_from_unix(e.next_attempt)),
            last_error: (e.attempts > 0).then(|| t.last_error.clone()).flatten(),
        })
    })
}

/// One page of `delete`: takes the entries out of the queues, then marks their recipients
/// failed in the spool and writes a `b` accounting record for each, so the deletion is in
/// the books like any other final outcome. Recipients in flight are left to their attempt.
pub async fn delete(shared: &Arc<Shared>, req: &DeleteRequest) -> Result<DeletePage, ControlError> {
    let limit = (req.max_batch as usize).clamp(1, MAX_PAGE);
    let before = received_before(req.older_than_secs);
    let (taken, next_cursor) = {
        let mut st = shared.state();
        walk(
            &mut st,
            &req.pattern,
            req.cursor,
            limit,
            |st, q, slot, room| st.index.delete_received_before(q, slot, room, before),
        )
    };
    let mut deleted = 0;
    for t in &taken {
        deleted += fail_deleted(shared, t).await?;
    }
    if deleted > 0 {
        shared.logs.event(format!(
            "{deleted} recipient(s) of {} deleted by the operator",
            req.pattern
        ));
    }
    Ok(DeletePage {
        deleted,
        next_cursor,
    })
}

/// The outcome recorded for a recipient the operator deleted.
fn deleted_outcome() -> Outcome {
    Outcome::Permanent {
        reply: internal_reply(554, "5.0.0", "deleted by operator (pmtactl delete)"),
        by: Producer::Internal,
        kind: crate::outcome::FailureKind::Policy,
    }
}

/// Final state, accounting and log line of one deleted entry; returns its recipients.
pub(super) async fn fail_deleted(shared: &Arc<Shared>, t: &Taken) -> Result<u64, ControlError> {
    let id = t.entry.message;
    let Ok((env, _)) = shared.spool.read_message(id).await else {
        return Ok(0); // gone from the spool already: nothing left to fail
    };
    let finals: Vec<(u32, RcptState)> = t
        .entry
        .recipients
        .iter()
        .map(|&i| (i, RcptState::Failed))
        .collect();
    shared
        .spool
        .set_states(id, &finals)
        .await
        .map_err(|e| ControlError::Failed(format!("spool: deleting message {id}: {e}")))?;
    let outcome = deleted_outcome();
    let attempt = Attempt::smtp(&t.domain, &t.vmta);
    let now_s = now_secs();
    for &i in &t.entry.recipients {
        let Some(rcpt) = env.recipients.get(i as usize) else {
            continue;
        };
        shared
            .logs
            .outcome(&rcpt.address, &t.domain, &t.vmta, &outcome);
        let rec = AcctRecord::from_outcome(&env, rcpt, &outcome, &attempt, now_s);
        let _ = shared.acct.record(rec).await;
    }
    let n = finals.len() as u64;
    if let Some(job) = env.job_id.as_deref() {
        let event = crate::daemon::jobs::JobEvent::Bounced;
        shared.jobs.outcome(job, id, event, n);
    }
    shared
        .counters
        .bounced
        .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    Ok(n)
}
