//! From what a server (or the network) said to the one [`Outcome`] type, plus the PowerMTA
//! bounce category of a failure.
//!
//! Categories come from [`crate::bouncecat::BounceCategories`], the one engine the DSN, the
//! `b`/`t` records and `domain detail` share.

use crate::outcome::{Outcome, Producer, Reply};

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

/// A reply read back from its display form (`451 4.7.1 try later`); text without a leading
/// three-digit code counts as a `451` (a local failure described in words).
pub fn reply_from_display(text: &str) -> Reply {
    let (head, rest) = text.split_once(' ').unwrap_or((text, ""));
    match head.parse::<u16>() {
        Ok(code) if head.len() == 3 => reply_from_parts(code, rest),
        _ => reply_from_parts(451, text),
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
pub fn outcome_from_reply(reply: Reply, by: Producer) -> Outcome {
    match reply.code / 100 {
        2 => Outcome::Delivered { reply, by },
        5 => Outcome::Permanent { reply, by },
        _ => Outcome::Transient { reply, by },
    }
}

/// The enhanced status for DSNs and accounting: the server's, or one derived from the basic
/// code (`553` without a code means a bad mailbox, as PowerMTA's
/// `smtp-553-means-invalid-mailbox yes` default). One rule, in [`crate::acct::enhanced_code`],
/// for the DSN, `dsnStatus` and the bounce category's subject.
pub fn status_code(reply: &Reply) -> String {
    let mut s = String::with_capacity(8);
    crate::acct::enhanced_code(reply, &mut s);
    s
}

/// The outcome for a recipient whose message stayed queued longer than `bounce-after`.
/// Only the last error's codes go into the text: its wording could otherwise match a phrase
/// rule ("rejected", "blocked") before the `5.4.7` code rule gives `message-expired`.
pub fn expired(last: Option<&Reply>) -> Outcome {
    let text = match last {
        Some(r) => format!(
            "delivery expired (message too old); last attempt {} {}",
            r.code,
            status_code(r)
        ),
        None => "delivery expired (message too old)".to_string(),
    };
    Outcome::Permanent {
        reply: internal_reply(554, "5.4.7", text),
        by: Producer::Internal,
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
        assert!(matches!(
            outcome_from_reply(reply_from_parts(250, "ok"), by.clone()),
            Outcome::Delivered { .. }
        ));
        assert!(matches!(
            outcome_from_reply(reply_from_parts(452, "full"), by.clone()),
            Outcome::Transient { .. }
        ));
        assert!(matches!(
            outcome_from_reply(reply_from_parts(554, "no"), by),
            Outcome::Permanent { .. }
        ));
    }

    #[test]
    fn derived_status_and_categories() {
        let cats = crate::bouncecat::BounceCategories::default();
        let r = reply_from_parts(553, "mailbox name not allowed");
        assert_eq!(status_code(&r), "5.1.1");
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
