//! The one outcome type of a delivery attempt for one recipient.
//!
//! It drives the scheduler (retry or finish), the accounting record (d / t / b), the DSN and
//! `domain detail`'s last error, so those can never disagree.

/// An SMTP reply as received from (or synthesised for) a remote server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reply {
    /// Three-digit basic code (e.g. 250, 451, 550).
    pub code: u16,
    /// RFC 3463 enhanced status code, e.g. `5.1.1`, when the server gave one.
    pub enhanced: Option<String>,
    /// The reply text, lines joined with a space.
    pub text: String,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.enhanced {
            Some(e) => write!(f, "{} {} {}", self.code, e, self.text),
            None => write!(f, "{} {}", self.code, self.text),
        }
    }
}

/// Who produced an outcome: a remote SMTP server, the local delivery command, or pmtad itself
/// (DNS failures, connection errors, expiry).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Producer {
    /// Remote MX host name and the IP we talked to.
    Remote { host: String, ip: std::net::IpAddr },
    /// The `mailbox-command` / `command` of a local domain.
    Local { command: String },
    /// pmtad itself.
    Internal,
}

/// What happened to one recipient in one attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// Accepted (2xx, or local command exit 0).
    Delivered { reply: Reply, by: Producer },
    /// Try again later (4xx, connection or DNS trouble, EX_TEMPFAIL).
    Transient { reply: Reply, by: Producer },
    /// Final failure (5xx, null MX, NXDOMAIN, expiry): bounce to the sender.
    Permanent { reply: Reply, by: Producer },
}

impl Outcome {
    pub fn reply(&self) -> &Reply {
        match self {
            Outcome::Delivered { reply, .. }
            | Outcome::Transient { reply, .. }
            | Outcome::Permanent { reply, .. } => reply,
        }
    }

    /// True when no further attempt will be made for this recipient.
    pub fn is_final(&self) -> bool {
        !matches!(self, Outcome::Transient { .. })
    }
}
