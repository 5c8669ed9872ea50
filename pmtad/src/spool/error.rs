//! Typed spool errors. The SMTP layer maps every store error to `452 4.3.1`; the split between
//! [`SpoolError::Full`] and [`SpoolError::Io`] is for logs and operators.

use std::path::PathBuf;

use crate::envelope::MessageId;

/// Everything that can go wrong in the spool.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// No space left (ENOSPC, EDQUOT, or EFBIG from a file size limit). Temporary: later writes
    /// succeed once space returns.
    #[error("spool full while {op} {path}: {source}")]
    Full {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Any other I/O error on a spool file.
    #[error("spool I/O error while {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// A record or file failed its checksum or could not be decoded.
    #[error("spool data corrupt in {path} at offset {offset}: {what}")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        what: String,
    },
    /// The message is not (or no longer) in the spool.
    #[error("message {0} is not in the spool")]
    NotFound(MessageId),
    /// The spool writer has stopped (the spool was closed or its thread died).
    #[error("spool writer has stopped")]
    Closed,
    /// Another process (normally another pmtad) has this spool open.
    #[error("spool {path} is locked by {holder}: is another pmtad using this spool directory?")]
    Locked { path: PathBuf, holder: String },
}

impl SpoolError {
    /// Wraps an I/O error, classifying out-of-space conditions as [`SpoolError::Full`].
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        match source.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG) => {
                SpoolError::Full { op, path, source }
            }
            _ => SpoolError::Io { op, path, source },
        }
    }

    /// True when retrying later may succeed (what SMTP calls a 4xx condition).
    pub fn is_temporary(&self) -> bool {
        !matches!(self, SpoolError::NotFound(_) | SpoolError::Corrupt { .. })
    }

    /// Cheap copy for fanning one batch failure out to every waiter of the batch.
    pub(crate) fn duplicate(&self) -> Self {
        let copy = |e: &std::io::Error| match e.raw_os_error() {
            Some(code) => std::io::Error::from_raw_os_error(code),
            None => std::io::Error::new(e.kind(), e.to_string()),
        };
        match self {
            SpoolError::Full { op, path, source } => SpoolError::Full {
                op,
                path: path.clone(),
                source: copy(source),
            },
            SpoolError::Io { op, path, source } => SpoolError::Io {
                op,
                path: path.clone(),
                source: copy(source),
            },
            SpoolError::Corrupt { path, offset, what } => SpoolError::Corrupt {
                path: path.clone(),
                offset: *offset,
                what: what.clone(),
            },
            SpoolError::NotFound(id) => SpoolError::NotFound(*id),
            SpoolError::Closed => SpoolError::Closed,
            SpoolError::Locked { path, holder } => SpoolError::Locked {
                path: path.clone(),
                holder: holder.clone(),
            },
        }
    }
}
