//! Logs: the main log (`log-file`), per-domain delivery logs (`log-domain`) and the ring of
//! recent events behind `pmtactl tail logs [--follow]`.
//!
//! How the daemon uses it: [`check`] the [`LogOptions`] when the config is loaded, then
//! [`LogSink::open`] once and hand clones of the sink to every subsystem;
//! [`LogSink::reload`] on reload, [`LogSink::rotate`] for `rotate log`, [`LogSink::sync`] at
//! shutdown. [`MainLogLayer`] forwards `tracing` warnings and errors into the main log.

pub mod clock;
mod dialogue;
mod domainlog;
mod layer;
mod log_settings;
mod mainlog;
mod ring;
mod settings_from_config;
mod sink;
mod tail;

pub use dialogue::{DATA_LOG_CAP, DataLog, Dialogue, SessionLog};
pub use domainlog::{DomainLogs, safe_domain};
pub use layer::MainLogLayer;
pub use log_settings::LogOptions;
pub use mainlog::MainLog;
pub use ring::{LogLine, Ring, TailBatch};
pub use settings_from_config::log_options;
pub use sink::LogSink;
pub use tail::serve_tail;

use std::path::{Path, PathBuf};

use crate::dir_probe::{parent_dir, probe_writable_dir};

/// Errors of the log files.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log path {path}: {reason}")]
    Unwritable { path: PathBuf, reason: String },
    #[error("log-domain {0:?}: %d must be in the file name, not in a directory")]
    BadDomainPattern(String),
    #[error("log file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Checks at config load that the log files can be written; returns every problem.
pub fn check(opts: &LogOptions) -> Result<(), Vec<LogError>> {
    let mut errors = Vec::new();
    if let Some(p) = &opts.log_file {
        probe(p, &mut errors);
    }
    if let Some(pattern) = &opts.log_domain {
        let path = Path::new(pattern);
        let dir = parent_dir(path);
        if dir.to_string_lossy().contains("%d") {
            errors.push(LogError::BadDomainPattern(pattern.clone()));
        } else {
            probe(path, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn probe(path: &Path, errors: &mut Vec<LogError>) {
    if let Err(reason) = probe_writable_dir(parent_dir(path)) {
        errors.push(LogError::Unwritable {
            path: path.to_path_buf(),
            reason,
        });
    }
}

#[cfg(test)]
mod tests;
