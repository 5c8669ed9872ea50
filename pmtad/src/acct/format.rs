//! Field values of a record, as PowerMTA writes them.
//!
//! Values are appended into reusable strings so formatting a record allocates nothing once
//! the buffers have grown. CR and LF inside values become spaces: every record is exactly
//! one line, which line-oriented tools (grep, awk) rely on and which lets a torn last line
//! after a crash be found and cut at the last newline.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::fields::{Field, RecordType};
use super::record::{AcctRecord, ReportFacts};
use crate::bouncecat::BounceCategories;
use crate::enhanced_status;
use crate::logs::clock;
use crate::outcome::{Outcome, Producer};

/// What formatting needs besides the record.
#[derive(Debug)]
pub struct FmtCtx<'a> {
    pub bounce: &'a BounceCategories,
    pub user_string: Option<&'a str>,
}

/// Appends the value of `field` for `rec` to `out` (nothing when not applicable).
pub fn write_field(f: &Field, rec: &AcctRecord, ctx: &FmtCtx<'_>, out: &mut String) {
    let start = out.len();
    if let Some(report) = rec.report.as_deref() {
        write_report_field(f, rec, report, out);
    } else if !write_outcome_field(f, rec, ctx, out) && !write_message_field(f, rec, out) {
        write_attempt_field(f, rec, ctx, out);
    }
    if out[start..].contains(['\r', '\n']) {
        let clean = out[start..].replace(['\r', '\n'], " ");
        out.truncate(start);
        out.push_str(&clean);
    }
}

/// Fields derived from the outcome; false when `f` is not one of them.
fn write_outcome_field(f: &Field, rec: &AcctRecord, ctx: &FmtCtx<'_>, out: &mut String) -> bool {
    let Some(outcome) = rec.outcome.as_ref() else {
        return matches!(
            f,
            Field::DsnAction | Field::DsnStatus | Field::DsnDiag | Field::DsnMta | Field::BounceCat
        );
    };
    let reply = outcome.reply();
    match f {
        Field::DsnAction => out.push_str(dsn_action(rec, outcome)),
        Field::DsnStatus => enhanced_status::write_dsn_status(reply, out),
        Field::DsnDiag => {
            let kind = match rec.producer() {
                Some(Producer::Local { .. }) => "x-unix",
                _ => "smtp",
            };
            let _ = write!(out, "{kind};{reply}");
        }
        Field::DsnMta => {
            if let Some(Producer::Remote { host, ip }) = rec.producer() {
                let _ = write!(out, "{host} ({ip})");
            }
        }
        Field::BounceCat => write_bounce_cat(rec, outcome, ctx, out),
        _ => return false,
    }
    true
}

fn dsn_action(rec: &AcctRecord, outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Delivered {
            by: Producer::Remote { .. },
            ..
        } => "relayed",
        Outcome::Delivered { .. } => "delivered",
        Outcome::Transient { .. } if rec.kind == RecordType::TransientQueue => "",
        Outcome::Transient { .. } => "delayed",
        Outcome::Permanent { .. } => "failed",
    }
}

/// `bounceCat` is filled for failures only (empty for `d`, as in PowerMTA's files).
fn write_bounce_cat(rec: &AcctRecord, outcome: &Outcome, ctx: &FmtCtx<'_>, out: &mut String) {
    if matches!(outcome, Outcome::Delivered { .. }) || rec.kind == RecordType::TransientQueue {
        return;
    }
    out.push_str(ctx.bounce.classify_reply(outcome.reply()));
}

/// Fields from the message (envelope); false when `f` is not one of them.
fn write_message_field(f: &Field, rec: &AcctRecord, out: &mut String) -> bool {
    let msg = rec.msg.as_ref();
    match f {
        Field::Type => out.push_str(rec.kind.code()),
        Field::TimeLogged => clock::write_iso(out, rec.logged),
        Field::TimeQueued => msg.iter().for_each(|m| clock::write_iso(out, m.queued)),
        Field::TotalSecondsQueued => msg.iter().for_each(|m| {
            let _ = write!(out, "{}", rec.logged.saturating_sub(m.queued));
        }),
        Field::Orig => msg.iter().for_each(|m| out.push_str(&m.orig)),
        Field::Rcpt => rec.rcpt.iter().for_each(|(r, _)| out.push_str(r)),
        Field::Orcpt => rec
            .rcpt
            .iter()
            .for_each(|(_, o)| push_opt(out, o.as_deref())),
        Field::SrcType => msg
            .iter()
            .for_each(|m| out.push_str(if m.src_ip.is_some() { "smtp" } else { "api" })),
        Field::SrcMta => msg
            .iter()
            .for_each(|m| write_src_mta(out, m.helo.as_deref(), m.src_ip)),
        Field::RcvSourceIp => msg.iter().for_each(|m| push_ip(out, m.src_ip)),
        Field::RcvDestinationIp => push_ip(out, rec.rcv_dest_ip),
        Field::JobId => msg.iter().for_each(|m| push_opt(out, m.job_id.as_deref())),
        Field::EnvId => msg.iter().for_each(|m| push_opt(out, m.env_id.as_deref())),
        Field::RcvSmtpUser => msg
            .iter()
            .for_each(|m| push_opt(out, m.auth_user.as_deref())),
        Field::Header(_) => msg.iter().for_each(|m| write_header(f, &m.headers, out)),
        _ => return false,
    }
    true
}

fn write_src_mta(out: &mut String, helo: Option<&str>, ip: Option<IpAddr>) {
    match (helo, ip) {
        (Some(h), Some(ip)) => {
            let _ = write!(out, "{h} ({ip})");
        }
        (None, Some(ip)) => {
            let _ = write!(out, "({ip})");
        }
        (Some(h), None) => out.push_str(h),
        (None, None) => {}
    }
}

fn write_header(f: &Field, headers: &[(String, String)], out: &mut String) {
    let Some(name) = f.header_name() else { return };
    if let Some((_, v)) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        out.push_str(v);
    }
}

/// Fields from the attempt context; `dlv*` only for records about a delivery attempt.
fn write_attempt_field(f: &Field, rec: &AcctRecord, ctx: &FmtCtx<'_>, out: &mut String) {
    let a = &rec.attempt;
    let attempted = rec.outcome.is_some();
    match f {
        Field::Vmta => out.push_str(&a.vmta),
        Field::VmtaPool => push_opt(out, a.pool.as_deref()),
        Field::Queue => {
            let _ = write!(out, "{}/{}", a.queue_domain, a.vmta);
        }
        Field::UserString => push_opt(out, ctx.user_string),
        _ if !attempted => {}
        Field::DlvType => out.push_str(a.dlv_type.as_str()),
        Field::DlvSourceIp => push_ip(out, a.source_ip),
        Field::DlvDestinationIp => {
            if let Some(Producer::Remote { ip, .. }) = rec.producer() {
                let _ = write!(out, "{ip}");
            }
        }
        Field::DlvEsmtpAvailable => push_opt(out, a.esmtp.as_deref()),
        Field::DlvSize => rec.msg.iter().for_each(|m| {
            let _ = write!(out, "{}", m.size);
        }),
        Field::DlvTlsProtocol => push_opt(out, a.tls.as_ref().map(|t| t.0.as_str())),
        Field::DlvTlsCipher => push_opt(out, a.tls.as_ref().map(|t| t.1.as_str())),
        _ => {}
    }
}

/// A column of an `rb` / `f` record: every value comes from the report.
fn write_report_field(f: &Field, rec: &AcctRecord, r: &ReportFacts, out: &mut String) {
    let v: &str = match f {
        Field::Type => rec.kind.code(),
        Field::TimeLogged => return clock::write_iso(out, rec.logged),
        Field::Orig => &r.orig,
        Field::Rcpt => &r.rcpt,
        Field::Orcpt => &r.orcpt,
        Field::DsnAction => &r.action,
        Field::DsnStatus => &r.status,
        Field::DsnDiag => &r.diag,
        Field::DsnMta => &r.remote_mta,
        Field::DsnReportingMta | Field::ReportingMta => &r.reporting_mta,
        Field::BounceCat => &r.bounce_cat,
        Field::SrcType => "smtp",
        Field::SrcMta => &r.src_mta,
        Field::RepSourceIp | Field::RcvSourceIp => &r.rep_source_ip,
        Field::EnvId => &r.env_id,
        Field::Format => &r.format,
        Field::FeedbackType => &r.feedback_type,
        Field::UserAgent => &r.user_agent,
        Field::DlvSourceIp => &r.source_ip,
        Field::ReportedDomain => &r.reported_domain,
        Field::JobId => &r.job_id,
        Field::Vmta => &r.vmta,
        Field::Header(_) => return write_header(f, &r.headers, out),
        _ => "",
    };
    out.push_str(v);
}

fn push_opt(out: &mut String, v: Option<&str>) {
    if let Some(v) = v {
        out.push_str(v);
    }
}

fn push_ip(out: &mut String, ip: Option<IpAddr>) {
    if let Some(ip) = ip {
        let _ = write!(out, "{ip}");
    }
}
