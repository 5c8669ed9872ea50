//! `list` and `delete`: recipient-level verbs, paged so no call outlives its deadline.

use serde::{Deserialize, Serialize};

use crate::QueuePattern;

/// One page of `delete --queue=PATTERN [--older-than=T]`.
///
/// pmtactl repeats the call with `cursor = next_cursor` until it is `null`, so deleting
/// millions of recipients keeps memory and each call's duration bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub pattern: QueuePattern,
    /// Only recipients queued at least this long ago.
    pub older_than_secs: Option<u64>,
    /// 0 = start; otherwise the `next_cursor` of the previous page (opaque to pmtactl).
    pub cursor: u64,
    /// Most recipients to delete in this call.
    pub max_batch: u32,
}

/// The result of one delete page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DeletePage {
    /// Recipients deleted (marked failed, accounted "deleted by administrator").
    pub deleted: u64,
    /// Where to continue; `null` = done.
    pub next_cursor: Option<u64>,
}

/// One page of `list --queue=PATTERN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRequest {
    pub pattern: QueuePattern,
    pub older_than_secs: Option<u64>,
    /// 0 = start; otherwise the `next_cursor` of the previous page.
    pub cursor: u64,
    /// Most recipients to return in this page.
    pub limit: u32,
}

/// A page of queued recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListPage {
    pub items: Vec<QueuedRcpt>,
    /// Where to continue; `null` = no more.
    pub next_cursor: Option<u64>,
}

/// One queued recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedRcpt {
    /// The spool's message id (16 hex digits).
    pub message_id: String,
    pub rcpt: String,
    /// MAIL FROM; empty for the null sender.
    pub sender: String,
    pub domain: String,
    pub vmta: String,
    /// When the message was accepted (RFC 3339).
    pub queued_at: String,
    pub age_secs: u64,
    pub kbytes: u64,
    /// Delivery attempts so far.
    pub attempts: u32,
    pub next_retry: Option<String>,
    pub last_error: Option<String>,
}
