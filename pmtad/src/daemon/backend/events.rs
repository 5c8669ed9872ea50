//! Small conversions shared by the verbs: the daemon's recent-event records and clocks to
//! the protocol's [`Event`]s and RFC 3339 strings.

use std::time::{Duration, Instant};

use proto::time::rfc3339_from_unix;
use proto::{Event, EventKind, QueueMode};

use crate::daemon::RecentBounce;
use crate::sched::Mode;

/// A recent error of a queue as an [`Event`]; the kind is read from the text, which is the
/// SMTP reply (`451 4.4.1 …`) or the daemon's own reply for DNS, TLS and connection failures.
pub fn error_event(at: u64, vmta: &str, text: &str) -> Event {
    Event {
        at: rfc3339_from_unix(at),
        kind: error_kind(text),
        vmta: vmta.to_string(),
        rcpt: None,
        remote_host: None,
        remote_ip: None,
        diag: text.to_string(),
        category: None,
    }
}

/// A bounced recipient as an [`Event`], with its bounce category.
pub fn bounce_event(b: &RecentBounce, vmta: &str) -> Event {
    Event {
        kind: EventKind::Bounced,
        rcpt: Some(b.rcpt.clone()),
        category: Some(b.category.clone()),
        ..error_event(b.at, vmta, &b.diag)
    }
}

/// Sets the bounce category of a failure event: its text is the reply as
/// [`crate::outcome::Reply`] displays it, read back and classified by `cats`, the engine the
/// accounting `bounceCat` of the same reply came from. Deliveries stay without one.
pub fn categorise(e: &mut Event, cats: &crate::bouncecat::BounceCategories) {
    if e.kind == EventKind::Delivered {
        return;
    }
    let reply = crate::delivery::classify::reply_from_display(&e.diag);
    e.category = Some(cats.classify_reply(&reply).to_string());
}

/// A recent delivery of a queue as an [`Event`].
pub fn delivery_event(at: u64, vmta: &str, text: &str) -> Event {
    Event {
        kind: EventKind::Delivered,
        ..error_event(at, vmta, text)
    }
}

/// Classifies an error text: DNS, TLS and connection failures by their wording, else the
/// reply class (5xx bounced, anything else deferred).
pub fn error_kind(text: &str) -> EventKind {
    let lower = text.to_ascii_lowercase();
    if ["dns", "nxdomain", "null mx", "no mx"]
        .iter()
        .any(|w| lower.contains(w))
    {
        EventKind::DnsError
    } else if lower.contains("tls") {
        EventKind::TlsError
    } else if is_connect_failure(&lower) {
        EventKind::ConnectionError
    } else if text.starts_with('5') {
        EventKind::Bounced
    } else {
        EventKind::Deferred
    }
}

/// Wording of failures to reach any destination address (lower-case input).
pub fn is_connect_failure(lower: &str) -> bool {
    [
        "connection refused",
        "could be reached",
        "timed out",
        "connect",
        "unreachable",
    ]
    .iter()
    .any(|w| lower.contains(w))
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
    fn error_texts_are_classified() {
        assert_eq!(
            error_kind("451 4.4.3 DNS lookup for x failed temporarily"),
            EventKind::DnsError
        );
        assert_eq!(
            error_kind("451 4.7.5 STARTTLS required but not offered"),
            EventKind::TlsError
        );
        assert_eq!(
            error_kind("451 4.4.1 no destination address could be reached"),
            EventKind::ConnectionError
        );
        assert_eq!(error_kind("550 5.1.1 no such user"), EventKind::Bounced);
        assert_eq!(error_kind("421 4.7.0 try later"), EventKind::Deferred);
    }

    #[test]
    fn instants_map_to_wall_clock_seconds() {
        let now = Instant::now();
        let later = now + Duration::from_millis(1500);
        assert_eq!(instant_secs(later, now, 1000), 1002);
        assert_eq!(instant_secs(now, now, 1000), 1000);
    }
}
