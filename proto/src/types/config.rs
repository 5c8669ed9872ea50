//! `show settings`, `reload`, `test config`: configuration through the control socket.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One effective setting and where its value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// Directive name as written in the config (`max-smtp-out`).
    pub name: String,
    /// Effective value as the config would spell it (`20`, `10m`, `yes`, `""`).
    pub value: String,
    /// `default`, or `FILE:LINE` of the directive that set it.
    pub origin: String,
}

/// `show settings DOMAIN[/VMTA]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSettings {
    pub domain: String,
    /// The virtual MTA resolved (the default one when the request named none).
    pub vmta: String,
    /// Settings of the virtual MTA itself (source address, host name, its `max-smtp-out`).
    pub vmta_settings: Vec<Setting>,
    /// Every per-queue directive with its effective value, alphabetical.
    pub queue_settings: Vec<Setting>,
}

/// A configuration error or warning, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// `file:line:column: message`, the form editors and `grep -n` users expect.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A successful `reload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadReport {
    pub config_file: String,
    /// Accepted-with-warning directives (PowerMTA directives pmtad loads but does not act on).
    pub warnings: Vec<Diagnostic>,
}

/// `test config`: which file to check (`null` = the daemon's own config file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TestConfigRequest {
    pub path: Option<String>,
}

/// The result of checking a configuration; `errors` empty = it would load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigCheck {
    pub config_file: String,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}
