//! The fleet's settings: `cluster-redis-url` (with its TLS files) and `cluster-node-id`.
//!
//! Several pmtad nodes that name the same Redis (or Valkey) server share the limits marked
//! `cluster-…` in their `<domain>` blocks: a cluster-wide `cluster-max-smtp-out` is a set of
//! connection leases kept in Redis, not a count per node.

use std::path::PathBuf;

use serde::Serialize;

/// The resolved cluster settings; `redis_url` `None` = this node is not in a fleet and every
/// `cluster-…` limit is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cluster {
    /// `cluster-redis-url redis[s]://[user:password@]host[:port][/db]`.
    pub redis_url: Option<String>,
    /// `cluster-redis-ca-file`: the PEM roots a `rediss://` server's certificate must chain
    /// to (None: the system's roots). A fleet's Redis usually has a private CA.
    pub redis_ca_file: Option<PathBuf>,
    /// `cluster-redis-cert-file`: this node's client certificate (PEM), for a Redis that
    /// verifies clients (`tls-auth-clients yes`, its default).
    pub redis_cert_file: Option<PathBuf>,
    /// `cluster-redis-key-file`: the private key (PEM) of `redis_cert_file`.
    pub redis_key_file: Option<PathBuf>,
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

/// True when `url` is a Redis URL pmtad can use: plain TCP `redis://`, TLS `rediss://`, or
/// a Unix socket `redis+unix://` / `unix://`.
pub fn is_redis_url(url: &str) -> bool {
    ["redis://", "rediss://", "redis+unix://", "unix://"]
        .iter()
        .any(|p| url.starts_with(p) && url.len() > p.len())
}

/// True when `url` asks for TLS (`rediss://`).
pub fn is_tls_url(url: &str) -> bool {
    url.starts_with("rediss://")
}

/// `url` with its password (the part after `user:` and before `@`) shown as `***`, for
/// logs and `show cluster`: the URL is also where Redis's AUTH secret is written.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    let shown = match rest[..at].split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_string(),
    };
    format!("{scheme}://{shown}{}", &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_url_keeps_everything_but_the_password() {
        let cases = [
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
            ("rediss://:s3cret@h:6380/2", "rediss://:***@h:6380/2"),
            ("rediss://pmtad:s3:cr@et@h", "rediss://pmtad:***@h"),
            ("redis://token@h", "redis://***@h"),
            ("unix:///run/redis.sock", "unix:///run/redis.sock"),
            ("redis://h/0?x=a@b", "redis://h/0?x=a@b"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }
}
