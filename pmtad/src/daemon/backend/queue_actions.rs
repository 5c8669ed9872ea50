//! `pause queue`, `resume queue`, `schedule`, `set queue --mode`: operator changes to queue
//! state, each applied under one hold of the state lock so the scheduler sees all or none.

use std::time::Instant;

use proto::{
    ControlError, OperatorRule, OperatorRules, QueueActionReport, QueueMode, QueuePattern,
};

use super::typos;
use crate::daemon::{Shared, State};
use crate::logs::clock::now_secs;
use crate::queue::{QueueId, RuleAction};
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

fn report(
    pattern: &QueuePattern,
    matched: usize,
    changed: u64,
    warning: Option<String>,
) -> QueueActionReport {
    QueueActionReport {
        pattern: pattern.to_string(),
        matched: matched as u64,
        changed,
        warning,
    }
}

/// `no queue matches gmial.com/* (did you mean gmail.com?)`. Takes the state lock: call
/// it with the lock released.
fn no_such_queue(shared: &Shared, pattern: &QueuePattern) -> ControlError {
    let policies = shared.policies();
    let guess = typos::closest_domain(&shared.state(), &policies.config, &pattern.domain)
        .map(|c| format!(" (did you mean {c}?)"))
        .unwrap_or_default();
    ControlError::NoSuchQueue(format!("{pattern}{guess}"))
}

/// Records the operator's pause or resume of `pattern` and counts the existing queues whose
/// pause it changed.
fn record_pause(st: &mut State, pattern: &QueuePattern, action: RuleAction) -> (usize, u64) {
    let qs = matching(st, pattern);
    let before: Vec<bool> = qs.iter().map(|&q| st.index.is_paused(q)).collect();
    st.index.record_rule(action, pattern);
    let changed = qs
        .iter()
        .zip(before)
        .filter(|&(&q, was)| st.index.is_paused(q) != was)
        .count();
    (qs.len(), changed as u64)
}

/// Pauses the matching queues and keeps the pattern itself, so every queue it names is held:
/// those that exist, those created later (mail for another virtual MTA), and all of them
/// after a restart. Connections already open finish their current transaction. A pattern
/// naming nothing known is kept too, with a warning (see [`typos`]).
pub fn pause(shared: &Shared, pattern: &QueuePattern) -> QueueActionReport {
    let policies = shared.policies();
    let mut st = shared.state();
    let warning = typos::unknown_target(&st, &policies.config, pattern);
    let (matched, changed) = record_pause(&mut st, pattern, RuleAction::Pause);
    drop(st);
    shared
        .logs
        .event(format!("queue {pattern} paused by the operator"));
    report(pattern, matched, changed, warning)
}

/// Resumes the matching queues: drops the pauses the pattern covers, and keeps an exemption
/// when a broader pause still names some of them (`resume queue gmail.com/vmta1` after
/// `pause queue 'gmail.com/*'`).
pub fn resume(shared: &Shared, pattern: &QueuePattern) -> Result<QueueActionReport, ControlError> {
    let mut st = shared.state();
    let had_rule = st
        .index
        .rules()
        .pauses()
        .any(|r| r.pattern == *pattern || pattern.matches(&r.pattern.domain, &r.pattern.vmta));
    if matching(&st, pattern).is_empty() && !had_rule {
        drop(st);
        return Err(no_such_queue(shared, pattern));
    }
    let (matched, changed) = record_pause(&mut st, pattern, RuleAction::Resume);
    drop(st);
    shared
        .logs
        .event(format!("queue {pattern} resumed by the operator"));
    Ok(report(pattern, matched, changed, None))
}

/// `show paused`: every stored order with the existing queues it decides now.
pub fn rules(shared: &Shared) -> OperatorRules {
    let st = shared.state();
    let all = st.index.rules().all();
    let mut out: Vec<OperatorRule> = all
        .iter()
        .map(|r| OperatorRule {
            action: r.action.as_str().to_string(),
            pattern: r.pattern.to_string(),
            queues: 0,
            rcpts: 0,
        })
        .collect();
    for q in (0..st.index.len()).filter_map(|i| st.index.queue_at(i)) {
        let (d, v) = st.index.names_of(q);
        let rcpts = st.index.summary(q).recipients;
        for pausing in [true, false] {
            let last = all
                .iter()
                .rposition(|r| r.action.is_pausing() == pausing && r.pattern.matches(d, v));
            if let Some(i) = last {
                out[i].queues += 1;
                out[i].rcpts += rcpts;
            }
        }
    }
    OperatorRules { rules: out }
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
        drop(st);
        return Err(no_such_queue(shared, pattern));
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
    Ok(report(pattern, qs.len(), changed, None))
}

/// Switches the matching queues to `mode`, applying that mode's limits at once, and keeps
/// the order as a rule, so queues the pattern names later (and after a restart) start in
/// that mode. Mode is queue state: a reload keeps it.
pub fn set_mode(
    shared: &Shared,
    pattern: &QueuePattern,
    mode: QueueMode,
    now: Instant,
) -> QueueActionReport {
    let (mode, action) = match mode {
        QueueMode::Normal => (Mode::Normal, RuleAction::Normal),
        QueueMode::Backoff => (Mode::Backoff, RuleAction::Backoff),
    };
    let policies = shared.policies();
    let mut st = shared.state();
    let warning = typos::unknown_target(&st, &policies.config, pattern);
    st.index.record_rule(action, pattern);
    let qs = matching(&st, pattern);
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
    report(pattern, qs.len(), changed, warning)
}
