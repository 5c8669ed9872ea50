//! `tail logs [--follow]`: a long-poll with a cursor (tarpc has no server streaming).

use serde::{Deserialize, Serialize};

/// One `tail_logs` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailRequest {
    /// Sequence number of the first wanted line; `null` = start `backlog` lines back.
    pub cursor: Option<u64>,
    /// With no cursor: how many of the most recent lines to return first.
    pub backlog: u32,
    /// Most lines in one batch.
    pub max_lines: u32,
    /// Only lines about this domain.
    pub domain: Option<String>,
    /// How long to wait for a line when none is ready; 0 = answer at once. The daemon also
    /// stops 250 ms before the call's deadline, so a poll never ends in a deadline error.
    pub wait_ms: u32,
}

/// A batch of log lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LogBatch {
    pub lines: Vec<LogLine>,
    /// Cursor for the next call (one past the last line returned or skipped).
    pub next_cursor: u64,
    /// Lines the client missed because they fell out of the daemon's buffer.
    pub dropped: u64,
}

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub seq: u64,
    /// RFC 3339.
    pub at: String,
    /// The recipient domain the line is about, if any.
    pub domain: Option<String>,
    /// The line as written to the log file, without the newline.
    pub text: String,
}
