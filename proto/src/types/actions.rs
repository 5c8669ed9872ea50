//! `pause`, `resume`, `schedule`, `set queue --mode`: verbs that change queue state.

use serde::{Deserialize, Serialize};

/// `show paused`: the operator's standing orders on queues, oldest first. A queue is
/// paused when the last pause/resume rule matching it is a pause, whether the queue existed
/// when the order was given or not; mode rules work alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRules {
    pub rules: Vec<OperatorRule>,
}

/// One standing order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRule {
    /// `pause`, `resume` (an exemption from a broader pause), `backoff` or `normal`.
    pub action: String,
    /// The pattern as given (`gmail.com/*`).
    pub pattern: String,
    /// Existing queues the rule decides now (the last matching rule of its kind).
    pub queues: u64,
    /// Recipients queued in those queues.
    pub rcpts: u64,
}

/// What a queue verb did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueActionReport {
    /// The pattern as the daemon understood it (`gmail.com/*`).
    pub pattern: String,
    /// Queues the pattern matched.
    pub matched: u64,
    /// Queues whose state changed (already-paused queues are matched, not changed).
    pub changed: u64,
    /// Set when the pattern names no configured or queued domain (or virtual MTA): the order
    /// was kept all the same, and the text names the closest known name (a likely typo).
    pub warning: Option<String>,
}
