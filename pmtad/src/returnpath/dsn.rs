//! RFC 3464 `message/delivery-status`: a per-message group (`Reporting-MTA`,
//! `Original-Envelope-Id`), then a group per recipient (`Final-Recipient`,
//! `Original-Recipient`, `Action`, `Status`, `Remote-MTA`, `Diagnostic-Code`).
//!
//! Recipients whose `Action` is `failed` are bounces (`rb`); `delayed`, `delivered`,
//! `relayed` and `expanded` are status notices (`rs`), not reasons to stop mailing anyone.

use super::field_groups::{self, Group};
use super::report::{Format, RcptReport, Rejected, Report};

/// The report of a `message/delivery-status` body.
pub fn parse(body: &str, original: Group) -> Result<Report, Rejected> {
    let groups = field_groups::groups(body);
    let is_rcpt =
        |g: &Group| g.get("Final-Recipient").is_some() || g.get("Original-Recipient").is_some();
    let per_message = groups.iter().find(|g| !is_rcpt(g));
    let rcpts: Vec<RcptReport> = groups
        .iter()
        .filter(|g| is_rcpt(g))
        .map(recipient)
        .collect();
    if rcpts.is_empty() {
        return Err(Rejected::NoReport);
    }
    let field = |name| per_message.and_then(|g| g.get(name));
    Ok(Report {
        format: Format::Dsn,
        reporting_mta: field("Reporting-MTA")
            .map(field_groups::mta_of)
            .unwrap_or("")
            .to_string(),
        env_id: field("Original-Envelope-Id").map(str::to_string),
        rcpts,
        complaint: None,
        original,
        stamp: None,
    })
}

fn recipient(g: &Group) -> RcptReport {
    let addr = |name| g.get(name).map(field_groups::address_of);
    let rcpt = addr("Final-Recipient")
        .or(addr("Original-Recipient"))
        .unwrap_or("");
    let status = g.get("Status").unwrap_or("");
    let status = status.split_whitespace().next().unwrap_or("");
    RcptReport {
        rcpt: rcpt.to_string(),
        orcpt: addr("Original-Recipient").map(str::to_string),
        action: g.get("Action").unwrap_or("failed").to_ascii_lowercase(),
        status: status.to_string(),
        diag: g.get("Diagnostic-Code").map(diag).unwrap_or_default(),
        remote_mta: g
            .get("Remote-MTA")
            .map(field_groups::mta_of)
            .unwrap_or("")
            .to_string(),
    }
}

/// `smtp; 550 5.1.1 ...` → `smtp;550 5.1.1 ...` (PowerMTA's `dsnDiag` form).
fn diag(value: &str) -> String {
    match value.split_once(';') {
        Some((kind, text)) => format!("{};{}", kind.trim().to_ascii_lowercase(), text.trim()),
        None => format!("smtp;{}", value.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipient_with_its_action() {
        let body = "Reporting-MTA: dns; mx.example.net\r\nOriginal-Envelope-Id: E1\r\n\r\n\
                    Final-Recipient: rfc822; gone@example.net\r\nAction: failed\r\n\
                    Status: 5.1.1\r\nRemote-MTA: dns; mx.example.net\r\n\
                    Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n\
                    Final-Recipient: rfc822; late@example.net\r\nAction: delayed\r\nStatus: 4.4.1\r\n";
        let r = parse(body, Group::default()).unwrap();
        assert_eq!(r.reporting_mta, "mx.example.net");
        assert_eq!(r.env_id.as_deref(), Some("E1"));
        assert_eq!(r.rcpts.len(), 2);
        assert_eq!(r.rcpts[1].action, "delayed");
        assert_eq!(r.rcpts[0].rcpt, "gone@example.net");
        assert_eq!(r.rcpts[0].diag, "smtp;550 5.1.1 no such user");
        let none = "Reporting-MTA: dns; a\r\n\r\n";
        assert_eq!(parse(none, Group::default()), Err(Rejected::NoReport));
    }
}
