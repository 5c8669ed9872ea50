//! `show bounces`, `show feedback`, and the return-path counters of `show status`.

use serde::{Deserialize, Serialize};

/// Which reports to list: the last `last` of one kind, optionally of one recipient domain
/// and one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportsRequest {
    /// Complaints (`show feedback`) rather than bounces (`show bounces`).
    pub feedback: bool,
    /// Most reports to return (the daemon keeps the last 1000).
    pub last: u32,
    /// Only this recipient domain (lower case).
    pub domain: Option<String>,
    /// Only this category: a bounceCat (`bad-mailbox`, ...) or a feedback type
    /// (`abuse`, ...).
    pub category: Option<String>,
}

/// One reported recipient (or one rejected report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEntry {
    /// When pmtad processed it (RFC 3339).
    pub at: String,
    /// The recipient pmtad sent to (matched), or the one the report names; empty when
    /// unknown.
    pub rcpt: String,
    pub domain: String,
    /// bounceCat of a bounce, feedback type of a complaint.
    pub category: String,
    /// Enhanced status code (`5.1.1`); empty for complaints.
    pub status: String,
    /// `smtp;550 5.1.1 ...` (or why the report was rejected).
    pub diag: String,
    /// `dsn`, `gmail`, `microsoft`, `qmail`, `arf`, `jmrp`; empty when rejected.
    pub format: String,
    /// True when its `X-Pmtad-Ref` stamp verified: the rb/f record was written.
    pub matched: bool,
    pub job_id: Option<String>,
    pub vmta: Option<String>,
    /// `Message-ID` of the reported message.
    pub message_id: Option<String>,
    /// Address of the host that sent the report.
    pub reporter: String,
    /// `malformed`, `too-large`, `loop`, `no-report`; null when processed.
    pub rejected: Option<String>,
    /// `discarded` or `delivered to ADDRESS`.
    pub disposition: String,
    /// DSN action: `failed` (an `rb` record), `delayed`, `delivered`, `relayed`,
    /// `expanded` (an `rs` record); `complained` for complaints; empty when rejected.
    pub action: String,
}

/// Reports of one (domain, category) among those listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportCount {
    pub domain: String,
    pub category: String,
    pub reports: u64,
}

/// `show bounces` / `show feedback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReportList {
    /// Newest first.
    pub reports: Vec<ReportEntry>,
    /// The listed reports by domain and category, most first.
    pub by_domain: Vec<ReportCount>,
}

/// Reports processed since the daemon started (`show status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReturnPathCounts {
    pub bounces_matched: u64,
    pub bounces_unmatched: u64,
    pub feedback_matched: u64,
    pub feedback_unmatched: u64,
    /// Not processed: malformed, too large, a loop, no report in it.
    pub rejected: u64,
}
