//! Complaints: RFC 5965 ARF (Yahoo, AOL, Comcast, Microsoft's ARF form of JMRP ...), read
//! by mail-auth, and Microsoft's older JMRP form, which attaches the original message with
//! an `X-HmXmrOriginalRecipient` header and no `message/feedback-report` part.

use mail_auth::report::{Feedback, FeedbackType};

use super::field_groups::{self, Group};
use super::report::{Complaint, Format, RcptReport, Rejected, Report};

/// The complaint of an ARF message; `original` is the header of the attached message
/// (used when mail-auth finds no header of its own).
pub fn parse(raw: &[u8], original: Group) -> Result<Report, Rejected> {
    let f = Feedback::parse_rfc5322(raw).map_err(|_| Rejected::NoReport)?;
    let attached = f.message().or(f.headers()).map(field_groups::header);
    let original = attached.filter(|g| !g.0.is_empty()).unwrap_or(original);
    let rcpt = f
        .original_rcpt_to()
        .map(field_groups::address_of)
        .or_else(|| original.get("To").map(address_in))
        .unwrap_or("")
        .to_string();
    let complaint = Complaint {
        feedback_type: type_name(f.feedback_type()).to_string(),
        user_agent: f.user_agent().unwrap_or("").to_string(),
        source_ip: f.source_ip().map(|ip| ip.to_string()).unwrap_or_default(),
        reported_domains: f.reported_domain().iter().map(|d| d.to_string()).collect(),
        original_mail_from: f
            .original_mail_from()
            .map(|a| field_groups::address_of(a).to_string()),
    };
    Ok(Report {
        format: Format::Arf,
        reporting_mta: f
            .reporting_mta()
            .map(field_groups::mta_of)
            .unwrap_or("")
            .to_string(),
        env_id: f.original_envelope_id().map(str::to_string),
        rcpts: vec![complained(rcpt)],
        complaint: Some(complaint),
        original,
        stamp: None,
    })
}

/// A JMRP complaint: the attached original names its recipient in
/// `X-HmXmrOriginalRecipient`; the type is always abuse.
pub fn jmrp(original: Group) -> Report {
    let rcpt = original
        .get("X-HmXmrOriginalRecipient")
        .map(address_in)
        .unwrap_or("")
        .to_string();
    Report {
        format: Format::Jmrp,
        reporting_mta: "hotmail.com".into(),
        env_id: None,
        rcpts: vec![complained(rcpt)],
        complaint: Some(Complaint {
            feedback_type: "abuse".into(),
            user_agent: "JMRP".into(),
            ..Complaint::default()
        }),
        original,
        stamp: None,
    }
}

fn complained(rcpt: String) -> RcptReport {
    RcptReport {
        rcpt,
        action: "complained".into(),
        ..RcptReport::default()
    }
}

/// The address in `Name <a@b>` or `a@b`.
fn address_in(v: &str) -> &str {
    match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v.trim(),
    }
}

fn type_name(t: FeedbackType) -> &'static str {
    match t {
        FeedbackType::Abuse => "abuse",
        FeedbackType::AuthFailure => "auth-failure",
        FeedbackType::Fraud => "fraud",
        FeedbackType::NotSpam => "not-spam",
        FeedbackType::Virus => "virus",
        FeedbackType::Other => "other",
    }
}
