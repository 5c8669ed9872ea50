//! `pause`, `resume`, `schedule`, `set queue --mode`: verbs that change queue state.

use serde::{Deserialize, Serialize};

/// What a queue verb did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueActionReport {
    /// The pattern as the daemon understood it (`gmail.com/*`).
    pub pattern: String,
    /// Queues the pattern matched.
    pub matched: u64,
    /// Queues whose state changed (already-paused queues are matched, not changed).
    pub changed: u64,
}
