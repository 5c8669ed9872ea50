//! The fleet's settings: `cluster-redis-url` and `cluster-node-id`.
//!
//! Several pmtad nodes that name the same Redis (or Valkey) server share the limits marked
//! `cluster-…` in their `<domain>` blocks: a cluster-wide `cluster-max-smtp-out` is a set of
//! connection leases kept in Redis, not a count per node.

use serde::Serialize;

/// The resolved cluster settings; `redis_url` `None` = this node is not in a fleet and every
/// `cluster-…` limit is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cluster {
    /// `cluster-redis-url redis://[user:password@]host[:port][/db]`.
    pub redis_url: Option<String>,
    /// `cluster-node-id`: this node's name in the fleet (None: the `host-name`).
    pub node_id: Option<String>,
    /// `cluster-fallback`: what the cluster limits become while Redis is unreachable.
    pub fallback: Fallback,
}

/// `cluster-fallback divide|local|pause`: a node's cluster limits while Redis does not
/// answer. Never "unlimited": each keeps a bound the operator chose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fallback {
    /// Each node applies limit / (nodes last seen), at least 1: the fleet stays near its
    /// limit in total.
    #[default]
    Divide,
    /// Each node applies the whole limit on its own (the fleet may reach nodes × limit).
    Local,
    /// No new connection or message of a queue with a cluster limit until Redis answers.
    Pause,
}

impl Fallback {
    pub fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "divide" => Some(Self::Divide),
            "local" => Some(Self::Local),
            "pause" => Some(Self::Pause),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Divide => "divide",
            Self::Local => "local",
            Self::Pause => "pause",
        }
    }
}

/// True when `url` is a Redis URL pmtad can use (plain TCP `redis://` or a Unix socket
/// `redis+unix://` / `unix://`; TLS `rediss://` is not built in).
pub fn is_redis_url(url: &str) -> bool {
    ["redis://", "redis+unix://", "unix://"]
        .iter()
        .any(|p| url.starts_with(p) && url.len() > p.len())
}
