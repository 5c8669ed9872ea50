//! One accounting record, built only from what the queue actually did.
//!
//! The constructors take the delivery engine's [`Outcome`] (plus the envelope and the
//! attempt's context) and derive the record type from it: a `Delivered` outcome can only
//! make a `d` record, a `Transient` one a `t` (or `tq`), a `Permanent` one a `b`. Fields are
//! private so no caller can assemble a record that contradicts the outcome.
//!
//! Building a record copies a handful of short strings; everything costlier (formatting,
//! bounce classification, CSV quoting) happens in the writer task, off the delivery path.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use super::fields::RecordType;
use crate::envelope::{Envelope, Recipient};
use crate::outcome::{Outcome, Producer};

/// How a recipient was delivered (`dlvType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DlvType {
    Smtp,
    /// A local domain's `mailbox-command` / `type pipe`.
    Pipe,
    Discard,
    File,
}

impl DlvType {
    pub fn as_str(self) -> &'static str {
        match self {
            DlvType::Smtp => "smtp",
            DlvType::Pipe => "pipe",
            DlvType::Discard => "discard",
            DlvType::File => "file",
        }
    }
}

/// The context of one delivery attempt that the outcome itself does not carry.
///
/// The destination host and IP come from the outcome's [`Producer`], so they cannot differ
/// from what the delivery code reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Domain part of the queue name (the recipient domain, or a rollup name).
    pub queue_domain: String,
    /// The virtual MTA of the queue.
    pub vmta: String,
    /// The `<virtual-mta-pool>` the virtual MTA was chosen from, if any.
    pub pool: Option<String>,
    pub dlv_type: DlvType,
    /// Local address the connection was bound to (`dlvSourceIp`).
    pub source_ip: Option<IpAddr>,
    /// ESMTP extensions the server offered, comma-separated (`dlvEsmtpAvailable`).
    pub esmtp: Option<String>,
    /// Negotiated TLS protocol and cipher suite, when the session used STARTTLS.
    pub tls: Option<(String, String)>,
    /// Per-domain accounting file (`log-entries yes` + `accounting-log PATH`) for this queue.
    pub domain_file: Option<Arc<Path>>,
}

impl Attempt {
    /// An SMTP attempt for `queue_domain/vmta` with nothing else known yet.
    pub fn smtp(queue_domain: &str, vmta: &str) -> Attempt {
        Attempt {
            queue_domain: queue_domain.to_string(),
            vmta: vmta.to_string(),
            pool: None,
            dlv_type: DlvType::Smtp,
            source_ip: None,
            esmtp: None,
            tls: None,
            domain_file: None,
        }
    }
}

/// Facts of the message (as opposed to the attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageFacts {
    pub queued: u64,
    pub orig: String,
    pub size: u64,
    pub src_ip: Option<IpAddr>,
    pub helo: Option<String>,
    pub job_id: Option<String>,
    pub env_id: Option<String>,
    pub auth_user: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl MessageFacts {
    fn from_envelope(env: &Envelope) -> Self {
        MessageFacts {
            queued: env.received_at,
            orig: env.mail_from.clone(),
            size: env.size,
            src_ip: env.source_ip,
            helo: env.helo.clone(),
            job_id: env.job_id.clone(),
            env_id: env.env_id.clone(),
            auth_user: env.auth_user.clone(),
            headers: env.acct_headers.clone(),
        }
    }
}

/// One record waiting to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcctRecord {
    pub(crate) kind: RecordType,
    pub(crate) logged: u64,
    pub(crate) rcpt: Option<(String, Option<String>)>,
    pub(crate) msg: Option<MessageFacts>,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) attempt: Attempt,
    /// `r` records only: the listener address the feeder connected to.
    pub(crate) rcv_dest_ip: Option<IpAddr>,
    /// `rb` and `f` records only: what the report said.
    pub(crate) report: Option<Box<ReportFacts>>,
}

/// The columns of an `rb` or `f` record, as read from a report by `crate::returnpath`
/// (every value already a string: a report is text, and nothing here is derived later).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFacts {
    /// `orig`: the sender of the reported message (ours when matched).
    pub orig: String,
    pub rcpt: String,
    pub orcpt: String,
    /// `dsnAction`, `dsnStatus` (`5.1.1 (bad destination mailbox address)`), `dsnDiag`.
    pub action: String,
    pub status: String,
    pub diag: String,
    /// `dsnMta`: the DSN's `Remote-MTA`.
    pub remote_mta: String,
    pub reporting_mta: String,
    pub bounce_cat: String,
    /// `srcMta`: who sent us the report (`helo (ip)`), and `repSourceIp`.
    pub src_mta: String,
    pub rep_source_ip: String,
    pub env_id: String,
    pub format: String,
    pub feedback_type: String,
    pub user_agent: String,
    /// `dlvSourceIp` of an `f` record: the ARF `Source-IP` (our sending address).
    pub source_ip: String,
    pub reported_domain: String,
    pub job_id: String,
    pub vmta: String,
    /// Header fields of the reported (original) message, for `header_NAME` columns.
    pub headers: Vec<(String, String)>,
}

impl AcctRecord {
    /// The `d`, `t` or `b` record of one recipient's attempt, typed by the outcome.
    pub fn from_outcome(
        env: &Envelope,
        rcpt: &Recipient,
        outcome: &Outcome,
        attempt: &Attempt,
        logged: u64,
    ) -> AcctRecord {
        AcctRecord {
            kind: RecordType::of(outcome),
            logged,
            rcpt: Some((rcpt.address.clone(), rcpt.orcpt.clone())),
            msg: Some(MessageFacts::from_envelope(env)),
            outcome: Some(outcome.clone()),
            attempt: attempt.clone(),
            rcv_dest_ip: None,
            report: None,
        }
    }

    /// The `rb`, `rs` or `f` record (`kind`) of one reported recipient.
    pub fn report(facts: ReportFacts, kind: RecordType, logged: u64) -> AcctRecord {
        let domain = facts.rcpt.rsplit_once('@').map_or("", |(_, d)| d);
        let attempt = Attempt::smtp(&domain.to_ascii_lowercase(), &facts.vmta);
        AcctRecord {
            kind,
            logged,
            rcpt: Some((facts.rcpt.clone(), None)),
            msg: None,
            outcome: None,
            attempt,
            rcv_dest_ip: None,
            report: Some(Box::new(facts)),
        }
    }

    /// The `tq` record of a queue-level failure (connection refused, 421 greeting, ...).
    /// `None` unless the outcome is transient: a final queue-level failure bounces each
    /// recipient instead, and those get `b` records.
    pub fn queue_transient(outcome: &Outcome, attempt: &Attempt, logged: u64) -> Option<Self> {
        matches!(outcome, Outcome::Transient { .. }).then(|| AcctRecord {
            kind: RecordType::TransientQueue,
            logged,
            rcpt: None,
            msg: None,
            outcome: Some(outcome.clone()),
            attempt: attempt.clone(),
            rcv_dest_ip: None,
            report: None,
        })
    }

    /// The `r` record of a recipient accepted at intake. `listener_ip` is the local address
    /// the feeder connected to; `attempt` names the queue the recipient was put in.
    pub fn receipt(
        env: &Envelope,
        rcpt: &Recipient,
        attempt: &Attempt,
        listener_ip: Option<IpAddr>,
    ) -> AcctRecord {
        AcctRecord {
            kind: RecordType::Receipt,
            logged: env.received_at,
            rcpt: Some((rcpt.address.clone(), rcpt.orcpt.clone())),
            msg: Some(MessageFacts::from_envelope(env)),
            outcome: None,
            attempt: attempt.clone(),
            rcv_dest_ip: listener_ip,
            report: None,
        }
    }

    /// The record type (derived from the outcome).
    pub fn kind(&self) -> RecordType {
        self.kind
    }

    /// The recipient domain this record is about (the queue domain for `tq`).
    pub fn domain(&self) -> &str {
        match &self.rcpt {
            Some((addr, _)) => addr.rsplit_once('@').map_or("", |(_, d)| d),
            None => &self.attempt.queue_domain,
        }
    }

    /// The per-domain accounting file this record also goes to.
    pub fn domain_file(&self) -> Option<&Arc<Path>> {
        self.attempt.domain_file.as_ref()
    }

    pub(crate) fn producer(&self) -> Option<&Producer> {
        match self.outcome.as_ref()? {
            Outcome::Delivered { by, .. }
            | Outcome::Transient { by, .. }
            | Outcome::Permanent { by, .. } => Some(by),
        }
    }
}
