//! Accounting: PowerMTA-compatible CSV records of what happened to every recipient.
//!
//! Operators' billing, bounce processing and statistics scripts read these files, so the
//! format is PowerMTA's (see `powermta.md` §6): the same record types, column names, default
//! column order, value formats and file naming.
//!
//! How the daemon uses it:
//! 1. at config load / reload: [`check`] the [`AcctConfig`] (an unwritable path is a config
//!    error, not a silent loss), then [`Accounting::start`] / [`Accounting::reload`];
//! 2. at intake: capture the headers [`AcctConfig::wanted_headers`] names into the envelope
//!    with [`capture_headers`], and send [`AcctRecord::receipt`] (`r`) records;
//! 3. after each attempt: [`AcctRecord::from_outcome`] (`d`/`t`/`b`, typed by the outcome) and
//!    [`AcctRecord::queue_transient`] (`tq`), sent with [`Accounting::record`];
//! 4. at shutdown: [`Accounting::shutdown`] writes and fsyncs everything.

mod check;
mod config_map;
mod encode;
mod fields;
mod file;
mod format;
mod header_capture;
mod options;
mod pipe;
mod record;
mod record_writer;
mod set;

pub use crate::bouncecat::BounceCategories;
pub use check::check;
pub use config_map::{acct_config, domain_file};
pub use fields::{DELIVERY_FIELDS, Field, RecordType};
pub use file::{AcctFile, repair_tail};
pub use header_capture::capture_headers;
pub use options::{AcctConfig, AcctFileOptions, Layout, PipeOptions};
pub use pipe::AcctPipe;
pub use record::{AcctRecord, Attempt, DlvType, ReportFacts};
pub use record_writer::{Accounting, CHANNEL_CAPACITY};
pub use set::AcctSet;

use std::path::PathBuf;

/// Errors of the accounting subsystem.
#[derive(Debug, thiserror::Error)]
pub enum AcctError {
    #[error("unknown accounting record type {0:?} (expected d, b, t, tq or r)")]
    UnknownRecordType(String),
    #[error("unknown accounting field {0:?}")]
    UnknownField(String),
    #[error(transparent)]
    BadPattern(#[from] crate::bouncecat::BadPattern),
    #[error("accounting path {path}: {reason}")]
    Unwritable { path: PathBuf, reason: String },
    #[error("accounting file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("accounting CSV encoding: {0}")]
    Csv(String),
    #[error("accounting writer thread: {0}")]
    Thread(String),
    #[error("the accounting writer has stopped")]
    Closed,
    #[error("accounting pipe \"{command}\": {reason}")]
    Pipe { command: String, reason: String },
}

#[cfg(test)]
mod tests;
