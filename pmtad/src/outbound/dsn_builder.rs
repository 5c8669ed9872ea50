//! Delivery status notifications (RFC 3464) for bounced recipients.
//!
//! A bounce is a message like any other: built here, stored in the spool with the null
//! sender (so it can never bounce back), queued and delivered under its domain's policy.
//! It carries the PowerMTA bounce category in `X-PowerMTA-BounceCategory`, so bounce
//! processors that key on it keep working.
//!
//! Part of the outbound side: the outcome application ([`super::after_attempt`]) sends a DSN
//! when a recipient bounces or is delayed. Reading the DSNs others send us is
//! [`crate::returnpath`].

use std::fmt::Write as _;
use std::sync::Arc;

use crate::daemon::Shared;
use crate::envelope::{Envelope, RcptState, Recipient};
use crate::logs::clock::now_secs;
use crate::outcome::{Outcome, Producer};

/// What a DSN reports (RFC 3464 `Action:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsnKind {
    /// The recipients bounced: `Action: failed`.
    Failed,
    /// Still queued after `notify-of-delay-every`: `Action: delayed`, with the time
    /// delivery will be tried until.
    Delayed { retry_until: u64 },
}

/// Everything a DSN says, apart from the original headers.
pub struct Report<'a> {
    pub kind: DsnKind,
    /// Our host name (Reporting-MTA, boundary, Message-ID).
    pub host: &'a str,
    /// The From address (`postmaster`, else MAILER-DAEMON@host).
    pub from: &'a str,
    pub env: &'a Envelope,
    /// The recipients reported on: index into `env.recipients`, and the outcome.
    pub rcpts: &'a [(u32, Outcome)],
    pub now: u64,
    /// `X-PowerMTA-BounceCategory`: the category of the first recipient's reply.
    pub category: &'a str,
}

/// Queue a DSN of `kind` to the sender of `env` for `rcpts` (index, outcome). Nothing is
/// sent for the null sender (a bounce of a bounce).
pub async fn send(
    shared: &Arc<Shared>,
    env: &Envelope,
    original_headers: &[u8],
    rcpts: &[(u32, Outcome)],
    kind: DsnKind,
) {
    if env.mail_from.is_empty() || rcpts.is_empty() {
        return;
    }
    let host = shared.host_name();
    let policies = shared.policies();
    let from = policies
        .config
        .postmaster
        .clone()
        .unwrap_or_else(|| format!("MAILER-DAEMON@{host}"));
    let now = now_secs();
    let report = Report {
        kind,
        host: &host,
        from: &from,
        env,
        rcpts,
        now,
        category: policies.bounce().classify_reply(rcpts[0].1.reply()),
    };
    let text = build(&report, original_headers);
    let dsn_env = envelope(env, &text, now);
    let mut w = shared.spool.content_writer();
    if let Err(e) = w.write(text.as_bytes()) {
        tracing::error!("DSN to {}: {e}", env.mail_from);
        return;
    }
    match shared.spool.store(&dsn_env, w.finish()).await {
        Ok(id) => shared.accepted(id, dsn_env).await,
        Err(e) => tracing::error!("DSN to {}: spool: {e}", env.mail_from),
    }
}

fn envelope(env: &Envelope, text: &str, now: u64) -> Envelope {
    Envelope {
        mail_from: String::new(),
        recipients: vec![Recipient {
            address: env.mail_from.clone(),
            orcpt: None,
            state: RcptState::Pending,
            notify: Default::default(),
        }],
        vmta: env.vmta.clone(),
        received_at: now,
        source_ip: None,
        size: text.len() as u64,
        env_id: None,
        job_id: env.job_id.clone(),
        helo: None,
        acct_headers: Vec::new(),
        auth_user: None,
    }
}

/// The DSN text (CRLF line ends). `original_headers` may be empty.
pub fn build(r: &Report<'_>, original_headers: &[u8]) -> String {
    let boundary = format!("{:x}.{}/{}", r.now, r.rcpts.len(), r.host);
    let subject = match r.kind {
        DsnKind::Failed => "Undelivered Mail Returned to Sender",
        DsnKind::Delayed { .. } => "Delayed Mail (still being retried)",
    };
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "From: Mail Delivery System <{from}>\r\nTo: <{to}>\r\n\
         Subject: {subject}\r\nDate: {date}\r\n\
         Message-ID: <{now:x}.{n}.dsn@{host}>\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-replied\r\n\
         X-PowerMTA-BounceCategory: {category}\r\n",
        from = r.from,
        to = r.env.mail_from,
        date = rfc5322_date(r.now),
        now = r.now,
        n = r.env.received_at,
        host = r.host,
        category = r.category,
    );
    // The job of the bounced message, so a feeder can match the DSN to its campaign (the
    // id was checked at intake: no spaces, no control characters).
    if let Some(job) = &r.env.job_id {
        let _ = write!(s, "X-Job: {job}\r\n");
    }
    let _ = write!(
        s,
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\r\n"
    );
    human_part(&mut s, r, &boundary);
    status_part(&mut s, r, &boundary);
    if !original_headers.is_empty() {
        let _ = write!(
            s,
            "--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        );
        s.push_str(&String::from_utf8_lossy(original_headers));
        s.push_str("\r\n");
    }
    let _ = write!(s, "--{boundary}--\r\n");
    s
}

fn human_part(s: &mut String, r: &Report<'_>, boundary: &str) {
    let what = match r.kind {
        DsnKind::Failed => "Your message could not be delivered to one or more recipients.",
        DsnKind::Delayed { .. } => {
            "Your message has not been delivered yet to one or more recipients.\r\n\
             This is a warning only: delivery will be tried again; you do not need to resend."
        }
    };
    let _ = write!(
        s,
        "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         This is the mail system at host {host}.\r\n\r\n{what}\r\n\r\n",
        host = r.host
    );
    for (i, outcome) in r.rcpts {
        let rcpt = &r.env.recipients[*i as usize].address;
        let _ = write!(s, "<{rcpt}>: {}\r\n", outcome.reply());
    }
    if let DsnKind::Delayed { retry_until } = r.kind {
        let _ = write!(
            s,
            "\r\nDelivery will be tried until {}.\r\n",
            rfc5322_date(retry_until)
        );
    }
    s.push_str("\r\n");
}

fn status_part(s: &mut String, r: &Report<'_>, boundary: &str) {
    let _ = write!(
        s,
        "--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; {host}\r\nArrival-Date: {}\r\n",
        rfc5322_date(r.env.received_at),
        host = r.host
    );
    if let Some(id) = &r.env.env_id {
        let _ = write!(s, "Original-Envelope-Id: {id}\r\n");
    }
    for (i, outcome) in r.rcpts {
        recipient_fields(s, r, &r.env.recipients[*i as usize], outcome);
    }
    s.push_str("\r\n");
}

/// One per-recipient group of the delivery-status part (RFC 3464 §2.3).
fn recipient_fields(s: &mut String, r: &Report<'_>, rcpt: &Recipient, outcome: &Outcome) {
    let reply = outcome.reply();
    let _ = write!(s, "\r\nFinal-Recipient: rfc822; {}\r\n", rcpt.address);
    if let Some(o) = &rcpt.orcpt {
        let _ = write!(s, "Original-Recipient: {o}\r\n");
    }
    let action = match r.kind {
        DsnKind::Failed => "failed",
        DsnKind::Delayed { .. } => "delayed",
    };
    let _ = write!(
        s,
        "Action: {action}\r\nStatus: {}\r\n",
        crate::enhanced_status::enhanced_code_string(reply)
    );
    if let Outcome::Permanent {
        by: Producer::Remote { host, .. },
        ..
    }
    | Outcome::Transient {
        by: Producer::Remote { host, .. },
        ..
    } = outcome
    {
        let _ = write!(s, "Remote-MTA: dns; {host}\r\n");
    }
    let _ = write!(s, "Diagnostic-Code: smtp; {reply}\r\n");
    if let DsnKind::Delayed { retry_until } = r.kind {
        let _ = write!(s, "Will-Retry-Until: {}\r\n", rfc5322_date(retry_until));
    }
}

/// `Wed, 25 Nov 2026 13:45:00 +0000`.
fn rfc5322_date(secs: u64) -> String {
    let mut s = String::with_capacity(32);
    crate::logs::clock::write_rfc5322(&mut s, secs);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::classify::internal_reply;

    #[test]
    fn dates_are_rfc5322() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_795_614_300),
            "Wed, 25 Nov 2026 13:45:00 +0000"
        );
    }

    #[test]
    fn a_dsn_names_each_bounced_recipient_with_status_and_category() {
        let env = Envelope {
            mail_from: "sender@example.org".into(),
            recipients: vec![
                Recipient {
                    address: "gone@example.com".into(),
                    orcpt: None,
                    state: RcptState::Pending,
                    notify: Default::default(),
                },
                Recipient {
                    address: "ok@example.com".into(),
                    orcpt: None,
                    state: RcptState::Pending,
                    notify: Default::default(),
                },
            ],
            vmta: "v".into(),
            received_at: 1_795_614_000,
            source_ip: None,
            size: 10,
            env_id: Some("ENV1".into()),
            job_id: Some("c42".into()),
            helo: None,
            acct_headers: Vec::new(),
            auth_user: None,
        };
        let reply = internal_reply(550, "5.1.1", "no such user");
        let by = Producer::Remote {
            host: "mx.example.com".into(),
            ip: [127, 0, 0, 2].into(),
        };
        let kind = crate::outcome::FailureKind::Rcpt;
        let bounced = vec![(0, Outcome::Permanent { reply, by, kind })];
        let report = Report {
            kind: DsnKind::Failed,
            host: "mta.test",
            from: "postmaster@mta.test",
            env: &env,
            rcpts: &bounced,
            now: 1_795_614_300,
            category: crate::bouncecat::BounceCategories::shared_default()
                .classify_reply(bounced[0].1.reply()),
        };
        let text = build(&report, b"Subject: hi\r\n");
        assert!(text.contains("To: <sender@example.org>"));
        assert!(text.contains("From: Mail Delivery System <postmaster@mta.test>"));
        assert!(text.contains("Final-Recipient: rfc822; gone@example.com"));
        assert!(!text.contains("ok@example.com"));
        assert!(text.contains("Status: 5.1.1"));
        assert!(text.contains("Remote-MTA: dns; mx.example.com"));
        assert!(text.contains("X-PowerMTA-BounceCategory: bad-mailbox"));
        assert!(text.contains("Original-Envelope-Id: ENV1"));
        assert!(text.contains("\r\nX-Job: c42\r\nContent-Type: multipart/report"));
        assert!(text.contains("report-type=delivery-status"));
        assert!(text.contains("Content-Type: text/rfc822-headers"));
    }
}
