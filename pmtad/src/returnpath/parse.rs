//! Reading one report: which kind it is (RFC 3464 DSN, a provider's plain-text bounce, an
//! RFC 5965 ARF or Microsoft JMRP complaint), what it says per recipient, and the header of
//! the message it is about (where the `X-Pmtad-Ref` stamp is).
//!
//! mail-parser walks the MIME structure (tolerating broken MIME; its one debug assertion
//! is caught by the caller, `process`);
//! mail-auth reads ARF; the DSN fields and the bounce patterns are read here. Everything
//! is bounded: reports over [`MAX_REPORT_SIZE`] are not parsed at all. What a report says is
//! [`super::report`].

use mail_parser::{MessageParser, MessagePart, MimeHeaders, PartType};

use super::field_groups::{self, Group};
use super::report::{MAX_REPORT_SIZE, Rejected, Report};
use super::{arf, dsn, patterns};

/// Parses one report (the message as received, our Received header included).
pub fn parse(raw: &[u8]) -> Result<Report, Rejected> {
    if raw.len() > MAX_REPORT_SIZE {
        return Err(Rejected::TooLarge(raw.len()));
    }
    if !starts_with_field(raw) {
        return Err(Rejected::Malformed);
    }
    let msg = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.parts.is_empty() && !m.parts[0].headers.is_empty())
        .ok_or(Rejected::Malformed)?;
    let original = original_header(&msg.parts);
    let report = if has_part(&msg.parts, "message", "feedback-report") {
        arf::parse(raw, original)
    } else if let Some(part) = find_part(&msg.parts, "message", "delivery-status") {
        dsn::parse(&String::from_utf8_lossy(part.contents()), original)
    } else if original.get("X-HmXmrOriginalRecipient").is_some() {
        Ok(arf::jmrp(original))
    } else {
        let text = text_of(&msg);
        let original = match original.0.is_empty() {
            true => quoted_header(&text),
            false => original,
        };
        patterns::parse(&text, original)
    }?;
    if is_report(&report.original) {
        return Err(Rejected::Loop);
    }
    Ok(with_stamp(report, raw))
}

/// The stamp: in the returned header, else anywhere in the text (bounces that quote the
/// original header in their body).
fn with_stamp(mut report: Report, raw: &[u8]) -> Report {
    report.stamp = report
        .original
        .get(super::stamp::HEADER)
        .map(str::to_string)
        .or_else(|| patterns::stamp_in(&String::from_utf8_lossy(raw)));
    report
}

/// The reported message is itself a report (a DSN, an ARF, a vacation reply's DSN...):
/// answering or recording it would only feed a loop between two report processors.
fn is_report(original: &Group) -> bool {
    let ct = original
        .get("Content-Type")
        .unwrap_or("")
        .to_ascii_lowercase();
    ct.contains("multipart/report")
        || original
            .get("Auto-Submitted")
            .is_some_and(|v| v.eq_ignore_ascii_case("auto-replied"))
}

/// A message starts with a header field (`Name:`), possibly after our Received line.
fn starts_with_field(raw: &[u8]) -> bool {
    let line = raw.split(|&b| b == b'\n').next().unwrap_or_default();
    match line.iter().position(|&b| b == b':') {
        Some(0) | None => false,
        Some(at) => line[..at].iter().all(|b| b.is_ascii_graphic()),
    }
}

/// The original header a plain-text bounce quotes after "Original message headers:"
/// (Exchange) or "----- Original message -----" / "Below is a copy of the original
/// message:" style markers.
fn quoted_header(text: &str) -> Group {
    const MARKERS: [&str; 3] = [
        "Original message headers:",
        "----- Original message -----",
        "------ This is a copy of the message, including all the headers. ------",
    ];
    MARKERS
        .iter()
        .find_map(|m| text.find(m).map(|at| &text[at + m.len()..]))
        .map(|rest| field_groups::header(rest.trim_start()))
        .unwrap_or_default()
}

fn has_part(parts: &[MessagePart<'_>], ctype: &str, sub: &str) -> bool {
    find_part(parts, ctype, sub).is_some()
}

fn find_part<'a, 'x>(
    parts: &'a [MessagePart<'x>],
    ctype: &str,
    sub: &str,
) -> Option<&'a MessagePart<'x>> {
    parts.iter().find(|p| p.is_content_type(ctype, sub))
}

/// The header of the message a report returns: a `message/rfc822` part, a
/// `text/rfc822-headers` or `message/rfc822-headers` part, else none.
fn original_header(parts: &[MessagePart<'_>]) -> Group {
    let found = parts.iter().skip(1).find(|p| {
        matches!(p.body, PartType::Message(_))
            || p.is_content_type("text", "rfc822-headers")
            || p.is_content_type("message", "rfc822-headers")
    });
    found
        .map(|p| field_groups::header(&String::from_utf8_lossy(p.contents())))
        .unwrap_or_default()
}

/// The readable text of a message: its text parts, HTML parts with the tags removed.
fn text_of(msg: &mail_parser::Message<'_>) -> String {
    let mut out = String::new();
    for part in &msg.parts {
        match &part.body {
            PartType::Text(t) => out.push_str(t),
            PartType::Html(h) => out.push_str(&patterns::strip_tags(h)),
            _ => continue,
        }
        out.push('\n');
    }
    out
}
