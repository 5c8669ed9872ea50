//! The outbound SMTP client: one [`SmtpConnection`] per TCP connection to a destination,
//! reused for as many transactions as the caller likes, then [`SmtpConnection::quit`].
//!
//! ```text
//! connect (bind source, connect-timeout) -> 220 (smtp-greeting-timeout) -> EHLO (HELO
//! fallback) -> STARTTLS per `tls` -> EHLO again -> send()* -> QUIT
//! ```
//! `send` returns one [`Outcome`] per recipient; the connection stays usable unless
//! [`SmtpConnection::is_open`] says otherwise.

mod connect;
mod dot_stuffing;
mod starttls;
mod stream;
mod transaction;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::delivery::classify::internal_reply;
use crate::outcome::{FailureKind, Outcome, Producer, Reply};

pub use connect::SmtpConnection;

/// `tls no|optional|required` (and `use-starttls` / `require-starttls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Never send STARTTLS.
    No,
    /// STARTTLS when offered, any certificate; plain text if the handshake fails.
    #[default]
    Optional,
    /// Never send mail in clear: no STARTTLS or a failed handshake is a temporary failure.
    Required,
}

/// Per-queue client settings (from the domain's and virtual MTA's effective config).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// EHLO / HELO name: the virtual MTA's `host-name`.
    pub helo_name: String,
    /// `bind-to-source-ip` / `smtp-source-host`: the local address to connect from.
    pub source_ip: Option<IpAddr>,
    pub tls: TlsMode,
    /// `smtp-pipeline-depth`: commands in flight when the server offers PIPELINING; 0 or 1
    /// means one at a time.
    pub pipeline_depth: usize,
    /// `max-rcpt-per-transaction`: more recipients are sent in several transactions.
    pub max_rcpt_per_transaction: usize,
    /// `ignore-8bitmime`: never declare BODY=8BITMIME.
    pub ignore_8bitmime: bool,
    pub connect_timeout: Duration,
    /// `smtp-greeting-timeout`, also used for the TLS handshake.
    pub greeting_timeout: Duration,
    /// Wait for the reply to EHLO, MAIL, RCPT, DATA, RSET, QUIT.
    pub command_timeout: Duration,
    /// `data-send-timeout`: per piece of message data written.
    pub data_send_timeout: Duration,
    /// `smtp-data-termination-timeout`: wait for the reply to the final dot.
    pub data_end_timeout: Duration,
}

impl Default for ClientConfig {
    /// PowerMTA's defaults.
    fn default() -> Self {
        ClientConfig {
            helo_name: "localhost".to_string(),
            source_ip: None,
            tls: TlsMode::Optional,
            pipeline_depth: 0,
            max_rcpt_per_transaction: 1000,
            ignore_8bitmime: false,
            connect_timeout: Duration::from_secs(120),
            greeting_timeout: Duration::from_secs(300),
            command_timeout: Duration::from_secs(300),
            data_send_timeout: Duration::from_secs(180),
            data_end_timeout: Duration::from_secs(600),
        }
    }
}

/// Where to connect: the MX (or route) host name, one of its addresses, the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub host: String,
    pub ip: IpAddr,
    pub port: u16,
}

impl Destination {
    pub fn producer(&self) -> Producer {
        Producer::Remote {
            host: self.host.clone(),
            ip: self.ip,
        }
    }
}

/// What the server offered in its EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    pub pipelining: bool,
    /// SIZE limit (`Some(0)` = SIZE offered without a limit).
    pub size: Option<u64>,
    pub eight_bit_mime: bool,
    pub starttls: bool,
    pub enhanced_status_codes: bool,
}

/// Facts about an established session, for accounting (`dsnMta`, `dlvEsmtpAvailable`,
/// `dlvSourceIp`, `dlvDestinationIp`, TLS columns) and `domain detail`.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub dest: Destination,
    /// The local address the connection came from.
    pub local: SocketAddr,
    /// The 220 banner text.
    pub greeting: String,
    /// True when EHLO was accepted (false: HELO fallback).
    pub esmtp: bool,
    pub extensions: Extensions,
    /// Negotiated TLS protocol and cipher suite, when STARTTLS succeeded.
    pub tls: Option<String>,
    /// Transactions completed (final reply received) on this connection.
    pub messages: u32,
}

/// A step of the SMTP dialogue. Errors name it ("timed out waiting during RCPT TO") and a
/// failure there records its [`FailureKind`] (see [`Step::kind`]), so where an attempt failed
/// is known from the code path, never read back from a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Connect,
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    Rset,
    Mail,
    Rcpt,
    Data,
    /// The content and the reply to its final dot.
    DataEnd,
    Quit,
    /// A transaction on this connection broke it before this one started.
    EarlierTransaction,
}

impl Step {
    /// The failure kind a failure at this step records.
    pub fn kind(self) -> FailureKind {
        match self {
            Step::Connect | Step::EarlierTransaction | Step::Quit => FailureKind::Connect,
            Step::Greeting | Step::Ehlo | Step::Helo => FailureKind::Greeting,
            Step::StartTls => FailureKind::Tls,
            Step::Rset | Step::Mail => FailureKind::Mail,
            Step::Rcpt => FailureKind::Rcpt,
            Step::Data | Step::DataEnd => FailureKind::Data,
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Connect => "connect",
            Step::Greeting => "greeting",
            Step::Ehlo => "EHLO",
            Step::Helo => "HELO",
            Step::StartTls => "STARTTLS",
            Step::Rset => "RSET",
            Step::Mail => "MAIL FROM",
            Step::Rcpt => "RCPT TO",
            Step::Data => "DATA",
            Step::DataEnd => "end of DATA",
            Step::Quit => "QUIT",
            Step::EarlierTransaction => "an earlier transaction",
        })
    }
}

/// Why a session could not be opened or continued.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("connect to {addr} failed: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot bind source address {ip}: {source}")]
    Bind { ip: IpAddr, source: std::io::Error },
    #[error("timed out waiting during {0}")]
    Timeout(Step),
    #[error("connection lost during {stage}: {source}")]
    Io { stage: Step, source: std::io::Error },
    #[error("connection closed by the server during {0}")]
    Closed(Step),
    #[error("protocol error: {detail}")]
    Protocol { stage: Step, detail: String },
    #[error("STARTTLS failed: {0}")]
    Tls(String),
    #[error("TLS required: {0}")]
    TlsRequired(String),
    #[error("server replied {reply} to {stage}")]
    Rejected { stage: Step, reply: Reply },
}

impl SessionError {
    /// The reply to record: the server's own for a refusal, a synthesised 4xx otherwise.
    pub fn reply(&self) -> Reply {
        match self {
            SessionError::Rejected { reply, .. } => reply.clone(),
            SessionError::Connect { .. } => internal_reply(421, "4.4.1", self.to_string()),
            SessionError::Timeout(Step::Connect | Step::Greeting) => {
                internal_reply(421, "4.4.1", self.to_string())
            }
            SessionError::Bind { .. } => internal_reply(451, "4.3.5", self.to_string()),
            SessionError::Tls(_) | SessionError::TlsRequired(_) => {
                internal_reply(451, "4.7.5", self.to_string())
            }
            _ => internal_reply(451, "4.4.2", self.to_string()),
        }
    }

    /// Where the session failed: the step it was at, TLS for a STARTTLS failure, connect
    /// for a source address that cannot be bound.
    pub fn kind(&self) -> FailureKind {
        match self {
            SessionError::Connect { .. } | SessionError::Bind { .. } => FailureKind::Connect,
            SessionError::Tls(_) | SessionError::TlsRequired(_) => FailureKind::Tls,
            SessionError::Timeout(step)
            | SessionError::Closed(step)
            | SessionError::Io { stage: step, .. }
            | SessionError::Protocol { stage: step, .. }
            | SessionError::Rejected { stage: step, .. } => step.kind(),
        }
    }

    /// Permanent only for a 5xx greeting or HELO refusal (`bounce-upon-5xx-greeting yes`);
    /// every other session failure is retried.
    pub fn outcome(&self, dest: &Destination) -> Outcome {
        Outcome::failed(self.reply(), dest.producer(), self.kind())
    }

    fn is_tls_failure(&self) -> bool {
        matches!(self, SessionError::Tls(_))
    }
}

#[cfg(test)]
mod tests;
