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
}

/// True when `url` is a Redis URL pmtad can use (plain TCP `redis://` or a Unix socket
/// `redis+unix://` / `unix://`; TLS `rediss://` is not built in).
pub fn is_redis_url(url: &str) -> bool {
    ["redis://", "redis+unix://", "unix://"]
        .iter()
        .any(|p| url.starts_with(p) && url.len() > p.len())
}
