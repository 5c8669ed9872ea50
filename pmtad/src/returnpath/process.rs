//! From a parsed report to what pmtad records: one [`Entry`] per reported recipient (for
//! the listings and counters) and, for matched recipients, the `rb` / `f` accounting facts.
//!
//! Pure (no I/O), so the parser, the matching and the fuzz test run without a daemon.

use crate::acct::{RecordType, ReportFacts};
use crate::bouncecat::BounceCategories;
use crate::enhanced_status::describe as describe_status;

use super::field_groups::Group;
use super::parse;
use super::report::{Complaint, RcptReport, Rejected, Report};
use super::stamp::{Key, Stamp};

/// One reported recipient, as `show bounces` / `show feedback` list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Seconds since the epoch when it was processed.
    pub time: u64,
    /// A complaint (`f`) rather than a bounce (`rb`).
    pub feedback: bool,
    /// The recipient (the one pmtad sent to when matched); empty when unknown.
    pub rcpt: String,
    pub domain: String,
    /// bounceCat of a bounce, feedback type of a complaint.
    pub category: String,
    /// Enhanced status (`5.1.1`), empty for complaints.
    pub status: String,
    /// DSN action: `failed` (an `rb` record), `delayed`, `delivered`, ... (`rs`);
    /// `complained` for complaints.
    pub action: String,
    pub diag: String,
    /// `dsn`, `gmail`, `microsoft`, `qmail`, `arf`, `jmrp` (empty when rejected).
    pub format: String,
    pub matched: bool,
    pub job_id: Option<String>,
    pub vmta: Option<String>,
    /// The spool id of the matched message.
    pub message: Option<u64>,
    /// `Message-ID` of the reported message, when returned.
    pub message_id: Option<String>,
    /// Address of the host that sent the report.
    pub reporter: String,
    /// Why the report was not processed (`malformed`, `too-large`, `loop`, ...).
    pub rejected: Option<String>,
    /// What became of the report mail: `discarded`, `delivered`, `forwarded`.
    pub disposition: String,
}

/// Whether a report matched something pmtad sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Matched,
    Unmatched,
    Rejected,
}

/// The result of processing one report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub verdict: Verdict,
    pub entries: Vec<Entry>,
    /// Accounting facts of the matched recipients, and their record type (`rb`, `rs`, `f`).
    pub records: Vec<(ReportFacts, RecordType)>,
}

/// Who sent us the report.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub ip: Option<std::net::IpAddr>,
    pub helo: Option<&'a str>,
    /// Which processor received it (a rejected report is a bounce or a complaint by that).
    pub feedback_processor: bool,
    pub now: u64,
}

/// Parses `raw`, matches it with `key` and builds its entries and records.
pub fn process(
    raw: &[u8],
    key: Option<&Key>,
    cats: &BounceCategories,
    src: Source<'_>,
) -> Processed {
    // mail-parser has a debug assertion that broken MIME can trip (found by the fuzz test
    // below); a report must never take a session down, so a panic is a malformed report.
    let parsed = std::panic::catch_unwind(|| parse::parse(raw)).unwrap_or(Err(Rejected::Malformed));
    match parsed {
        Ok(report) => matched(&report, key, cats, src),
        Err(why) => rejected(&why, src),
    }
}

/// The entry of a report that was not processed.
pub fn rejected(why: &Rejected, src: Source<'_>) -> Processed {
    Processed {
        verdict: Verdict::Rejected,
        entries: vec![Entry {
            time: src.now,
            feedback: src.feedback_processor,
            rcpt: String::new(),
            domain: String::new(),
            category: String::new(),
            status: String::new(),
            action: String::new(),
            diag: why.to_string(),
            format: String::new(),
            matched: false,
            job_id: None,
            vmta: None,
            message: None,
            message_id: None,
            reporter: src.ip.map(|ip| ip.to_string()).unwrap_or_default(),
            rejected: Some(why.code().to_string()),
            disposition: String::new(),
        }],
        records: Vec::new(),
    }
}

fn matched(
    report: &Report,
    key: Option<&Key>,
    cats: &BounceCategories,
    src: Source<'_>,
) -> Processed {
    let stamp = key
        .zip(report.stamp.as_deref())
        .and_then(|(k, s)| k.verify(s));
    let mut out = Processed {
        verdict: Verdict::Unmatched,
        entries: Vec::new(),
        records: Vec::new(),
    };
    for r in &report.rcpts {
        let sent = stamp.as_ref().zip(key).and_then(|(s, k)| {
            let named = [r.rcpt.as_str()].into_iter().chain(r.orcpt.as_deref());
            Some((s, s.recipient(k, named.filter(|a| !a.is_empty()))?))
        });
        let facts = facts(
            report,
            r,
            sent.as_ref().map(|(s, a)| (*s, a.as_str())),
            cats,
            src,
        );
        out.entries
            .push(entry(report, &facts, sent.as_ref().map(|(s, _)| *s), src));
        if sent.is_some() {
            out.verdict = Verdict::Matched;
            out.records.push((facts, record_type(report, r)));
        }
    }
    out
}

/// `f` for a complaint, `rb` for a failed recipient, `rs` for a status notice.
fn record_type(report: &Report, r: &RcptReport) -> RecordType {
    match (report.format.is_feedback(), r.action.as_str()) {
        (true, _) => RecordType::FeedbackLoop,
        (false, "failed") => RecordType::RemoteBounce,
        (false, _) => RecordType::RemoteStatus,
    }
}

fn facts(
    report: &Report,
    r: &RcptReport,
    sent: Option<(&Stamp, &str)>,
    cats: &BounceCategories,
    src: Source<'_>,
) -> ReportFacts {
    let o = &report.original;
    let complaint = report.complaint.clone().unwrap_or_default();
    let status = match r.status.is_empty() {
        true => String::new(),
        false => format!("{} ({})", r.status, describe_status(&r.status)),
    };
    let diag_text = r.diag.split_once(';').map_or(r.diag.as_str(), |(_, t)| t);
    let bounce_cat = match report.format.is_feedback() {
        true => String::new(),
        false => cats
            .classify(&format!("{};{diag_text}", r.status))
            .to_string(),
    };
    ReportFacts {
        orig: original_sender(o, &complaint),
        rcpt: sent.map_or(r.rcpt.clone(), |(_, a)| a.to_string()),
        orcpt: r.orcpt.clone().unwrap_or_default(),
        action: r.action.clone(),
        status,
        diag: r.diag.clone(),
        remote_mta: r.remote_mta.clone(),
        reporting_mta: report.reporting_mta.clone(),
        bounce_cat,
        src_mta: src_mta(src),
        rep_source_ip: src.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        env_id: report.env_id.clone().unwrap_or_default(),
        format: report.format.as_str().to_string(),
        feedback_type: complaint.feedback_type,
        user_agent: complaint.user_agent,
        source_ip: complaint.source_ip,
        reported_domain: complaint.reported_domains.join(","),
        job_id: sent
            .and_then(|(s, _)| s.job.clone())
            .or_else(|| o.get("X-Job").map(str::to_string))
            .unwrap_or_default(),
        vmta: sent.map(|(s, _)| s.vmta.clone()).unwrap_or_default(),
        headers: o.0.clone(),
    }
}

/// The sender of the reported message: its `Return-Path`, ARF `Original-Mail-From`, or
/// the address in its `From`.
fn original_sender(o: &Group, complaint: &Complaint) -> String {
    let from = o
        .get("Return-Path")
        .or(complaint.original_mail_from.as_deref())
        .or(o.get("From"));
    let v = from.unwrap_or("");
    let v = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v.trim(),
    };
    v.to_string()
}

fn src_mta(src: Source<'_>) -> String {
    match (src.helo, src.ip) {
        (Some(h), Some(ip)) => format!("{h} ({ip})"),
        (None, Some(ip)) => format!("({ip})"),
        (Some(h), None) => h.to_string(),
        (None, None) => String::new(),
    }
}

fn entry(report: &Report, f: &ReportFacts, stamp: Option<&Stamp>, src: Source<'_>) -> Entry {
    let feedback = report.format.is_feedback();
    Entry {
        time: src.now,
        feedback,
        rcpt: f.rcpt.clone(),
        domain: f
            .rcpt
            .rsplit_once('@')
            .map_or("", |(_, d)| d)
            .to_ascii_lowercase(),
        category: match feedback {
            true => f.feedback_type.clone(),
            false => f.bounce_cat.clone(),
        },
        status: f.status.split_whitespace().next().unwrap_or("").to_string(),
        action: f.action.clone(),
        diag: f.diag.clone(),
        format: f.format.clone(),
        matched: stamp.is_some(),
        job_id: (!f.job_id.is_empty()).then(|| f.job_id.clone()),
        vmta: stamp.map(|s| s.vmta.clone()),
        message: stamp.map(|s| s.message),
        message_id: report.original.get("Message-ID").map(str::to_string),
        reporter: f.rep_source_ip.clone(),
        rejected: None,
        disposition: String::new(),
    }
}
