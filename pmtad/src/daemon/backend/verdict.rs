//! The first line of `domain detail`: SENDING, NOT SENDING with the one reason that binds
//! now and when delivery is tried next, or IDLE.
//!
//! Decided here, in the daemon's control backend, from the same [`QueueDetail`] every
//! interface receives (pmtactl, the HTTP interface), so they can never disagree. The hold
//! list is put in binding order first ([`HoldKind::rank`]), one entry per kind.

use proto::time::parse_rfc3339;
use proto::{DomainDetail, HoldKind, HoldReason, QueueDetail, Verdict, VerdictState};

/// Sorts holds by which binds first and keeps one per kind (the first, most specific).
pub fn order_holds(holds: &mut Vec<HoldReason>) {
    holds.sort_by_key(|h| h.kind.rank());
    holds.dedup_by_key(|h| h.kind);
}

/// Holds that stop sending; the others only pace it while connections are open.
fn stops_sending(kind: HoldKind, active: u32) -> bool {
    match kind {
        HoldKind::Backoff => false,
        HoldKind::ConnectionLimit | HoldKind::PerIpLimit | HoldKind::VmtaConnectionLimit => {
            active == 0
        }
        _ => true,
    }
}

/// The verdict of one queue (its `held_back` already ordered).
pub fn queue_verdict(q: &QueueDetail) -> Verdict {
    if q.rcpts == 0 {
        let line = if q.paused {
            "IDLE: nothing queued (paused: new mail will be held)"
        } else {
            "IDLE: nothing queued"
        };
        return verdict(VerdictState::Idle, None, line.to_string(), None);
    }
    let active = q.connections.active;
    let Some(hold) = q.held_back.iter().find(|h| stops_sending(h.kind, active)) else {
        return verdict(VerdictState::Sending, None, "SENDING".into(), None);
    };
    let next = next_attempt(hold, q);
    let mut line = format!("NOT SENDING: {}", hold.detail);
    if let Some(clock) = next.as_deref().and_then(clock_utc) {
        line.push_str(&format!(" — next attempt {clock} UTC"));
    }
    verdict(VerdictState::NotSending, Some(hold.kind), line, next)
}

/// When the binding hold lets go: its own end, else the queue's next retry. A pause has
/// none: nothing is tried until the operator resumes.
fn next_attempt(hold: &HoldReason, q: &QueueDetail) -> Option<String> {
    if hold.kind == HoldKind::Paused {
        return None;
    }
    hold.until.clone().or_else(|| q.next_retry.clone())
}

/// The domain's verdict: sending when any queue sends, idle when none has mail, else the
/// verdict of the held queue with the most recipients (named when there are several).
pub fn domain_verdict(d: &DomainDetail) -> Verdict {
    let verdicts: Vec<(&QueueDetail, &Verdict)> =
        d.queues.iter().map(|q| (q, &q.verdict)).collect();
    if let Some((_, v)) = verdicts
        .iter()
        .find(|(_, v)| v.state == VerdictState::Sending)
    {
        return (*v).clone();
    }
    let held = verdicts
        .iter()
        .filter(|(_, v)| v.state == VerdictState::NotSending)
        .max_by_key(|(q, _)| q.rcpts);
    match held {
        Some((q, v)) if d.queues.len() > 1 => Verdict {
            line: v
                .line
                .replacen(": ", &format!(": {}/{}: ", q.domain, q.vmta), 1),
            ..(*v).clone()
        },
        Some((_, v)) => (*v).clone(),
        None => verdict(
            VerdictState::Idle,
            None,
            "IDLE: nothing queued".into(),
            None,
        ),
    }
}

/// The value a detail carries until [`queue_verdict`] or [`domain_verdict`] fills it in.
pub fn placeholder() -> Verdict {
    verdict(VerdictState::Idle, None, String::new(), None)
}

fn verdict(
    state: VerdictState,
    reason: Option<HoldKind>,
    line: String,
    next_attempt: Option<String>,
) -> Verdict {
    Verdict {
        state,
        reason,
        line,
        next_attempt,
    }
}

/// `HH:MM:SS` of an RFC 3339 UTC time.
fn clock_utc(at: &str) -> Option<String> {
    let t = parse_rfc3339(at)?;
    let s = t % 86_400;
    Some(format!(
        "{:02}:{:02}:{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::{Connections, DestinationSource, Destinations, QueueMode};

    fn hold(kind: HoldKind, detail: &str, until: Option<&str>) -> HoldReason {
        HoldReason {
            kind,
            detail: detail.into(),
            until: until.map(Into::into),
        }
    }

    fn queue(rcpts: u64, active: u32, mut holds: Vec<HoldReason>) -> QueueDetail {
        order_holds(&mut holds);
        let mut q = QueueDetail {
            domain: "d.test".into(),
            vmta: "{default}".into(),
            rcpts,
            kbytes: 1,
            oldest_age_secs: None,
            next_retry: Some("2026-12-03T08:12:03Z".into()),
            paused: false,
            mode: QueueMode::Normal,
            connections: Connections {
                active,
                ..Connections::default()
            },
            held_back: holds,
            destinations: Destinations {
                source: DestinationSource::Unresolved,
                hosts: Vec::new(),
                resolved_at: None,
                error: None,
            },
            recent_errors: Vec::new(),
            recent_deliveries: Vec::new(),
            settings: Vec::new(),
            verdict: verdict(VerdictState::Idle, None, String::new(), None),
        };
        q.verdict = queue_verdict(&q);
        q
    }

    #[test]
    fn the_failure_binds_before_the_retry_wait_it_causes_and_duplicates_go() {
        let q = queue(
            3,
            0,
            vec![
                hold(HoldKind::RetryWait, "waiting for the retry", None),
                hold(HoldKind::DnsFailure, "DNS lookup for d.test failed", None),
                hold(HoldKind::DnsFailure, "again", None),
            ],
        );
        assert_eq!(q.held_back.len(), 2);
        assert_eq!(q.verdict.reason, Some(HoldKind::DnsFailure));
        assert_eq!(
            q.verdict.line,
            "NOT SENDING: DNS lookup for d.test failed — next attempt 08:12:03 UTC"
        );
    }

    #[test]
    fn limits_with_open_connections_and_backoff_still_send() {
        let q = queue(
            3,
            2,
            vec![
                hold(HoldKind::ConnectionLimit, "2 of 2", None),
                hold(HoldKind::Backoff, "backoff", None),
            ],
        );
        assert_eq!(q.verdict.state, VerdictState::Sending);
        assert_eq!(q.verdict.line, "SENDING");
    }

    #[test]
    fn a_pause_has_no_next_attempt_and_an_empty_queue_is_idle() {
        let q = queue(
            1,
            0,
            vec![hold(HoldKind::Paused, "paused by the operator", None)],
        );
        assert_eq!(q.verdict.line, "NOT SENDING: paused by the operator");
        assert_eq!(q.verdict.next_attempt, None);
        assert_eq!(queue(0, 0, Vec::new()).verdict.line, "IDLE: nothing queued");
    }

    #[test]
    fn the_domain_names_the_biggest_held_queue() {
        let small = queue(1, 0, vec![hold(HoldKind::Paused, "paused", None)]);
        let mut big = queue(
            5,
            0,
            vec![hold(
                HoldKind::RateLimit,
                "max-msg-rate",
                Some("2026-12-03T09:00:00Z"),
            )],
        );
        big.vmta = "vmta1".into();
        big.verdict = queue_verdict(&big);
        let d = DomainDetail {
            domain: "d.test".into(),
            rcpts: 6,
            kbytes: 2,
            queues: vec![small, big],
            verdict: verdict(VerdictState::Idle, None, String::new(), None),
            rollup: None,
            members: Vec::new(),
        };
        let v = domain_verdict(&d);
        assert_eq!(
            v.line,
            "NOT SENDING: d.test/vmta1: max-msg-rate — next attempt 09:00:00 UTC"
        );
        assert_eq!(v.reason, Some(HoldKind::RateLimit));
    }
}
