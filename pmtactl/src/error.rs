//! Why a pmtactl run failed, and the exit status each reason maps to.

use std::io;
use std::path::{Path, PathBuf};

use proto::{ControlError, Diagnostic};
use serde::Serialize;

/// A failed run. The exit status is part of the interface (see `doc::AFTER_LONG_HELP`).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The daemon answered with a refusal or failure.
    #[error("{0}")]
    Refused(ControlError),
    /// The command failed on our side or the exchange went wrong (kind, message).
    #[error("{1}")]
    Failed(&'static str, String),
    /// A local config check found errors.
    #[error("{} has {} error(s)", .0, .1.len())]
    ConfigInvalid(String, Vec<Diagnostic>),
    /// The arguments make no sense (caught after clap, e.g. a malformed pattern).
    #[error("{0}")]
    Usage(String),
    /// No daemon to talk to at `socket`.
    #[error("cannot reach pmtad at {}: {cause}", socket.display())]
    Unreachable { socket: PathBuf, cause: String },
    /// Writing our own output failed (a closed pipe is not a failure: exit 0).
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
}

/// The `--json` form of a failure: `{"error": {kind, message, diagnostics}}`.
#[derive(Debug, Serialize)]
pub struct JsonFailure<'a> {
    pub error: JsonError<'a>,
}

#[derive(Debug, Serialize)]
pub struct JsonError<'a> {
    pub kind: &'a str,
    pub message: String,
    pub diagnostics: &'a [Diagnostic],
}

impl CliError {
    /// 0 ok / broken pipe, 1 refused or failed, 2 usage, 3 daemon not reachable.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
            Self::Refused(_) | Self::Failed(..) | Self::ConfigInvalid(..) | Self::Output(_) => 1,
            Self::Usage(_) => 2,
            Self::Unreachable { .. } => 3,
        }
    }

    /// The configuration errors to print one per line before the summary.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Self::Refused(e) => e.diagnostics(),
            Self::ConfigInvalid(_, d) => d,
            _ => &[],
        }
    }

    /// The JSON error object for `--json` runs.
    pub fn to_json(&self) -> JsonFailure<'_> {
        let kind = match self {
            Self::Refused(e) => e.kind(),
            Self::Failed(kind, _) => kind,
            Self::ConfigInvalid(..) => "config_invalid",
            Self::Usage(_) => "usage",
            Self::Unreachable { .. } => "unreachable",
            Self::Output(_) => "output",
        };
        let message = self.to_string();
        JsonFailure {
            error: JsonError {
                kind,
                message,
                diagnostics: self.diagnostics(),
            },
        }
    }

    /// A connect failure, explained by its likely cause.
    pub fn unreachable(socket: &Path, e: &io::Error) -> Self {
        let cause = match e.kind() {
            io::ErrorKind::NotFound => format!(
                "no socket there ({e}); is pmtad running, and is this its control-socket? \
                 (see --socket, --config)"
            ),
            io::ErrorKind::ConnectionRefused => {
                format!("nothing listens there ({e}); pmtad is not running (stale socket)")
            }
            io::ErrorKind::PermissionDenied => format!(
                "permission denied ({e}); run as root, as pmtad's user, or as a member of \
                 the socket's group"
            ),
            _ => e.to_string(),
        };
        Self::Unreachable {
            socket: socket.to_path_buf(),
            cause,
        }
    }
}
