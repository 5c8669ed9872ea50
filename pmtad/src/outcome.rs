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

/// Where in an attempt a failure happened (DNS, connect, TLS, greeting, MAIL, RCPT, DATA,
/// pmtad's policy, the local command). The wire type of `domain detail` is the type itself,
/// so the control plane reports exactly what the delivery code set.
pub use proto::FailureKind;

/// What happened to one recipient in one attempt.
///
/// A failure carries its [`FailureKind`], set by the code that saw it fail (the resolver,
/// the SMTP client at each step, the local command, pmtad's own policy decisions), so no
/// consumer has to guess it back from the reply text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// Accepted (2xx, or local command exit 0).
    Delivered { reply: Reply, by: Producer },
    /// Try again later (4xx, connection or DNS trouble, EX_TEMPFAIL).
    Transient {
        reply: Reply,
        by: Producer,
        kind: FailureKind,
    },
    /// Final failure (5xx, null MX, NXDOMAIN, expiry): bounce to the sender.
    Permanent {
        reply: Reply,
        by: Producer,
        kind: FailureKind,
    },
}

impl Outcome {
    /// A failure at `kind`: permanent for a 5xx reply, transient for anything else.
    pub fn failed(reply: Reply, by: Producer, kind: FailureKind) -> Outcome {
        if reply.code / 100 == 5 {
            Outcome::Permanent { reply, by, kind }
        } else {
            Outcome::Transient { reply, by, kind }
        }
    }

    pub fn reply(&self) -> &Reply {
        match self {
            Outcome::Delivered { reply, .. }
            | Outcome::Transient { reply, .. }
            | Outcome::Permanent { reply, .. } => reply,
        }
    }

    /// Where the attempt failed; `None` for a delivery.
    pub fn failure(&self) -> Option<FailureKind> {
        match self {
            Outcome::Delivered { .. } => None,
            Outcome::Transient { kind, .. } | Outcome::Permanent { kind, .. } => Some(*kind),
        }
    }

    /// True when no further attempt will be made for this recipient.
    pub fn is_final(&self) -> bool {
        !matches!(self, Outcome::Transient { .. })
    }
}
