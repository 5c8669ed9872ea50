//! Small conversions shared by the verbs: the daemon's recent-event records and clocks to
//! the protocol's [`Event`]s and RFC 3339 strings.

use std::time::{Duration, Instant};

use proto::time::rfc3339_from_unix;
use proto::{Event, EventKind, QueueMode};

use crate::daemon::RecentEvent;
use crate::outcome::{FailureKind, Outcome, Producer};
use crate::sched::Mode;

/// A recent failure of a queue (a retry error or a bounce) as an [`Event`]: kind, failure,
/// reply, producer and category all come from the recorded outcome.
pub fn failure_event(e: &RecentEvent, vmta: &str) -> Event {
    let (remote_host, remote_ip) = match &e.outcome {
        Outcome::Delivered { by, .. }
        | Outcome::Transient { by, .. }
        | Outcome::Permanent { by, .. } => match by {
            Producer::Remote { host, ip } => (Some(host.clone()), Some(ip.to_string())),
            Producer::Local { .. } | Producer::Internal => (None, None),
        },
    };
    Event {
        at: rfc3339_from_unix(e.at),
        kind: event_kind(&e.outcome),
        vmta: vmta.to_string(),
        rcpt: e.rcpt.clone(),
        remote_host,
        remote_ip,
        diag: e.outcome.reply().to_string(),
        category: Some(e.category.clone()),
        failure: e.outcome.failure(),
    }
}

/// The event kind of an outcome: a final failure is a bounce wherever it happened; a
/// transient one names the DNS, connection and TLS failures, anything else is a deferral.
pub fn event_kind(outcome: &Outcome) -> EventKind {
    match outcome {
        Outcome::Delivered { .. } => EventKind::Delivered,
        Outcome::Permanent { .. } => EventKind::Bounced,
        Outcome::Transient { kind, .. } => match kind {
            FailureKind::Dns => EventKind::DnsError,
            FailureKind::Connect => EventKind::ConnectionError,
            FailureKind::Tls => EventKind::TlsError,
            _ => EventKind::Deferred,
        },
    }
}

/// A recent delivery of a queue as an [`Event`].
pub fn delivery_event(at: u64, vmta: &str, text: &str) -> Event {
    Event {
        at: rfc3339_from_unix(at),
        kind: EventKind::Delivered,
        vmta: vmta.to_string(),
        rcpt: None,
        remote_host: None,
        remote_ip: None,
        diag: text.to_string(),
        category: None,
        failure: None,
    }
}

/// The protocol's spelling of a mode.
pub fn mode(m: Mode) -> QueueMode {
    match m {
        Mode::Normal => QueueMode::Normal,
        Mode::Backoff => QueueMode::Backoff,
    }
}

/// An [`Instant`] as Unix seconds, through the wall clock now.
pub fn instant_secs(t: Instant, now: Instant, now_s: u64) -> u64 {
    match t.checked_duration_since(now) {
        Some(ahead) => now_s + ceil_secs(ahead),
        None => now_s.saturating_sub(now.duration_since(t).as_secs()),
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// An [`Instant`] as RFC 3339.
pub fn instant_rfc3339(t: Instant, now: Instant, now_s: u64) -> String {
    rfc3339_from_unix(instant_secs(t, now, now_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_outcome_not_the_text() {
        let reply = crate::delivery::classify::reply_from_parts;
        let by = Producer::Internal;
        let transient = |kind| Outcome::Transient {
            // Wording that once fooled the substring classifier ("dns", "connect").
            reply: reply(451, "4.4.1 dns connect tls timed out"),
            by: by.clone(),
            kind,
        };
        assert_eq!(
            event_kind(&transient(FailureKind::Dns)),
            EventKind::DnsError
        );
        assert_eq!(
            event_kind(&transient(FailureKind::Connect)),
            EventKind::ConnectionError
        );
        assert_eq!(
            event_kind(&transient(FailureKind::Tls)),
            EventKind::TlsError
        );
        assert_eq!(
            event_kind(&transient(FailureKind::Data)),
            EventKind::Deferred
        );
        let bounce = Outcome::Permanent {
            reply: reply(550, "5.1.1 no such user"),
            by: by.clone(),
            kind: FailureKind::Rcpt,
        };
        assert_eq!(event_kind(&bounce), EventKind::Bounced);
        let e = RecentEvent {
            at: 0,
            rcpt: Some("a@b.test".into()),
            outcome: bounce,
            category: "bad-mailbox".into(),
        };
        let ev = failure_event(&e, "{default}");
        assert_eq!(ev.failure, Some(FailureKind::Rcpt));
        assert_eq!(ev.diag, "550 5.1.1 no such user");
        assert_eq!(ev.category.as_deref(), Some("bad-mailbox"));
    }

    #[test]
    fn instants_map_to_wall_clock_seconds() {
        let now = Instant::now();
        let later = now + Duration::from_millis(1500);
        assert_eq!(instant_secs(later, now, 1000), 1002);
        assert_eq!(instant_secs(now, now, 1000), 1000);
    }
}
