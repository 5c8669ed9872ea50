//! From what a server (or the network) said to the one [`Outcome`] type, plus the PowerMTA
//! bounce category of a failure.
//!
//! Categories come from [`crate::bouncecat::BounceCategories`], the one engine the DSN, the
//! `b`/`t` records and `domain detail` share.

use crate::outcome::{FailureKind, Outcome, Producer, Reply};

/// Builds a reply, taking the RFC 3463 enhanced code from the start of the text when the
/// server gave one (`550 5.1.1 no such user`).
pub fn reply_from_parts(code: u16, text: &str) -> Reply {
    match split_enhanced(text) {
        Some((enhanced, rest)) => Reply {
            code,
            enhanced: Some(enhanced.to_string()),
            text: rest.to_string(),
        },
        None => Reply {
            code,
            enhanced: None,
            text: text.to_string(),
        },
    }
}

/// A reply pmtad synthesises (connection errors, timeouts, DNS, TLS policy).
pub fn internal_reply(code: u16, enhanced: &str, text: impl Into<String>) -> Reply {
    Reply {
        code,
        enhanced: Some(enhanced.to_string()),
        text: text.into(),
    }
}

/// `X.Y.Z rest` -> (`X.Y.Z`, `rest`) when `X.Y.Z` is a well-formed enhanced code whose class
/// is 2, 4 or 5.
fn split_enhanced(text: &str) -> Option<(&str, &str)> {
    let (head, rest) = text.split_once(' ').unwrap_or((text, ""));
    let mut parts = head.split('.');
    let class = parts.next()?;
    let ok = matches!(class, "2" | "4" | "5")
        && parts.clone().count() == 2
        && parts.all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then_some((head, rest))
}

/// 2xx delivered, 4xx transient, 5xx permanent; anything else (a broken server) transient.
/// `kind` is where the reply came (MAIL, RCPT, DATA, the local command), kept for a failure.
pub fn outcome_from_reply(reply: Reply, by: Producer, kind: FailureKind) -> Outcome {
    match reply.code / 100 {
        2 => Outcome::Delivered { reply, by },
        _ => Outcome::failed(reply, by, kind),
    }
}

/// The outcome for a recipient whose message stayed queued longer than `bounce-after`: a
/// [`FailureKind::Policy`] failure (pmtad's own limit), whatever the last error was.
/// Only the last error's codes go into the text: its wording could otherwise match a phrase
/// rule ("rejected", "blocked") before the `5.4.7` code rule gives `message-expired`.
pub fn expired(last: Option<&Reply>) -> Outcome {
    let text = match last {
        Some(r) => format!(
            "delivery expired (message too old); last attempt {} {}",
            r.code,
            crate::enhanced_status::enhanced_code_string(r)
        ),
        None => "delivery expired (message too old)".to_string(),
    };
    Outcome::Permanent {
        reply: internal_reply(554, "5.4.7", text),
        by: Producer::Internal,
        kind: FailureKind::Policy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes_are_split_off() {
        let r = reply_from_parts(550, "5.1.1 <a@b> no such user");
        assert_eq!(r.enhanced.as_deref(), Some("5.1.1"));
        assert_eq!(r.text, "<a@b> no such user");
        let r = reply_from_parts(550, "5.1 not a code");
        assert_eq!(r.enhanced, None);
        let r = reply_from_parts(451, "4.7.650 throttled");
        assert_eq!(r.enhanced.as_deref(), Some("4.7.650"));
    }

    #[test]
    fn classes_map_to_outcomes() {
        let by = Producer::Internal;
        let rcpt = FailureKind::Rcpt;
        assert!(matches!(
            outcome_from_reply(reply_from_parts(250, "ok"), by.clone(), rcpt),
            Outcome::Delivered { .. }
        ));
        assert!(matches!(
            outcome_from_reply(reply_from_parts(452, "full"), by.clone(), rcpt),
            Outcome::Transient {
                kind: FailureKind::Rcpt,
                ..
            }
        ));
        assert!(matches!(
            outcome_from_reply(reply_from_parts(554, "no"), by.clone(), rcpt),
            Outcome::Permanent {
                kind: FailureKind::Rcpt,
                ..
            }
        ));
        assert!(matches!(
            outcome_from_reply(reply_from_parts(354, "go on"), by, FailureKind::Data),
            Outcome::Transient {
                kind: FailureKind::Data,
                ..
            }
        ));
    }

    #[test]
    fn derived_status_and_categories() {
        let cats = crate::bouncecat::BounceCategories::default();
        let r = reply_from_parts(553, "mailbox name not allowed");
        assert_eq!(crate::enhanced_status::enhanced_code_string(&r), "5.1.1");
        let r = reply_from_parts(550, "5.1.1 user unknown");
        assert_eq!(cats.classify_reply(&r), "bad-mailbox");
        let r = reply_from_parts(552, "5.2.2 mailbox full");
        assert_eq!(cats.classify_reply(&r), "quota-issues");
        let r = reply_from_parts(554, "5.7.1 message rejected as spam");
        assert_eq!(cats.classify_reply(&r), "spam-related");
        let e = expired(None);
        assert_eq!(cats.classify_reply(e.reply()), "message-expired");
    }
}
