//! RFC 3463 enhanced status codes as PowerMTA prints them in `dsnStatus`:
//! `5.1.1 (bad destination mailbox address)`.
//!
//! A module of its own beside [`crate::outcome`] (it reads only a [`Reply`]), not inside
//! accounting, because the DSN builder, reply classification and the bounce-category engine
//! derive the code too, and the bounce-category engine is one accounting itself uses.

use crate::outcome::Reply;
use std::fmt::Write as _;

/// The enhanced code of a reply, or one derived from its class when the server gave none
/// (`451` -> `4.0.0`), so that `dsnStatus`, the DSN's `Status:` and `bounceCat` always have
/// a code to work with. The one derivation in pmtad: the DSN builder, the accounting writer
/// and the bounce-category engine all call it (or [`enhanced_code_string`]).
///
/// A bare `553` means a bad mailbox (`5.1.1`, PowerMTA's `smtp-553-means-invalid-mailbox`
/// default). Any class other than 2 and 5 (a 3xx where a final reply was due, a broken
/// server's code) gives `4.0.0`: RFC 3463 has no class 3, and such a reply is retried as a
/// transient failure (`delivery::classify::outcome_from_reply`), so its status says so.
pub fn enhanced_code(reply: &Reply, out: &mut String) {
    match reply.enhanced.as_deref().filter(|e| parse(e).is_some()) {
        Some(e) => out.push_str(e),
        None if reply.code == 553 => out.push_str("5.1.1"),
        None => {
            let class = match reply.code / 100 {
                c @ (2 | 5) => c,
                _ => 4,
            };
            let _ = write!(out, "{class}.0.0");
        }
    }
}

/// [`enhanced_code`] as a new string (for the DSN's `Status:` field).
pub fn enhanced_code_string(reply: &Reply) -> String {
    let mut s = String::with_capacity(8);
    enhanced_code(reply, &mut s);
    s
}

/// Appends `X.Y.Z (description)`.
pub fn write_dsn_status(reply: &Reply, out: &mut String) {
    let start = out.len();
    enhanced_code(reply, out);
    let code = out[start..].to_string();
    let _ = write!(out, " ({})", describe(&code));
}

fn parse(code: &str) -> Option<(u16, u16, u16)> {
    let mut it = code.split('.').map(|p| p.parse::<u16>().ok());
    let (c, s, d) = (it.next()??, it.next()??, it.next()??);
    (it.next().is_none() && matches!(c, 2 | 4 | 5)).then_some((c, s, d))
}

/// The RFC 3463 text for a code (PowerMTA's short forms where its samples show them).
pub fn describe(code: &str) -> &'static str {
    let Some((class, subject, detail)) = parse(code) else {
        return "other undefined status";
    };
    if class == 2 && detail == 0 {
        return "success";
    }
    lookup(subject, detail)
        .or_else(|| lookup(subject, 0))
        .unwrap_or("other undefined status")
}

fn lookup(subject: u16, detail: u16) -> Option<&'static str> {
    let text = match (subject, detail) {
        (0, 0) => "other undefined status",
        (1, 0) => "other address status",
        (1, 1) => "bad destination mailbox address",
        (1, 2) => "bad destination system address",
        (1, 3) => "bad destination mailbox address syntax",
        (1, 4) => "destination mailbox address ambiguous",
        (1, 5) => "destination address valid",
        (1, 6) => "destination mailbox has moved, no forwarding address",
        (1, 7) => "bad sender's mailbox address syntax",
        (1, 8) => "bad sender's system address",
        (2, 0) => "other or undefined mailbox status",
        (2, 1) => "mailbox disabled, not accepting messages",
        (2, 2) => "mailbox full",
        (2, 3) => "message length exceeds administrative limit",
        (2, 4) => "mailing list expansion problem",
        (3, 0) => "other or undefined mail system status",
        (3, 1) => "mail system full",
        (3, 2) => "system not accepting network messages",
        (3, 3) => "system not capable of selected features",
        (3, 4) => "message too big for system",
        (3, 5) => "system incorrectly configured",
        (4, 0) => "other or undefined network or routing status",
        (4, 1) => "no answer from host",
        (4, 2) => "bad connection",
        (4, 3) => "directory server failure",
        (4, 4) => "unable to route",
        (4, 5) => "mail system congestion",
        (4, 6) => "routing loop detected",
        (4, 7) => "delivery time expired",
        (5, 0) => "other or undefined protocol status",
        (5, 1) => "invalid command",
        (5, 2) => "syntax error",
        (5, 3) => "too many recipients",
        (5, 4) => "invalid command arguments",
        (5, 5) => "wrong protocol version",
        (6, 0) => "other or undefined media error",
        (6, 1) => "media not supported",
        (6, 2) => "conversion required and prohibited",
        (6, 3) => "conversion required but not supported",
        (6, 4) => "conversion with loss performed",
        (6, 5) => "conversion failed",
        (7, 0) => "other or undefined security status",
        (7, 1) => "delivery not authorized",
        (7, 2) => "mailing list expansion prohibited",
        (7, 3) => "security conversion required but not possible",
        (7, 4) => "security features not supported",
        (7, 5) => "cryptographic failure",
        (7, 6) => "cryptographic algorithm not supported",
        (7, 7) => "message integrity failure",
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, enhanced: Option<&str>) -> Reply {
        Reply {
            code,
            enhanced: enhanced.map(str::to_string),
            text: "x".into(),
        }
    }

    #[test]
    fn statuses_like_powermta() {
        let mut s = String::new();
        write_dsn_status(&reply(250, Some("2.0.0")), &mut s);
        assert_eq!(s, "2.0.0 (success)");
        s.clear();
        write_dsn_status(&reply(550, Some("5.1.1")), &mut s);
        assert_eq!(s, "5.1.1 (bad destination mailbox address)");
        s.clear();
        write_dsn_status(&reply(451, None), &mut s);
        assert_eq!(s, "4.0.0 (other undefined status)");
        s.clear();
        write_dsn_status(&reply(553, None), &mut s);
        assert_eq!(s, "5.1.1 (bad destination mailbox address)");
        s.clear();
        write_dsn_status(&reply(421, Some("4.4.1")), &mut s);
        assert_eq!(s, "4.4.1 (no answer from host)");
        s.clear();
        write_dsn_status(&reply(554, Some("5.7.99")), &mut s);
        assert_eq!(s, "5.7.99 (other or undefined security status)");
    }

    /// A 3xx where a final reply was due is retried, so its derived status is transient
    /// (there is no class 3 in RFC 3463); a 3xx with a bogus enhanced code likewise.
    #[test]
    fn a_3xx_reply_derives_a_transient_status() {
        assert_eq!(enhanced_code_string(&reply(354, None)), "4.0.0");
        assert_eq!(enhanced_code_string(&reply(354, Some("3.0.0"))), "4.0.0");
        assert_eq!(enhanced_code_string(&reply(250, None)), "2.0.0");
        assert_eq!(enhanced_code_string(&reply(550, None)), "5.0.0");
        assert_eq!(enhanced_code_string(&reply(199, None)), "4.0.0");
    }
}
