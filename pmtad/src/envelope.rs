//! The envelope of a spooled message: who sent it, to whom, through which virtual MTA.
//!
//! Shared by intake (which builds it), the spool (which persists it), the queues (which index
//! its recipients) and delivery (which reads it back).

use std::net::IpAddr;

/// Spool-wide unique identifier of one accepted message.
///
/// Assigned by the spool at commit time; monotonically increasing within one spool, so it
/// doubles as an arrival order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct MessageId(pub u64);

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The name of the virtual MTA used when neither the message nor its source picks one.
pub const DEFAULT_VMTA: &str = "{default}";

/// State of one recipient of a spooled message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RcptState {
    /// Not yet final: queued for (re)delivery.
    Pending,
    /// Accepted by the destination (2xx) or the local command.
    Delivered,
    /// Final failure: bounced (5xx, expired, null MX, ...) or deleted by the operator.
    Failed,
}

/// One envelope recipient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipient {
    /// `local@domain` as given in RCPT TO (without angle brackets).
    pub address: String,
    /// RFC 3461 ORCPT parameter, if the client gave one.
    pub orcpt: Option<String>,
    pub state: RcptState,
}

impl Recipient {
    /// The domain part, lower-cased comparisons are the caller's business.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// Everything about a message except its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    /// Reverse path from MAIL FROM; empty for the null sender `<>` (bounces).
    pub mail_from: String,
    pub recipients: Vec<Recipient>,
    /// Virtual MTA (or pool member) chosen at intake.
    pub vmta: String,
    /// Seconds since the Unix epoch when the 250 was given.
    pub received_at: u64,
    /// Address of the feeder that submitted it (`None` for locally generated mail such as DSNs).
    pub source_ip: Option<IpAddr>,
    /// Size of the stored content in bytes.
    pub size: u64,
    /// RFC 3461 ENVID, or the `X-EnvId` header when the source processes it.
    pub env_id: Option<String>,
    /// PowerMTA job id (`X-Job`), carried into accounting.
    pub job_id: Option<String>,
    /// HELO/EHLO name the feeder gave, for accounting's `srcMta` (`helo (ip)`); `None` for
    /// locally generated mail.
    #[serde(default)]
    pub helo: Option<String>,
    /// Header values captured at intake for `header_NAME` accounting columns: only the
    /// names `acct::AcctConfig::wanted_headers` lists (see `acct::capture_headers`), so a
    /// record written days later, after a restart, needs no read of the spooled content.
    #[serde(default)]
    pub acct_headers: Vec<(String, String)>,
    /// The user the feeder authenticated as (SMTP AUTH), for accounting's `rcvSmtpUser`.
    #[serde(default)]
    pub auth_user: Option<String>,
}
