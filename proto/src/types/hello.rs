//! Handshake and version.

use serde::{Deserialize, Serialize};

/// What pmtactl says about itself in `hello`. Frozen: see the crate's stability rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHello {
    pub protocol: u32,
    pub client_version: String,
}

/// The daemon's answer to `hello`. Frozen: see the crate's stability rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Control protocol the daemon speaks ([`crate::PROTOCOL_VERSION`] of its build).
    pub protocol: u32,
    /// pmtad's package version.
    pub daemon_version: String,
}

/// `version`: the daemon's build and the protocol it speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Always `pmtad`.
    pub product: String,
    pub daemon_version: String,
    pub protocol: u32,
    /// The host name the daemon announces (EHLO, DSNs).
    pub host_name: String,
    /// When the daemon started (RFC 3339).
    pub started_at: String,
}

impl ClientHello {
    /// The hello of this build of the protocol crate.
    pub fn current(client_version: &str) -> Self {
        Self {
            protocol: crate::PROTOCOL_VERSION,
            client_version: client_version.to_string(),
        }
    }
}

impl Hello {
    /// The hello a daemon built against this protocol crate answers.
    pub fn current(daemon_version: &str) -> Self {
        Self {
            protocol: crate::PROTOCOL_VERSION,
            daemon_version: daemon_version.to_string(),
        }
    }
}
