//! `show jobs`, `show job ID`, `delete --job=ID`, `pause job ID`, `resume job ID`.

use serde::{Deserialize, Serialize};

/// One job (PowerMTA's campaign, named by the `X-Job:` header or the source's
/// `jobid-header`). `queued` and `kbytes` are what the spool holds now; `delivered`,
/// `bounced` and `deferred` count recipient outcomes since pmtad started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub job: String,
    /// Recipients not final yet (waiting, in flight, or held by a pause).
    pub queued: u64,
    pub delivered: u64,
    pub bounced: u64,
    /// Temporary failures (each one `t` event).
    pub deferred: u64,
    pub kbytes: u64,
    /// RFC 3339 times of the first and the last message received.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub paused: bool,
}

/// `show jobs`: every job known, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JobList {
    pub jobs: Vec<JobSummary>,
}

/// One page of `delete --job=ID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteJobRequest {
    pub job: String,
    /// 0 = start; otherwise the `next_cursor` of the previous page.
    pub cursor: u64,
    /// Most recipients to delete in this call.
    pub max_batch: u32,
}

/// What `pause job` / `resume job` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobActionReport {
    pub job: String,
    /// False when the job already was in the state asked for.
    pub changed: bool,
    /// Messages taken out of the queues (pause) or given back to them (resume).
    pub messages: u64,
}
