//! `show status`.

use serde::{Deserialize, Serialize};

/// `show status`: the daemon at a glance (PowerMTA's `show status` grid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub host_name: String,
    pub daemon_version: String,
    /// The daemon's clock when it answered (RFC 3339).
    pub time_now: String,
    pub started_at: String,
    pub uptime_secs: u64,
    /// `running` or `shutting_down`.
    pub state: DaemonState,
    pub traffic: Traffic,
    pub connections: ConnectionTotals,
    pub queues: QueueTotals,
    pub spool: SpoolStatus,
    /// Inbound connections turned away (421 4.3.2) since start, by any limit.
    pub inbound_refused: u64,
    /// Each `<source-group>`'s inbound connections (the configured groups, by name, and any
    /// group a reload removed that still has connections open).
    pub source_groups: Vec<SourceGroupConnections>,
    /// Bounce and complaint reports processed since start (`<bounce-processor>`,
    /// `<feedback-loop-processor>`).
    pub returnpath: crate::ReturnPathCounts,
}

/// One `<source-group>`'s inbound connections and limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SourceGroupConnections {
    pub name: String,
    pub active: u32,
    /// Highest `active` since start.
    pub top: u32,
    /// `max-smtp-in`; `null` = unlimited.
    pub maximum: Option<u32>,
    /// `reserved-smtp-in`.
    pub reserved: u32,
    /// Connections of the group turned away since start.
    pub refused: u64,
}

/// Whether the daemon is serving or draining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DaemonState {
    Running,
    ShuttingDown,
}

/// Traffic counters over three windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Traffic {
    /// Since the daemon started.
    pub total: InOut,
    /// The last 60 minutes.
    pub last_hour: InOut,
    /// The last 60 seconds.
    pub last_minute: InOut,
}

/// Inbound (accepted from feeders) and outbound (delivered) counts of one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InOut {
    pub inbound: Counts,
    pub outbound: Counts,
}

/// Recipients, messages and size of a traffic window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Counts {
    pub rcpts: u64,
    pub msgs: u64,
    pub kbytes: u64,
}

/// SMTP connections in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConnectionTotals {
    pub inbound: ConnectionCount,
    pub outbound: ConnectionCount,
}

/// Open connections now, the most seen at once, and the configured ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConnectionCount {
    pub active: u32,
    /// Highest `active` since start.
    pub top: u32,
    /// Configured maximum; `null` = unlimited.
    pub maximum: Option<u32>,
}

/// What is queued, over all queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct QueueTotals {
    pub rcpts: u64,
    pub msgs: u64,
    pub kbytes: u64,
    pub domains: u64,
    pub queues: u64,
    pub paused_queues: u64,
    pub backoff_queues: u64,
}

/// The spool's use of the disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SpoolStatus {
    pub path: String,
    /// Messages stored and not yet final.
    pub messages: u64,
    pub kbytes_used: u64,
    /// Free space left on the spool's file system.
    pub kbytes_free: u64,
    /// `min-free-space`: below it new mail is refused (0: only when the disk is full).
    pub kbytes_min_free: u64,
    /// While new mail is refused (452 4.3.1) for lack of spool space: since when (RFC 3339).
    pub intake_refused_since: Option<String>,
    /// Whether start-up recovery has finished (the listener opens only after).
    pub recovered: bool,
    /// Segment `fdatasync`s since start (one per group commit).
    #[serde(default)]
    pub fsyncs: u64,
    /// Delivery outcomes recorded in memory and not yet synced (`completion-sync-delay`).
    #[serde(default)]
    pub unsynced_completions: u64,
    /// Messages recovered at start after an unclean stop (kill -9, crash): those delivered
    /// before it whose outcome was not yet synced are delivered again (at-least-once); this
    /// bounds the re-deliveries. 0 after a clean stop.
    #[serde(default)]
    pub recovered_unclean: u64,
    /// Body cache (`body-cache-size`): bytes held, budget, messages held, and delivery reads
    /// it served (hits) or left to the spool (misses).
    #[serde(default)]
    pub body_cache: BodyCacheStatus,
}

/// The spool's in-memory copy of fresh messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BodyCacheStatus {
    pub kbytes: u64,
    pub kbytes_budget: u64,
    pub messages: u64,
    pub hits: u64,
    pub misses: u64,
}

impl BodyCacheStatus {
    /// Hits over all delivery reads, 0 to 1 (0 before any read).
    pub fn hit_rate(&self) -> f64 {
        let all = self.hits + self.misses;
        if all == 0 {
            0.0
        } else {
            self.hits as f64 / all as f64
        }
    }
}
