//! What a report says once read: its kind ([`Format`]), its per-recipient findings, the
//! complaint if it is one, or why it was not read ([`Rejected`]).
//!
//! A module of its own, below the readers of each kind (`dsn`, `arf`, `patterns`) and the
//! dispatcher that picks one (`parse`), so that each reader returns these types without
//! importing the dispatcher that calls it.

use super::field_groups::Group;

/// Reports larger than this are rejected unread (real ones are a few kilobytes; the
/// returned original rarely makes them more than a megabyte).
pub const MAX_REPORT_SIZE: usize = 10 << 20;

/// How a report was read: the accounting `format` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `multipart/report; report-type=delivery-status` (RFC 3464).
    Dsn,
    /// Gmail's "Delivery Status Notification (Failure)" text.
    Gmail,
    /// Exchange / Outlook.com "Undeliverable:" non-delivery report text.
    Microsoft,
    /// qmail-send's "Hi. This is the qmail-send program" text.
    Qmail,
    /// RFC 5965 Abuse Reporting Format.
    Arf,
    /// Microsoft's Junk Mail Reporting Program: the original attached, no ARF part.
    Jmrp,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Dsn => "dsn",
            Format::Gmail => "gmail",
            Format::Microsoft => "microsoft",
            Format::Qmail => "qmail",
            Format::Arf => "arf",
            Format::Jmrp => "jmrp",
        }
    }

    /// True for complaint formats (`f` records), false for bounces (`rb`).
    pub fn is_feedback(self) -> bool {
        matches!(self, Format::Arf | Format::Jmrp)
    }
}

/// What a report says about one recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RcptReport {
    /// The address the report names (`Final-Recipient`, or the address in the text).
    pub rcpt: String,
    /// `Original-Recipient`, when given.
    pub orcpt: Option<String>,
    /// `failed`, `delayed`, ... (lower case).
    pub action: String,
    /// The enhanced status code, `5.1.1`.
    pub status: String,
    /// `smtp;550 5.1.1 user unknown`.
    pub diag: String,
    /// The remote MTA that refused it.
    pub remote_mta: String,
}

/// The ARF fields of a complaint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Complaint {
    pub feedback_type: String,
    pub user_agent: String,
    /// `Source-IP`: the address the reported message came from (ours).
    pub source_ip: String,
    pub reported_domains: Vec<String>,
    pub original_mail_from: Option<String>,
}

/// A parsed report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub format: Format,
    pub reporting_mta: String,
    pub env_id: Option<String>,
    /// One per recipient (bounces and status notices), one per reported recipient (complaints; the
    /// address may be empty when the provider redacts it).
    pub rcpts: Vec<RcptReport>,
    pub complaint: Option<Complaint>,
    /// The header of the reported message (empty when the report returned none).
    pub original: Group,
    /// The stamp value found in the original header or, failing that, in the report text.
    pub stamp: Option<String>,
}

/// Why a report was not processed (it is counted and kept in `show bounces` as such).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("report of {0} bytes is over the {MAX_REPORT_SIZE}-byte cap")]
    TooLarge(usize),
    #[error("not a MIME message")]
    Malformed,
    #[error("no report part and no known bounce text")]
    NoReport,
    #[error("a report about a report (loop)")]
    Loop,
}

impl Rejected {
    /// Short name for listings and JSON (`too-large`, `malformed`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Rejected::TooLarge(_) => "too-large",
            Rejected::Malformed => "malformed",
            Rejected::NoReport => "no-report",
            Rejected::Loop => "loop",
        }
    }
}
