//! `domain detail NAME`: the operator's answer to "why is this domain not sending?".

use serde::{Deserialize, Serialize};

use super::{QueueMode, Setting};

/// Everything about one domain, per queue (virtual MTA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDetail {
    pub domain: String,
    /// Totals over `queues`.
    pub rcpts: u64,
    pub kbytes: u64,
    /// One entry per virtual MTA with mail queued for the domain; when nothing is queued, one
    /// entry for the virtual MTA its mail would use, so settings and MX hosts still show.
    pub queues: Vec<QueueDetail>,
    /// The MX rollup this domain's mail is queued in (its queues are the rollup's).
    #[serde(default)]
    pub rollup: Option<String>,
    /// For a rollup (or `queue-to`) queue name: the domains whose mail it holds.
    #[serde(default)]
    pub members: Vec<String>,
    /// The answer in one line, over every queue of the domain: sending when any queue is,
    /// idle when nothing is queued, else the binding reason of the biggest held queue.
    pub verdict: Verdict,
}

/// "Is it sending, and if not, why and until when?", decided by the daemon so pmtactl and
/// the HTTP interface say the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub state: VerdictState,
    /// The one reason that binds now (`not_sending` only).
    pub reason: Option<HoldKind>,
    /// `SENDING`, `NOT SENDING: <reason> — next attempt 08:12:03 UTC`, `IDLE: nothing queued`.
    pub line: String,
    /// When delivery is tried next (RFC 3339), if the daemon knows.
    pub next_attempt: Option<String>,
}

/// The three answers of a [`Verdict`] (serialised snake_case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictState {
    Sending,
    NotSending,
    Idle,
}

/// One queue (domain, virtual MTA) in depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDetail {
    pub domain: String,
    pub vmta: String,
    pub rcpts: u64,
    pub kbytes: u64,
    pub oldest_age_secs: Option<u64>,
    /// When the next attempt is due (RFC 3339); `null` = due now or nothing queued.
    pub next_retry: Option<String>,
    pub paused: bool,
    pub mode: QueueMode,
    pub connections: Connections,
    /// What holds delivery back right now, one entry per kind, the reason that binds first
    /// first; empty = nothing (delivering, or nothing queued).
    pub held_back: Vec<HoldReason>,
    pub destinations: Destinations,
    /// Most recent first.
    pub recent_errors: Vec<Event>,
    /// Most recent first.
    pub recent_deliveries: Vec<Event>,
    /// Every effective setting of this queue, alphabetical.
    pub settings: Vec<Setting>,
    /// This queue's answer (see [`DomainDetail::verdict`]).
    pub verdict: Verdict,
}

/// Live outbound connections of a queue against its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Connections {
    pub active: u32,
    /// `max-smtp-out`; `null` = unlimited.
    pub max_smtp_out: Option<u32>,
    /// `max-smtp-out-per-ip`; `null` = unlimited.
    pub max_smtp_out_per_ip: Option<u32>,
    /// Open connections per destination address (only addresses with at least one).
    pub per_ip: Vec<IpConnections>,
}

/// Open connections to one destination address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpConnections {
    pub ip: String,
    /// The MX (or route) host name the address belongs to.
    pub host: String,
    pub active: u32,
}

/// One reason delivery is held back, with a human explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldReason {
    pub kind: HoldKind,
    /// E.g. `2 of 2 connections open (max-smtp-out 2)`.
    pub detail: String,
    /// When this reason lapses, if known (RFC 3339).
    pub until: Option<String>,
}

/// The closed set of reasons a queue is not sending (serialised snake_case: `connection_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// `max-smtp-out` connections are open.
    ConnectionLimit,
    /// Every destination address has `max-smtp-out-per-ip` connections open.
    PerIpLimit,
    /// The virtual MTA's own `max-smtp-out` across its queues is reached.
    VmtaConnectionLimit,
    /// `delivery-interval` has not passed since the last connection attempt.
    DeliveryInterval,
    /// `max-msg-rate` (or `max-connect-rate`) is exhausted for now.
    RateLimit,
    /// The operator paused the queue.
    Paused,
    /// Recipients wait for their next retry (`retry-after`).
    RetryWait,
    /// The queue is in backoff mode (slower `backoff-*` limits apply).
    Backoff,
    /// The MX / A lookup failed (temporarily or not).
    DnsFailure,
    /// `tls required` but the server did not offer STARTTLS (or the handshake failed).
    TlsRequiredNotOffered,
    /// Every destination address refused or timed out on connect.
    ConnectFailure,
    /// Anything else; `detail` says what.
    Other,
}

impl HoldKind {
    /// Which reason binds first when several hold a queue: the operator's pause, then a
    /// failure that stops every attempt (DNS, connect, TLS), then the limits that pace
    /// attempts, then the retry wait those failures cause, then backoff (slower, not stopped).
    pub fn rank(self) -> u8 {
        match self {
            Self::Paused => 0,
            Self::DnsFailure => 1,
            Self::ConnectFailure => 2,
            Self::TlsRequiredNotOffered => 3,
            Self::RateLimit => 4,
            Self::DeliveryInterval => 5,
            Self::VmtaConnectionLimit => 6,
            Self::ConnectionLimit => 7,
            Self::PerIpLimit => 8,
            Self::Other => 9,
            Self::RetryWait => 10,
            Self::Backoff => 11,
        }
    }

    /// The snake_case word used in JSON and in pmtactl's text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConnectionLimit => "connection_limit",
            Self::PerIpLimit => "per_ip_limit",
            Self::VmtaConnectionLimit => "vmta_connection_limit",
            Self::DeliveryInterval => "delivery_interval",
            Self::RateLimit => "rate_limit",
            Self::Paused => "paused",
            Self::RetryWait => "retry_wait",
            Self::Backoff => "backoff",
            Self::DnsFailure => "dns_failure",
            Self::TlsRequiredNotOffered => "tls_required_not_offered",
            Self::ConnectFailure => "connect_failure",
            Self::Other => "other",
        }
    }
}

/// Where the queue's mail goes and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destinations {
    pub source: DestinationSource,
    /// In preference order.
    pub hosts: Vec<MxHost>,
    /// When the lookup was made (RFC 3339); `null` if never.
    pub resolved_at: Option<String>,
    /// The last lookup's failure, if it failed.
    pub error: Option<String>,
}

/// How the destination hosts were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationSource {
    /// MX records of the domain.
    Mx,
    /// No MX: the domain's own A/AAAA (RFC 5321 §5.1 implicit MX).
    ImplicitMx,
    /// `route` / `smtp-hosts`.
    Route,
    /// `resolve-to`.
    ResolveTo,
    /// `local yes` / `type pipe`: delivered through a command, no hosts.
    Local,
    /// Not resolved yet.
    Unresolved,
}

impl DestinationSource {
    /// The snake_case word used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mx => "mx",
            Self::ImplicitMx => "implicit_mx",
            Self::Route => "route",
            Self::ResolveTo => "resolve_to",
            Self::Local => "local",
            Self::Unresolved => "unresolved",
        }
    }
}

/// One destination host and its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    /// MX preference (0 for routes and implicit MX).
    pub preference: u16,
    pub host: String,
    pub port: u16,
    pub addresses: Vec<String>,
}

/// A delivery event, as `domain detail` and `show domains` report them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// RFC 3339.
    pub at: String,
    pub kind: EventKind,
    pub vmta: String,
    /// The recipient, for recipient events; `null` for connection and DNS events.
    pub rcpt: Option<String>,
    pub remote_host: Option<String>,
    pub remote_ip: Option<String>,
    /// The SMTP reply or the error text (`421 4.7.0 Try again later`, `connection refused`).
    pub diag: String,
    /// The bounce category of a failure (`spam-related`, `bad-mailbox`, …), from the same
    /// `<bounce-category-patterns>` engine as the accounting `bounceCat`; `null` for
    /// deliveries.
    #[serde(default)]
    pub category: Option<String>,
    /// Where the attempt failed (`dns`, `connect`, `tls`, `greeting`, `mail`, `rcpt`, `data`,
    /// `policy`, `local_command`), as recorded by the code that saw it fail; `null` for
    /// deliveries. `kind` is derived from it and the outcome, never from the text.
    #[serde(default)]
    pub failure: Option<FailureKind>,
}

/// The kind of an [`Event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Delivered,
    Deferred,
    Bounced,
    ConnectionError,
    DnsError,
    TlsError,
}

/// Where in an attempt a failure happened. Set by the code that saw it (the resolver, the
/// SMTP client at each step of the dialogue, the local delivery command, pmtad's own
/// policies), carried with the outcome to every consumer, never read back from reply text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The MX / address lookup (SERVFAIL, NXDOMAIN, null MX, no MX).
    Dns,
    /// Binding the source address or opening the TCP connection (refused, unreachable,
    /// timed out); also a connection lost between transactions.
    Connect,
    /// STARTTLS: refused, not offered while `tls required`, or a failed handshake.
    Tls,
    /// The 220 banner and EHLO / HELO.
    Greeting,
    /// MAIL FROM (and RSET before it), or a limit the server announced for it (SIZE).
    Mail,
    /// RCPT TO of this recipient.
    Rcpt,
    /// DATA, the message content or the reply to its final dot.
    Data,
    /// pmtad's own decision: expiry (`bounce-after`), disabled source addresses, an
    /// operator's delete, an address that cannot be sent.
    Policy,
    /// A local domain's delivery command.
    LocalCommand,
}

impl FailureKind {
    /// The snake_case word used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Greeting => "greeting",
            Self::Mail => "mail",
            Self::Rcpt => "rcpt",
            Self::Data => "data",
            Self::Policy => "policy",
            Self::LocalCommand => "local_command",
        }
    }
}

impl EventKind {
    /// The snake_case word used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Deferred => "deferred",
            Self::Bounced => "bounced",
            Self::ConnectionError => "connection_error",
            Self::DnsError => "dns_error",
            Self::TlsError => "tls_error",
        }
    }
}
