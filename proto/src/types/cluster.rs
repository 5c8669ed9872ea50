//! `show cluster` and `pause|resume queue --cluster`: the fleet of nodes sharing one Redis.

use serde::{Deserialize, Serialize};

/// `show cluster`: what the fleet's Redis holds, as the asking node reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// The asking node's `cluster-node-id`.
    pub node: String,
    /// The Redis the fleet shares (`cluster-redis-url`), its password written `***`.
    #[serde(default)]
    pub redis: String,
    /// Nodes seen in the last hour, newest heartbeat first.
    pub nodes: Vec<ClusterNode>,
    /// Each `cluster-max-smtp-out` some node used, with its live leases per node.
    pub limits: Vec<ClusterLimit>,
    /// Fleet-wide pauses (`pause queue PATTERN --cluster`), as typed.
    pub paused: Vec<String>,
}

/// One node as its last heartbeat described it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterNode {
    pub id: String,
    /// Milliseconds since its last heartbeat (one a second while alive).
    pub heartbeat_age_ms: u64,
    /// True while the heartbeat is younger than 3 lease lifetimes (15 s).
    pub alive: bool,
    /// pmtad version of the node.
    pub version: String,
    /// Queues the node knows.
    pub queues: u64,
    /// Outbound connections the node has open.
    pub connections: u64,
}

/// A cluster-wide connection limit and its current use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterLimit {
    /// The queue (`domain/vmta`).
    pub queue: String,
    /// `cluster-max-smtp-out` as the last node to take a lease had it.
    pub max_smtp_out: u64,
    /// Live leases over all nodes.
    pub connections: u64,
    /// Live leases per node holding any.
    pub per_node: Vec<ClusterNodeUse>,
}

/// One node's share of a cluster limit in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterNodeUse {
    pub node: String,
    pub connections: u64,
}
