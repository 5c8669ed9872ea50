//! Why a lookup did not give a usable answer, and what that means for the recipients.

use crate::outcome::{FailureKind, Outcome, Producer, Reply};

/// A DNS answer that stops delivery to a domain (or host), classified as RFC 5321 §5.1 and
/// RFC 7505 ask: permanent when the domain says it takes no mail or does not exist, temporary
/// for anything that may heal (SERVFAIL, REFUSED, timeouts, network errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsFailure {
    /// RFC 7505 null MX (`MX 0 .`): the domain accepts no mail.
    #[error("domain {0} does not accept mail (null MX)")]
    NullMx(String),
    /// NXDOMAIN: the name does not exist.
    #[error("domain {0} does not exist (NXDOMAIN)")]
    NxDomain(String),
    /// The name exists but has neither MX nor A/AAAA records.
    #[error("domain {0} has no MX and no address records")]
    NoAddress(String),
    /// The domain has no MX records and `bounce-upon-no-mx` forbids the A/AAAA fallback.
    #[error("domain {0} has no MX records (bounce-upon-no-mx)")]
    NoMx(String),
    /// The name is not a valid domain name.
    #[error("invalid domain name {0:?}")]
    InvalidName(String),
    /// SERVFAIL, REFUSED, timeout, I/O: try again later.
    #[error("DNS lookup for {name} failed temporarily: {reason}")]
    Temporary { name: String, reason: String },
}

impl DnsFailure {
    /// True when retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, DnsFailure::Temporary { .. })
    }

    /// The reply to record for every recipient of the domain: 556 5.1.10 for null MX,
    /// 550 5.1.2 for a domain that does not exist, 451 4.4.3 for a temporary failure.
    pub fn reply(&self) -> Reply {
        let (code, enhanced) = match self {
            DnsFailure::NullMx(_) => (556, "5.1.10"),
            DnsFailure::NxDomain(_) | DnsFailure::NoAddress(_) | DnsFailure::InvalidName(_) => {
                (550, "5.1.2")
            }
            DnsFailure::NoMx(_) => (550, "5.4.4"),
            DnsFailure::Temporary { .. } => (451, "4.4.3"),
        };
        Reply {
            code,
            enhanced: Some(enhanced.to_string()),
            text: self.to_string(),
        }
    }

    /// The outcome for each recipient of the domain (produced by pmtad itself), a
    /// [`FailureKind::Dns`] failure.
    pub fn outcome(&self) -> Outcome {
        let reply = self.reply();
        let (by, kind) = (Producer::Internal, FailureKind::Dns);
        if self.is_permanent() {
            Outcome::Permanent { reply, by, kind }
        } else {
            Outcome::Transient { reply, by, kind }
        }
    }
}
