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

/// RFC 3461 `NOTIFY=` of one recipient: which DSNs the sender asked for. The empty value
/// means the client gave no NOTIFY: failure notices only (RFC 3461 §5.2.1 leaves delay
/// notices to the MTA; PowerMTA, like pmtad, sends none then).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Notify(u8);

impl Notify {
    const SUCCESS: u8 = 1;
    const FAILURE: u8 = 2;
    const DELAY: u8 = 4;
    const NEVER: u8 = 8;

    /// `NEVER` or a comma list of `SUCCESS`, `FAILURE`, `DELAY` (any case); None if invalid
    /// (NEVER combined with another keyword, an unknown keyword, an empty item).
    pub fn parse(value: &str) -> Option<Notify> {
        let mut bits = 0;
        for word in value.split(',') {
            bits |= match word.to_ascii_uppercase().as_str() {
                "SUCCESS" => Self::SUCCESS,
                "FAILURE" => Self::FAILURE,
                "DELAY" => Self::DELAY,
                "NEVER" => Self::NEVER,
                _ => return None,
            };
        }
        let never_alone = bits & Self::NEVER == 0 || bits == Self::NEVER;
        never_alone.then_some(Notify(bits))
    }

    /// True when the sender asked for delay notices.
    pub fn wants_delay(self) -> bool {
        self.0 & Self::DELAY != 0
    }

    /// True unless the sender asked for no failure notice (NOTIFY without FAILURE).
    pub fn wants_failure(self) -> bool {
        self.0 == 0 || self.0 & Self::FAILURE != 0
    }

    /// The four flag bits, for the spool.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// From [`Notify::bits`]; unknown bits are dropped.
    pub fn from_bits(bits: u8) -> Notify {
        Notify(bits & 0x0f)
    }
}

/// One envelope recipient.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipient {
    /// `local@domain` as given in RCPT TO (without angle brackets).
    pub address: String,
    /// RFC 3461 ORCPT parameter, if the client gave one.
    pub orcpt: Option<String>,
    pub state: RcptState,
    /// RFC 3461 NOTIFY (stored in the spool's state byte, so older spools read as unset).
    #[serde(default)]
    pub notify: Notify,
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
