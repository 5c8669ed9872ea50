//! The plain-text bounces the big providers still send instead of (or without a readable)
//! RFC 3464 part, recognised by their fixed phrases:
//!
//! * Gmail: "Your message wasn't delivered to ADDR because ..." or "Delivery to the
//!   following recipient failed permanently: ADDR", then "The response from the remote
//!   server was: 550 5.1.1 ...".
//! * Microsoft (Exchange, Outlook.com): "Delivery has failed to these recipients or
//!   groups: ADDR", "Generating server: HOST", "Remote Server returned '550 5.1.10 ...'".
//! * qmail: "This is the qmail-send program at HOST." then "<ADDR>:" and the reply.
//!
//! A text none of them fits is not a bounce we can read (`Rejected::NoReport`).

use std::sync::LazyLock;

use regex::Regex;

use super::field_groups::Group;
use super::report::{Format, RcptReport, Rejected, Report};

fn re(src: &str) -> Regex {
    Regex::new(src).expect("valid built-in pattern")
}

const ADDR: &str = r"<?([^\s<>()'\x22]+@[A-Za-z0-9.\-\[\]:]+[A-Za-z0-9\]])>?";

static GMAIL_RCPT: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)(?:wasn't delivered to|was not delivered to|recipient failed permanently:)\s*{ADDR}"
    ))
});
static GMAIL_REPLY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?is)The (?:response from the remote server|error that the other server returned) was:\s*(\d{3}[ -][^\r\n]*)",
    )
});
static MS_RCPT: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?is)Delivery has failed to these recipients or groups:\s*(?:[^\r\n@]*\r?\n\s*)?{ADDR}"
    ))
});
static MS_REPLY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)Remote Server returned '([^'\r\n]+)'"));
static MS_SERVER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:Generating|Reporting) server:\s*([A-Za-z0-9.\-]+)"));
static QMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?s)This is the qmail-send program at ([A-Za-z0-9.\-]+)\..*?\n{ADDR}:\r?\n([^\r\n]+)"
    ))
});
static ENHANCED: LazyLock<Regex> = LazyLock::new(|| re(r"\b([245]\.\d{1,3}\.\d{1,3})\b"));
static BASIC: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*([245])\d\d\b"));
static TAGS: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)<[^>]*>"));
static STAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i){}:\s*(1\.[0-9a-f]{{16}}\.[A-Za-z0-9_~*.\-]+)",
        super::stamp::HEADER
    ))
});

/// The bounce of a text (the message's text parts).
pub fn parse(text: &str, original: Group) -> Result<Report, Rejected> {
    let found = gmail(text)
        .or_else(|| microsoft(text))
        .or_else(|| qmail(text));
    let Some((format, reporting_mta, rcpt, reply)) = found else {
        return Err(Rejected::NoReport);
    };
    Ok(Report {
        format,
        reporting_mta,
        env_id: None,
        rcpts: vec![RcptReport {
            rcpt,
            orcpt: None,
            action: "failed".into(),
            status: status_of(&reply),
            diag: format!("smtp;{}", reply.trim()),
            remote_mta: String::new(),
        }],
        complaint: None,
        original,
        stamp: None,
    })
}

type Found = (Format, String, String, String);

fn gmail(text: &str) -> Option<Found> {
    let rcpt = GMAIL_RCPT.captures(text)?.get(1)?.as_str().to_string();
    let reply = GMAIL_REPLY
        .captures(text)
        .map_or("550 5.0.0 (no reply given)".into(), |c| c[1].to_string());
    Some((Format::Gmail, "mx.google.com".into(), rcpt, reply))
}

fn microsoft(text: &str) -> Option<Found> {
    let rcpt = MS_RCPT.captures(text)?.get(1)?.as_str().to_string();
    let reply = MS_REPLY
        .captures(text)
        .map_or("550 5.0.0 (no reply given)".into(), |c| c[1].to_string());
    let server = MS_SERVER
        .captures(text)
        .map_or(String::new(), |c| c[1].to_string());
    Some((Format::Microsoft, server, rcpt, reply))
}

fn qmail(text: &str) -> Option<Found> {
    let c = QMAIL.captures(text)?;
    Some((
        Format::Qmail,
        c[1].to_string(),
        c[2].to_string(),
        c[3].to_string(),
    ))
}

/// The enhanced status code in a reply (`5.1.1`), else one made from its basic code
/// (`550` → `5.0.0`); a bounce with neither is `5.0.0`.
pub fn status_of(reply: &str) -> String {
    if let Some(c) = ENHANCED.captures(reply) {
        return c[1].to_string();
    }
    match BASIC.captures(reply) {
        Some(c) => format!("{}.0.0", &c[1]),
        None => "5.0.0".into(),
    }
}

/// An `X-Pmtad-Ref:` value anywhere in `text` (a bounce quoting the original header).
pub fn stamp_in(text: &str) -> Option<String> {
    STAMP.captures(text).map(|c| c[1].to_string())
}

/// HTML with its tags replaced by spaces (good enough for phrase matching).
pub fn strip_tags(html: &str) -> String {
    TAGS.replace_all(html, " ").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_microsoft_qmail() {
        let g = "** Address not found **\n\nYour message wasn't delivered to nobody@gmail.example because the address couldn't be found.\n\nThe response from the remote server was:\n550 5.1.1 The email account that you tried to reach does not exist.\n";
        let r = parse(g, Group::default()).unwrap();
        assert_eq!(
            (r.format, r.rcpts[0].rcpt.as_str()),
            (Format::Gmail, "nobody@gmail.example")
        );
        assert_eq!(r.rcpts[0].status, "5.1.1");
        let m = "Delivery has failed to these recipients or groups:\r\n\r\ngone@outlook.example (gone@outlook.example)\r\nThe email address couldn't be found.\r\n\r\nDiagnostic information for administrators:\r\n\r\nGenerating server: AM0PR01MB1234.eurprd01.prod.outlook.com\r\n\r\ngone@outlook.example\r\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\r\n";
        let r = parse(m, Group::default()).unwrap();
        assert_eq!(r.format, Format::Microsoft);
        assert_eq!(r.rcpts[0].rcpt, "gone@outlook.example");
        assert_eq!(r.rcpts[0].status, "5.1.10");
        assert_eq!(r.reporting_mta, "AM0PR01MB1234.eurprd01.prod.outlook.com");
        let q = "Hi. This is the qmail-send program at mx.q.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n<who@q.example>:\n550 sorry, no mailbox here by that name\n";
        let r = parse(q, Group::default()).unwrap();
        assert_eq!(
            (r.format, r.rcpts[0].status.as_str()),
            (Format::Qmail, "5.0.0")
        );
        assert_eq!(parse("hello", Group::default()), Err(Rejected::NoReport));
    }
}
