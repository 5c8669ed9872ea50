//! `show domains`, `show queues`, `show vmtas`: the listings.

use serde::{Deserialize, Serialize};

use super::{Event, QueueMode, Ranked, Sort};
use crate::QueuePattern;

/// `show domains [--vmta V] [NAME…]` (and `show topdomains` = sort by rcpts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DomainsRequest {
    /// Domain names or `*` patterns; empty = every domain.
    pub names: Vec<String>,
    /// Count only the queues of this virtual MTA.
    pub vmta: Option<String>,
    pub sort: Sort,
    /// Rows to return after sorting; 0 = all.
    pub max_items: u32,
}

/// One row of `show domains`: a domain aggregated over its queues (one per virtual MTA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainSummary {
    pub domain: String,
    /// Queued recipients.
    pub rcpts: u64,
    pub kbytes: u64,
    /// Open outbound connections to this domain.
    pub connections: u32,
    /// Queues (virtual MTAs) this domain has.
    pub queues: u32,
    pub paused_queues: u32,
    pub backoff_queues: u32,
    /// Age of the oldest queued recipient; `null` when nothing is queued.
    pub oldest_age_secs: Option<u64>,
    /// The most recent error (deferral, bounce, connection or DNS failure).
    pub last_error: Option<Event>,
}

/// The answer to `show domains`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainList {
    pub domains: Vec<DomainSummary>,
    /// Domains that matched before `max_items` cut the list.
    pub total_matching: u64,
}

impl DomainsRequest {
    /// Does the domain match `names` (empty = all)? Backends use it to filter.
    pub fn matches_domain(&self, domain: &str) -> bool {
        self.names.is_empty()
            || self.names.iter().any(|n| {
                QueuePattern {
                    domain: n.clone(),
                    vmta: "*".into(),
                }
                .matches_domain(domain)
            })
    }
}

/// `show queues [PATTERN]` (and `show topqueues`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuesRequest {
    pub pattern: QueuePattern,
    /// Only paused (`true`) or only unpaused (`false`) queues.
    pub paused: Option<bool>,
    /// Only queues in this mode.
    pub mode: Option<QueueMode>,
    pub sort: Sort,
    /// Rows to return after sorting; 0 = all.
    pub max_items: u32,
}

/// One row of `show queues`: a queue is (domain, virtual MTA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSummary {
    pub domain: String,
    pub vmta: String,
    pub rcpts: u64,
    pub kbytes: u64,
    pub connections: u32,
    pub paused: bool,
    pub mode: QueueMode,
    pub oldest_age_secs: Option<u64>,
    /// When the queue is next due (RFC 3339); `null` when nothing waits for a retry.
    pub next_retry: Option<String>,
    pub last_error: Option<Event>,
}

/// The answer to `show queues`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueList {
    pub queues: Vec<QueueSummary>,
    pub total_matching: u64,
}

impl QueuesRequest {
    /// Does the queue pass the pattern and the `paused` / `mode` filters?
    pub fn matches(&self, q: &QueueSummary) -> bool {
        self.pattern.matches(&q.domain, &q.vmta)
            && self.paused.is_none_or(|p| p == q.paused)
            && self.mode.is_none_or(|m| m == q.mode)
    }
}

/// `show vmtas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VmtasRequest {
    pub sort: Sort,
    pub max_items: u32,
}

/// One row of `show vmtas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmtaSummary {
    pub name: String,
    /// Domains with mail queued on this virtual MTA.
    pub domains: u64,
    pub rcpts: u64,
    pub kbytes: u64,
    pub connections: u32,
    /// `bind-to-source-ip` / `smtp-source-host` address, if set.
    pub source_ip: Option<String>,
    /// EHLO name, if set.
    pub host_name: Option<String>,
    /// For a `cold-virtual-mta` being warmed up: its day and the allowance used today.
    #[serde(default)]
    pub warmup: Option<VmtaWarmup>,
}

/// The warm-up state of a cold virtual MTA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmtaWarmup {
    /// 1 on the first UTC day it carried mail.
    pub day_of_use: u64,
    /// Messages it took today (the `max-cold-virtual-mta-msg` allowance used, over all
    /// domains).
    pub used_today: u64,
}

/// The answer to `show vmtas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmtaList {
    pub vmtas: Vec<VmtaSummary>,
    pub total_matching: u64,
}

impl Ranked for DomainSummary {
    fn rank_name(&self) -> &str {
        &self.domain
    }
    fn rank_rcpts(&self) -> u64 {
        self.rcpts
    }
    fn rank_kbytes(&self) -> u64 {
        self.kbytes
    }
}

impl Ranked for QueueSummary {
    fn rank_name(&self) -> &str {
        &self.domain
    }
    fn rank_tiebreak(&self) -> &str {
        &self.vmta
    }
    fn rank_rcpts(&self) -> u64 {
        self.rcpts
    }
    fn rank_kbytes(&self) -> u64 {
        self.kbytes
    }
}

impl Ranked for VmtaSummary {
    fn rank_name(&self) -> &str {
        &self.name
    }
    fn rank_rcpts(&self) -> u64 {
        self.rcpts
    }
    fn rank_kbytes(&self) -> u64 {
        self.kbytes
    }
}
