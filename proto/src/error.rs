//! The error that travels from pmtad to pmtactl.

use serde::{Deserialize, Serialize};

use crate::Diagnostic;

/// Why the daemon refused or failed a control request.
///
/// pmtactl prints the `Display` form and exits 1. The variants are part of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum ControlError {
    /// No queue matched the pattern (and the verb needs at least one).
    #[error("no queue matches {0}")]
    NoSuchQueue(String),
    /// Nothing is known about this domain: nothing queued, no settings, no history.
    #[error("no such domain: {0}")]
    NoSuchDomain(String),
    /// The request itself is invalid (bad pattern, unknown virtual MTA, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// `reload` found errors; the running configuration is unchanged.
    #[error(
        "the configuration has {} error(s); the running configuration is unchanged",
        .0.len()
    )]
    ConfigRejected(Vec<Diagnostic>),
    /// The peer is not allowed to use the control socket.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The daemon is draining and accepts no new control work.
    #[error("pmtad is shutting down")]
    ShuttingDown,
    /// The daemon could not do it (I/O error, internal failure); the text says why.
    #[error("{0}")]
    Failed(String),
}

impl ControlError {
    /// Stable snake_case name of the variant, used in pmtactl's `--json` error object.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NoSuchQueue(_) => "no_such_queue",
            Self::NoSuchDomain(_) => "no_such_domain",
            Self::InvalidRequest(_) => "invalid_request",
            Self::ConfigRejected(_) => "config_rejected",
            Self::PermissionDenied(_) => "permission_denied",
            Self::ShuttingDown => "shutting_down",
            Self::Failed(_) => "failed",
        }
    }

    /// The configuration diagnostics carried by the error, if any.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::ConfigRejected(d) => d,
            _ => &[],
        }
    }
}
