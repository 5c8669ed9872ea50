//! `pause queue`, `resume queue`, `schedule`, `set queue --mode`: operator changes to queue
//! state, each applied under one hold of the state lock so the scheduler sees all or none.

use std::time::Instant;

use proto::{ControlError, QueueActionReport, QueueMode, QueuePattern};

use crate::daemon::{Shared, State};
use crate::logs::clock::now_secs;
use crate::queue::QueueId;
use crate::sched::Mode;

/// The queues whose (domain, vmta) matches `pattern`.
fn matching(st: &State, pattern: &QueuePattern) -> Vec<QueueId> {
    (0..st.index.len())
        .filter_map(|i| st.index.queue_at(i))
        .filter(|&q| {
            let (d, v) = st.index.names_of(q);
            pattern.matches(d, v)
        })
        .collect()
}

fn report(pattern: &QueuePattern, matched: usize, changed: u64) -> QueueActionReport {
    QueueActionReport {
        pattern: pattern.to_string(),
        matched: matched as u64,
        changed,
    }
}

/// Pauses the matching queues and remembers the pause (each queue's exact name, or the
/// pattern itself when no queue exists yet), so queues created later and the next start of
/// the daemon honour it. Connections already open finish their current transaction.
pub fn pause(shared: &Shared, pattern: &QueuePattern) -> QueueActionReport {
    let mut st = shared.state();
    let qs = matching(&st, pattern);
    let mut changed = 0;
    for &q in &qs {
        let (d, v) = st.index.names_of(q);
        let exact = QueuePattern {
            domain: d.to_string(),
            vmta: v.to_string(),
        };
        changed += u64::from(!st.index.summary(q).paused);
        st.index.set_paused(q, true);
        st.index.add_pause_rule(exact);
    }
    if qs.is_empty() {
        st.index.add_pause_rule(pattern.clone());
    }
    drop(st);
    shared
        .logs
        .event(format!("queue {pattern} paused by the operator"));
    report(pattern, qs.len(), changed)
}

/// Resumes the matching queues and forgets the pauses the pattern covers.
pub fn resume(shared: &Shared, pattern: &QueuePattern) -> Result<QueueActionReport, ControlError> {
    let mut st = shared.state();
    let had_rule = st
        .index
        .pause_rules()
        .iter()
        .any(|r| r == pattern || pattern.matches(&r.domain, &r.vmta));
    let qs = matching(&st, pattern);
    if qs.is_empty() && !had_rule {
        return Err(ControlError::NoSuchQueue(pattern.to_string()));
    }
    let mut changed = 0;
    for &q in &qs {
        changed += u64::from(st.index.summary(q).paused);
        st.index.set_paused(q, false);
    }
    st.index.remove_pause_rules(pattern);
    drop(st);
    shared
        .logs
        .event(format!("queue {pattern} resumed by the operator"));
    Ok(report(pattern, qs.len(), changed))
}

/// Makes every recipient of the matching queues that waits for a retry due now, and lifts
/// a `defer-queue` deferral.
pub fn schedule(
    shared: &Shared,
    pattern: &QueuePattern,
) -> Result<QueueActionReport, ControlError> {
    let now_s = now_secs();
    let mut st = shared.state();
    let qs = matching(&st, pattern);
    if qs.is_empty() {
        return Err(ControlError::NoSuchQueue(pattern.to_string()));
    }
    let mut changed = 0;
    for &q in &qs {
        let moved = st.index.retry_now(q, now_s);
        let deferred = st
            .queues
            .get_mut(&q)
            .is_some_and(|rt| rt.gate.end_deferral());
        changed += u64::from(moved > 0 || deferred);
    }
    Ok(report(pattern, qs.len(), changed))
}

/// Switches the matching queues to `mode`, applying that mode's limits at once. Mode is
/// queue state: a reload keeps it.
pub fn set_mode(
    shared: &Shared,
    pattern: &QueuePattern,
    mode: QueueMode,
    now: Instant,
) -> Result<QueueActionReport, ControlError> {
    let mode = match mode {
        QueueMode::Normal => Mode::Normal,
        QueueMode::Backoff => Mode::Backoff,
    };
    let policies = shared.policies();
    let mut st = shared.state();
    let qs = matching(&st, pattern);
    if qs.is_empty() {
        return Err(ControlError::NoSuchQueue(pattern.to_string()));
    }
    let mut changed = 0;
    for &q in &qs {
        let rt = st.rt(q, &policies);
        changed += u64::from(rt.current_mode(now) != mode);
        rt.set_mode(now, mode, None);
        st.index.set_mode(q, mode);
    }
    drop(st);
    shared.logs.event(format!(
        "queue {pattern} set to {} mode by the operator",
        mode.as_str()
    ));
    Ok(report(pattern, qs.len(), changed))
}
